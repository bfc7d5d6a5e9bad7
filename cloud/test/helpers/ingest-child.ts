// Child process for the kill-mid-batch test: ingests one batch (JSON on argv) into the given
// PostgreSQL schema, then prints "done". The parent SIGKILLs it at a random moment.
import { openPostgres } from '../../src/db/connect.js';
import { requireVenue } from '../../src/ledger/venue.js';
import { ingestBatch } from '../../src/sync/batches.js';

const [url, schema, file] = process.argv.slice(2);
const { readFileSync } = await import('node:fs');
const batch = JSON.parse(readFileSync(file, 'utf8'));
const db = await openPostgres(url, { schema });
const venue = await requireVenue(db, batch.venueId);
process.stdout.write('ready\n');
await ingestBatch(db, venue, batch);
process.stdout.write('done\n');
await db.close();
