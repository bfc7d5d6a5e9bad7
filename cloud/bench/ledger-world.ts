// The world the ledger benches ingest into: a fresh schema on the machine's PostgreSQL with one
// federation, one venue ('bar') and `cards` card UIDs, and sync items for all of them (one per
// card, numbered across the run). `close()` drops the schema.
import { randomBytes } from 'node:crypto';
import PgClient from 'pg/lib/client.js';
import { createFederation, createVenue } from '../src/admin/setup.js';
import { type Db, openPostgres } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { requireVenue, type VenueCtx } from '../src/ledger/venue.js';
import type { SyncItem } from '../src/sync/items.js';

export const BENCH_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface LedgerWorld {
  db: Db;
  venue: VenueCtx;
  cards: string[];
  /** One item per card: a one-leg EUR spend, or a cash top-up. */
  batchOf(type: 'topup' | 'spend', amount: number): SyncItem[];
  /** Items made so far (item ids are unique across the run). */
  readonly made: number;
  close(): Promise<void>;
}

export async function ledgerWorld(cardCount: number): Promise<LedgerWorld> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const db = await openPostgres(BENCH_URL, { schema, poolSize: 2 });
  const close = async () => {
    await db.close();
    const c = new PgClient(BENCH_URL);
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  };
  try {
    await migrate(db);
    await createFederation(db, { id: 'fed', name: 'Bench' });
    await createVenue(db, { id: 'bar', federationId: 'fed', name: 'Bar' });
    const venue = await requireVenue(db, 'bar');
    const cards = Array.from({ length: cardCount }, (_, i) =>
      (0x04000000000000 + i).toString(16).toUpperCase().padStart(14, '0'),
    );
    let n = 0;
    const at = Date.now();
    return {
      db,
      venue,
      cards,
      batchOf: (type, amount) =>
        cards.map((cardUid) => ({
          id: `i${(n++).toString(36)}`,
          type,
          cardUid,
          at,
          legs: [{ asset: 'EUR', amount }],
          ...(type === 'topup' ? { funding: 'cash' as const } : {}),
        })),
      get made() {
        return n;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
