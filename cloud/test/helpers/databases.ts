// Every ledger suite runs on both engines: one in-memory PGlite per test file (fresh init costs
// 4-5 s, so it is shared), and the machine's PostgreSQL in a fresh random schema dropped after.
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import PgClient from 'pg/lib/client.js';
import { afterAll, beforeAll, describe } from 'vitest';
import { type Db, openPglite, openPostgres } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let sharedPglite: Promise<PGlite> | null = null;

export const randomSchema = (prefix = 't'): string => `${prefix}_${randomBytes(6).toString('hex')}`;

export async function openTestDb(
  kind: 'pglite' | 'postgres',
): Promise<{ db: Db; schema: string; drop: () => Promise<void> }> {
  const schema = randomSchema();
  if (kind === 'pglite') {
    sharedPglite ??= PGlite.create();
    const client = await sharedPglite;
    const db = await openPglite({ client, schema });
    await migrate(db);
    return { db, schema, drop: async () => void (await client.exec(`DROP SCHEMA ${schema} CASCADE`)) };
  }
  const db = await openPostgres(PG_URL, { schema });
  await migrate(db);
  return {
    db,
    schema,
    drop: async () => {
      await db.close();
      await dropSchema(schema);
    },
  };
}

export async function dropSchema(schema: string): Promise<void> {
  const c = new PgClient(PG_URL);
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}

/** describe(`${name} [pglite]`) and describe(`${name} [postgres]`), each with its own migrated schema. */
export function withBothDatabases(
  name: string,
  fn: (get: () => Db, kind: 'pglite' | 'postgres') => void,
): void {
  for (const kind of ['pglite', 'postgres'] as const) {
    describe(`${name} [${kind}]`, () => {
      let handle: Awaited<ReturnType<typeof openTestDb>> | null = null;
      beforeAll(async () => {
        handle = await openTestDb(kind);
      });
      afterAll(async () => {
        await handle?.drop();
      });
      fn(() => {
        if (!handle) throw new Error('database not ready');
        return handle.db;
      }, kind);
    });
  }
}

/** Σ balance per asset over all accounts (must be 0 for every asset, always). */
export async function sumsPerAsset(db: Db): Promise<Record<string, number>> {
  const { rows } = await db.query<{ asset: string; s: string }>(
    'SELECT asset, SUM(balance)::text AS s FROM accounts GROUP BY asset',
  );
  return Object.fromEntries(rows.map((r) => [r.asset, Number(r.s)]));
}

export async function assertBalanced(db: Db): Promise<void> {
  const sums = await sumsPerAsset(db);
  for (const [asset, s] of Object.entries(sums))
    if (s !== 0) throw new Error(`Σ ${asset} = ${s}, expected 0`);
  const neg = await db.query<{ n: string }>(
    'SELECT count(*)::text AS n FROM accounts WHERE balance < 0 AND NOT allow_negative',
  );
  if (neg.rows[0].n !== '0') throw new Error(`${neg.rows[0].n} accounts overdrawn`);
}
