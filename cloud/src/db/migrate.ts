// Applies the drizzle-kit migrations in cloud/drizzle/ (generated from src/db/schema.ts), keeping
// drizzle's journal format (`__drizzle_migrations`: hash, created_at). Concurrent starts (several
// API replicas) serialise on an advisory lock. Same code on PGlite and PostgreSQL.
import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { type Db, num } from './connect.js';

/** Works from src/db and dist/db alike: both sit two levels under cloud/. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** `count`: apply only the first `count` migrations (upgrade tests start from an older schema). */
export async function migrate(db: Db, opts: { count?: number } = {}): Promise<number> {
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).slice(0, opts.count);
  const journal = `${db.schema ?? 'drizzle'}.__drizzle_migrations`;
  return db.tx(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('tibillet-migrate'))");
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${db.schema ?? 'drizzle'}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${journal} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
    );
    const last = await tx.query<{ created_at: unknown }>(
      `SELECT created_at FROM ${journal} ORDER BY created_at DESC LIMIT 1`,
    );
    const lastAt = last.rows[0] ? num(last.rows[0].created_at) : -1;
    let applied = 0;
    for (const m of migrations) {
      if (m.folderMillis <= lastAt) continue;
      // drizzle-kit qualifies FK targets with "public"; unqualified names follow search_path, so
      // the same SQL migrates any schema.
      for (const stmt of m.sql) if (stmt.trim()) await tx.query(stmt.replaceAll('"public".', ''));
      await tx.query(`INSERT INTO ${journal} (hash, created_at) VALUES ($1, $2)`, [m.hash, m.folderMillis]);
      applied++;
    }
    return applied;
  });
}
