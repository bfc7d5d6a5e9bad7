// One small query interface over both storage engines: embedded PGlite (default, data dir on
// disk) and PostgreSQL through node-postgres. The ledger speaks plain parameterised SQL through
// it; drizzle is used for the schema and the migrations.

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import PgClient from 'pg/lib/client.js';
import { from as copyFrom } from 'pg-copy-streams';
import PgPool from 'pg-pool';

export type Row = Record<string, unknown>;

export interface QueryResult<T = Row> {
  rows: T[];
  /** Rows inserted/updated/deleted by the statement. */
  count: number;
}

export interface Queryable {
  query<T = Row>(text: string, params?: unknown[]): Promise<QueryResult<T>>;
}

export type CopyData = string | Uint8Array | AsyncIterable<Uint8Array>;

export interface Tx extends Queryable {
  /**
   * COPY ... FROM STDIN, text-format rows (as text or UTF-8 bytes, or streamed as chunks produced
   * while the statement runs); resolves to the rows copied. PostgreSQL only (null on PGlite).
   */
  readonly copy: ((statement: string, data: CopyData) => Promise<number>) | null;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction (BEGIN..COMMIT, ROLLBACK on throw). */
  tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** The raw client, for drizzle's migrator. */
  readonly raw: PGlite | pg.Pool;
  readonly schema: string | null;
}

export interface OpenOptions {
  /** PostgreSQL URL; when absent PGlite is used. */
  databaseUrl?: string;
  /** PGlite data dir; absent = in memory. */
  dataDir?: string;
  /** Schema to put first on search_path (tests use a fresh one per run). */
  schema?: string;
  poolSize?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function checkSchema(schema: string | undefined): void {
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error(`bad schema name: ${schema}`);
}

export async function openDb(opts: OpenOptions = {}): Promise<Db> {
  checkSchema(opts.schema);
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts) : openPglite(opts);
}

export async function openPglite(
  opts: { dataDir?: string; schema?: string; client?: PGlite } = {},
): Promise<Db> {
  checkSchema(opts.schema);
  const client = opts.client ?? new PGlite(opts.dataDir);
  await client.waitReady;
  const schema = opts.schema ?? null;
  if (schema)
    await client.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema}, public`);
  const run = async <T>(
    q: Pick<PGlite, 'query'>,
    text: string,
    params?: unknown[],
  ): Promise<QueryResult<T>> => {
    const r = await q.query<T>(text, params as unknown[]);
    return { rows: r.rows, count: r.affectedRows ?? 0 };
  };
  return {
    kind: 'pglite',
    raw: client,
    schema,
    query: (text, params) => run(client, text, params),
    tx: (fn) => client.transaction((t) => fn({ query: (text, params) => run(t, text, params), copy: null })),
    close: async () => {
      if (!opts.client) await client.close();
    },
  };
}

export async function openPostgres(
  url: string,
  opts: { schema?: string; poolSize?: number } = {},
): Promise<Db> {
  checkSchema(opts.schema);
  const schema = opts.schema ?? null;
  const pool = new PgPool({
    Client: PgClient,
    connectionString: url,
    max: opts.poolSize ?? 8,
    ...(schema ? { options: `-c search_path=${schema},public` } : {}),
  });
  // A client losing its server (restart, failover) emits 'error', idle or in a transaction: unhandled, it
  // kills the process. Handled, its queries fail, pg-pool drops it and the next query reconnects.
  pool.on('error', () => {}).on('connect', (c) => c.on('error', () => {}));
  if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  const run = async <T>(
    c: pg.Pool | pg.PoolClient,
    text: string,
    params?: unknown[],
  ): Promise<QueryResult<T>> => {
    const r = await c.query(text, params);
    return { rows: r.rows as T[], count: r.rowCount ?? 0 };
  };
  return {
    kind: 'postgres',
    raw: pool,
    schema,
    query: (text, params) => run(pool, text, params),
    async tx(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: (text, params) => run(client, text, params),
          copy: async (statement, data) => {
            const stream = client.query(copyFrom(statement));
            await pipeline(
              typeof data === 'string' || data instanceof Uint8Array
                ? Readable.from([data])
                : Readable.from(data),
              stream,
            );
            return Number(stream.rowCount ?? 0);
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** PostgreSQL error codes worth retrying the whole transaction for. */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '40001' || code === '40P01';
}

/** int8/numeric columns arrive as number (PGlite) or string (node-postgres). */
export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
/** bytea arrives as Uint8Array (PGlite) or Buffer (node-postgres). */
export const buf = (v: unknown): Buffer => Buffer.from(v as Uint8Array);
