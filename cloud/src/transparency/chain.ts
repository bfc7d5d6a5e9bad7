// PLACEHOLDER written by the ledger helper because this file did not exist yet; the transparency
// helper owns cloud/src/transparency/ and replaces it. Agreed interface:
//   entryBytes(transfer): Uint8Array  — canonical JSON of {seq,id,asset,debit,credit,amount,kind,at}
//   chainHash(prev, entryHash): Uint8Array — SHA-256(prev ‖ entryHash); genesis prev = 32 zero bytes
import { createHash } from 'node:crypto';

export interface LogTransfer {
  seq: number;
  id: string;
  asset: string;
  debit: string;
  credit: string;
  amount: number;
  kind: string;
  at: number;
}

export function entryBytes(t: LogTransfer): Uint8Array {
  const c = { amount: t.amount, asset: t.asset, at: t.at, credit: t.credit, debit: t.debit, id: t.id, kind: t.kind, seq: t.seq };
  return new TextEncoder().encode(JSON.stringify(c));
}

export function chainHash(prev: Uint8Array, entryHash: Uint8Array): Uint8Array {
  return createHash('sha256').update(prev).update(entryHash).digest();
}
