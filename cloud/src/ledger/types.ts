// Boundary types of the posting engine.

/** A wallet's account for an asset, or a named system account for an asset. */
export type AccountKey = { wallet: number } | { system: string };

export interface Posting {
  asset: string;
  from: AccountKey;
  to: AccountKey;
  /** Positive integer minor units. */
  amount: number;
  /** Transfer kind recorded on the transfer and in the log (spend, topup, void, standin...). */
  kind: string;
  /**
   * Offline stand-in: when `from` lacks funds, the missing part is taken from this (negative-allowed)
   * account instead of rejecting, and reported as a shortfall.
   */
  shortfallFrom?: AccountKey;
}

export interface Operation {
  /** Idempotency key (sync item id, or the REST Idempotency-Key). */
  id: string;
  venueId: string | null;
  kind: string;
  /** SHA-256 of the canonical request body (bytes, or hex): same id + other hash = idempotency conflict. */
  bodyHash: Buffer | string;
  /** Epoch ms when it was approved. */
  at: number;
  /** Voided operation id (void only: a spend is voided at most once). */
  ref?: string;
  postings: Posting[];
  /** Wallet whose balances after the operation go into the result. */
  reportWallet?: number;
  /** Extra fields stored in (and replayed with) the result. */
  extra?: Record<string, unknown>;
}

export interface AssetAmount {
  asset: string;
  amount: number;
}

export type RejectReason =
  | 'insufficient-funds'
  | 'unknown-asset'
  | 'card-blocked'
  | 'bad-item'
  | 'idempotency-conflict'
  | 'void-target-unknown'
  | 'already-voided'
  | 'unknown-card'
  /** The item names a card issue the card never had (forged, or from another federation's card). */
  | 'bad-card-issue'
  /** Authorized against a former holder's lease after the card was re-issued (docs/sync-api.md). */
  | 'card-reissued';

export interface OpResult {
  id: string;
  status: 'applied' | 'duplicate' | 'rejected';
  /** On duplicates: what the original request got. */
  original?: 'applied';
  reason?: RejectReason;
  detail?: string;
  balances?: AssetAmount[];
  shortfall?: AssetAmount[];
  /** Log sequence numbers of the transfers written. */
  seqs?: number[];
  [extra: string]: unknown;
}

/** A transfer as written to the transfers table and the transparency log. */
export interface TransferRow {
  seq: number;
  idempotencyKey: string;
  operationId: string;
  debit: number;
  credit: number;
  asset: string;
  amount: number;
  kind: string;
  venueId: string | null;
  at: number;
}

/** System accounts that may go negative: they stand for money outside the ledger. */
export function systemAllowsNegative(system: string): boolean {
  return system.startsWith('funding:') || system.startsWith('issuance:') || system.startsWith('standin:');
}

export class LedgerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}
