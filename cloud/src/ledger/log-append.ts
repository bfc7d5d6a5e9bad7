// Appends transfers to the transparency log inside the caller's transaction. The single log_head
// row is locked FOR UPDATE before anything else is read, so every ledger writer (any process)
// appends after the previous one committed: the chain cannot fork.
import { createHash } from 'node:crypto';
import { chainHash, entryBytes } from '../transparency/chain.js';
import { buf, num, type Tx } from '../db/connect.js';
import type { TransferRow } from './types.js';

export interface LogHead {
  seq: number;
  chainHash: Uint8Array;
}

export async function lockLogHead(tx: Tx): Promise<LogHead> {
  const { rows } = await tx.query<{ seq: unknown; chain_hash: unknown }>(
    'SELECT seq, chain_hash FROM log_head WHERE id = 1 FOR UPDATE',
  );
  if (!rows[0]) throw new Error('log_head row missing: migrations not applied');
  return { seq: num(rows[0].seq), chainHash: buf(rows[0].chain_hash) };
}

export interface LogEntryRow {
  seq: number;
  entryHash: Buffer;
  chainHash: Buffer;
}

/** Pseudonymous account id as it appears in the public log (no personal data). */
export const logAccountId = (accountId: number): string => `a${accountId}`;

/** Computes the entries for transfers numbered head.seq+1.. and advances head (in memory). */
export function chainEntries(head: LogHead, transfers: TransferRow[]): LogEntryRow[] {
  const out: LogEntryRow[] = new Array(transfers.length);
  let prev = head.chainHash;
  for (let i = 0; i < transfers.length; i++) {
    const t = transfers[i];
    const bytes = entryBytes({
      seq: t.seq,
      id: t.idempotencyKey,
      asset: t.asset,
      debit: logAccountId(t.debit),
      credit: logAccountId(t.credit),
      amount: t.amount,
      kind: t.kind,
      at: t.at,
    });
    const entryHash = createHash('sha256').update(bytes).digest();
    const chain = Buffer.from(chainHash(prev, entryHash));
    out[i] = { seq: t.seq, entryHash, chainHash: chain };
    prev = chain;
  }
  if (transfers.length) {
    head.seq = transfers[transfers.length - 1].seq;
    head.chainHash = prev;
  }
  return out;
}

export async function saveLogHead(tx: Tx, head: LogHead): Promise<void> {
  await tx.query('UPDATE log_head SET seq = $1, chain_hash = $2 WHERE id = 1', [head.seq, Buffer.from(head.chainHash)]);
}
