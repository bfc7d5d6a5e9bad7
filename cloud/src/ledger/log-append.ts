// Appends transfers to the transparency log inside the caller's transaction. The single log_head
// row is locked FOR UPDATE before anything else is read, so every ledger writer (any process)
// appends after the previous one committed: the chain cannot fork.
import { hash } from 'node:crypto';
import { buf, num, type Tx } from '../db/connect.js';
import { entryBytes } from '../transparency/chain.js';
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
  /** Hex of SHA-256(entryBytes). */
  entryHash: string;
  /** Hex of chainHash(previous, entry). */
  chainHash: string;
}

/** Pseudonymous account id as it appears in the public log (no personal data). */
export const logAccountId = (accountId: number): string => `a${accountId}`;

/**
 * `entryBytes` (transparency/chain.ts) as a string: the same canonical JSON (keys sorted, no
 * whitespace) written directly, without building an object and encoding it. Its UTF-8 bytes equal
 * entryBytes() for integer seq/amount/at (the test suites re-verify every chain from entryBytes).
 */
export function entryJson(
  t: Pick<TransferRow, 'seq' | 'idempotencyKey' | 'debit' | 'credit' | 'asset' | 'amount' | 'kind' | 'at'>,
): string {
  return `{"amount":${t.amount},"asset":${JSON.stringify(t.asset)},"at":${t.at},"credit":"a${t.credit}","debit":"a${t.debit}","id":${JSON.stringify(t.idempotencyKey)},"kind":${JSON.stringify(t.kind)},"seq":${t.seq}}`;
}

/** Computes the entries for transfers numbered head.seq+1.. and advances head (in memory). */
export function chainEntries(head: LogHead, transfers: TransferRow[]): LogEntryRow[] {
  const out: LogEntryRow[] = new Array(transfers.length);
  // chainHash(prev, entry) = SHA-256(prev ‖ entry), hashed from one reused 64-byte buffer; the
  // hashes stay hex strings (no Buffer per entry).
  const pair = Buffer.alloc(64);
  pair.set(head.chainHash, 0);
  let prev = '';
  for (let i = 0; i < transfers.length; i++) {
    const t = transfers[i];
    const fast = Number.isSafeInteger(t.amount) && Number.isSafeInteger(t.at) && Number.isSafeInteger(t.seq);
    const entryHash = hash(
      'sha256',
      fast
        ? entryJson(t)
        : entryBytes({
            seq: t.seq,
            id: t.idempotencyKey,
            asset: t.asset,
            debit: logAccountId(t.debit),
            credit: logAccountId(t.credit),
            amount: t.amount,
            kind: t.kind,
            at: t.at,
          }),
      'hex',
    );
    pair.write(entryHash, 32, 'hex');
    prev = hash('sha256', pair, 'hex');
    pair.write(prev, 0, 'hex');
    out[i] = { seq: t.seq, entryHash, chainHash: prev };
  }
  if (transfers.length) {
    head.seq = transfers[transfers.length - 1].seq;
    head.chainHash = Buffer.from(prev, 'hex');
  }
  return out;
}

export async function saveLogHead(tx: Tx, head: LogHead): Promise<void> {
  await tx.query('UPDATE log_head SET seq = $1, chain_hash = $2 WHERE id = 1', [
    head.seq,
    Buffer.from(head.chainHash),
  ]);
}
