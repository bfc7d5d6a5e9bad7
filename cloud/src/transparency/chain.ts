// The transparency log's entry format and hash chain.
//   entryBytes(transfer) — canonical JSON of {amount,asset,at,credit,debit,id,kind,seq} (keys
//     sorted, no whitespace): the Merkle leaf data (leaf hash = SHA-256(0x00 ‖ entryBytes)).
//   entry hash = SHA-256(entryBytes); chainHash(prev, entryHash) = SHA-256(prev ‖ entryHash),
//     genesis prev = 32 zero bytes.
// Accounts appear only as pseudonymous ids (`a<account id>`): no personal data in the log.
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

/** A log entry as published (entries API, export): the transfer plus its hashes (hex). */
export interface PublicLogEntry extends LogTransfer {
  /** Leaf index = seq − 1. */
  index: number;
  entryHash: string;
  chainHash: string;
}

export const GENESIS = new Uint8Array(32);

export function entryBytes(t: LogTransfer): Uint8Array {
  const c = {
    amount: t.amount,
    asset: t.asset,
    at: t.at,
    credit: t.credit,
    debit: t.debit,
    id: t.id,
    kind: t.kind,
    seq: t.seq,
  };
  return new TextEncoder().encode(JSON.stringify(c));
}

export const entryHash = (t: LogTransfer): Buffer => createHash('sha256').update(entryBytes(t)).digest();

export function chainHash(prev: Uint8Array, entryHash: Uint8Array): Uint8Array {
  return createHash('sha256').update(prev).update(entryHash).digest();
}
