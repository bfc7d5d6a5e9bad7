// Deleting rows past retention a batch at a time: a purge never holds one long lock over a whole
// table, and each batch commits on its own.
import type { Db } from '../db/connect.js';

export const PURGE_BATCH = 500;

/** Deletes in batches of PURGE_BATCH rows until a batch comes back short; returns the rows deleted. */
export async function drain(
  db: Db,
  table: string,
  key: string,
  where: string,
  params: unknown[],
): Promise<number> {
  let total = 0;
  for (;;) {
    // The condition is repeated outside the sub-select so that on PostgreSQL a row changed by a
    // concurrent writer after the sub-select read it is re-checked before it goes.
    const r = await db.query(
      `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${where} LIMIT ${PURGE_BATCH}) AND ${where}`,
      params,
    );
    total += r.count;
    if (r.count < PURGE_BATCH) return total;
  }
}
