#!/usr/bin/env node
// tibillet-cloud: start the federation cloud (PGlite on disk by default, PostgreSQL with
// --database-url / DATABASE_URL), or bootstrap a federation with its first admin.
import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { createFederation, createUser, createVenue, createGateway } from './admin/setup.js';
import { createCloud } from './app.js';
import { openDb } from './db/connect.js';
import { migrate } from './db/migrate.js';
import { parseMasterKey } from './util/secrets.js';
import { CLOUD_VERSION } from './version.js';

interface DbOpts {
  dataDir: string;
  databaseUrl?: string;
  schema?: string;
}

const program = new Command('tibillet-cloud').version(CLOUD_VERSION);
const dbOptions = (c: Command) =>
  c
    .option('--data-dir <dir>', 'PGlite data directory', './data/cloud')
    .option('--database-url <url>', 'PostgreSQL URL (default: env DATABASE_URL; PGlite when absent)', process.env.DATABASE_URL)
    .option('--schema <name>', 'PostgreSQL schema (search_path)', process.env.DB_SCHEMA);

async function open(o: DbOpts) {
  if (!o.databaseUrl) mkdirSync(o.dataDir, { recursive: true });
  const db = await openDb({ databaseUrl: o.databaseUrl, dataDir: o.databaseUrl ? undefined : o.dataDir, schema: o.schema });
  await migrate(db);
  return db;
}

dbOptions(program.command('start').description('serve the cloud API'))
  .option('--port <port>', 'HTTP port', '8080')
  .option('--host <host>', 'listen address', '127.0.0.1')
  .option('--master-key <hex>', 'AES-256 master key for secrets at rest (env TIBILLET_MASTER_KEY)', process.env.TIBILLET_MASTER_KEY)
  .action(async (o: DbOpts & { port: string; host: string; masterKey?: string }) => {
    const db = await open(o);
    const masterKey = parseMasterKey(o.masterKey);
    const cloud = await createCloud({ db, masterKey, logger: { level: process.env.LOG_LEVEL ?? 'info' } });
    const address = await cloud.app.listen({ port: Number(o.port), host: o.host });
    // The first stdout line tells supervisors (and tests) where we listen.
    process.stdout.write(`listening ${address}\n`);
    const stop = async () => {
      await cloud.close();
      await db.close();
      process.exit(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

dbOptions(program.command('bootstrap').description('create a federation, a venue, its gateway key and a federation admin'))
  .requiredOption('--federation <id>')
  .requiredOption('--venue <id>')
  .requiredOption('--admin-email <email>')
  .requiredOption('--admin-password <password>')
  .action(async (o: DbOpts & { federation: string; venue: string; adminEmail: string; adminPassword: string }) => {
    const db = await open(o);
    await createFederation(db, { id: o.federation, name: o.federation });
    await createVenue(db, { id: o.venue, federationId: o.federation, name: o.venue });
    const gw = await createGateway(db, o.venue);
    await createUser(db, { email: o.adminEmail, password: o.adminPassword, role: 'federation_admin', federationId: o.federation });
    process.stdout.write(`${JSON.stringify({ federation: o.federation, venue: o.venue, gatewayApiKey: gw.apiKey })}\n`);
    await db.close();
  });

program.command("gen-master-key").action(() => {
  process.stdout.write(`${randomBytes(32).toString("hex")}\n`);
});

await program.parseAsync();
