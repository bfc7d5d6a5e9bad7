// "Pay through the provider, then buy from the wallet": the pattern shared by memberships and
// tickets. The provider's checkout tops a card of the buyer's wallet up (an ordinary `payments`
// row, credited once by the existing webhook); a purpose row (membership_checkouts,
// ticket_checkouts…) remembers what the money is for. Once the payment is credited, settling buys
// from the wallet exactly as a wallet purchase would, once: pending → settled|failed under a row
// lock. A purchase that fails (sold out, renewal too early…) leaves the money on the wallet.
import type { Db, Tx } from '../db/connect.js';
import { PostingEngine } from '../ledger/engine.js';
import type { PaymentProvider } from '../payments/provider.js';
import { withRetry } from '../sync/batches.js';

export interface ProviderSessionSpec {
  /** Our reference, derived from the request's idempotency key: one session per key. */
  reference: string;
  venueId: string;
  cardUid: string;
  amount: number;
  successUrl: string;
  cancelUrl: string;
}

/**
 * Opens the provider session and records, in one transaction, the payments row and the purpose
 * row (`record`). Returns null when a concurrent request with the same reference won the race:
 * the caller then reads that one back.
 */
export async function openProviderSession(
  db: Db,
  provider: PaymentProvider,
  spec: ProviderSessionSpec,
  record: (tx: Tx, sessionId: string) => Promise<void>,
): Promise<{ sessionId: string; url: string } | null> {
  const session = await provider.createCheckout({
    reference: spec.reference,
    amount: spec.amount,
    currency: 'eur',
    successUrl: spec.successUrl,
    cancelUrl: spec.cancelUrl,
  });
  const inserted = await db.tx(async (tx) => {
    const ins = await tx.query(
      `INSERT INTO payments (id, provider, venue_id, card_uid, asset, amount, status, reference, url)
       VALUES ($1, $2, $3, $4, 'EUR', $5, 'pending', $6, $7) ON CONFLICT DO NOTHING RETURNING id`,
      [
        session.sessionId,
        provider.name,
        spec.venueId,
        spec.cardUid,
        spec.amount,
        spec.reference,
        session.url,
      ],
    );
    if (!ins.rows.length) return false;
    await record(tx, session.sessionId);
    return true;
  });
  return inserted ? session : null;
}

export interface SettleResult {
  settled: number;
  failed: number;
}

export interface SettleSpec<R> {
  /** Purpose table (a constant of the caller, never user input) with id, session_id, status, wallet_id. */
  table: 'membership_checkouts' | 'ticket_checkouts';
  walletId?: number;
  /** Buys from the wallet; returns the columns to set on the settled row. */
  buy: (tx: Tx, engine: PostingEngine, row: Record<string, unknown>) => Promise<R>;
  settledColumns: (r: R) => Record<string, unknown>;
  /** Columns to set on a failed row (the error is a LedgerError or anything else). */
  failedColumns?: (err: unknown) => Record<string, unknown>;
  log?: { warn(obj: object, msg: string): void };
}

const assignments = (cols: Record<string, unknown>, from: number) =>
  Object.keys(cols)
    .map((c, i) => `, ${c} = $${from + i}`)
    .join('');

/** Buys what the credited provider payments were for (each purpose row once). */
export async function settleProviderPurchases<R>(db: Db, s: SettleSpec<R>): Promise<SettleResult> {
  const out: SettleResult = { settled: 0, failed: 0 };
  const { rows } = await db.query<{ id: string }>(
    `SELECT c.id FROM ${s.table} c JOIN payments p ON p.id = c.session_id
     WHERE c.status = 'pending' AND p.status = 'paid' AND ($1::int8 IS NULL OR c.wallet_id = $1) ORDER BY c.created_at`,
    [s.walletId ?? null],
  );
  for (const { id } of rows) {
    await withRetry(() =>
      db.tx(async (tx) => {
        const engine = await PostingEngine.begin(tx);
        const c = (
          await tx.query<Record<string, unknown>>(
            `SELECT * FROM ${s.table} WHERE id = $1 AND status = 'pending' FOR UPDATE`,
            [id],
          )
        ).rows[0];
        if (!c) return;
        try {
          await tx.query('SAVEPOINT settle');
          const cols = s.settledColumns(await s.buy(tx, engine, c));
          await tx.query(`UPDATE ${s.table} SET status = 'settled'${assignments(cols, 2)} WHERE id = $1`, [
            id,
            ...Object.values(cols),
          ]);
          out.settled++;
        } catch (err) {
          // The money stays on the wallet (refundable like any top-up); staff and buyer see why.
          await tx.query('ROLLBACK TO SAVEPOINT settle');
          const cols = s.failedColumns?.(err) ?? {};
          await tx.query(`UPDATE ${s.table} SET status = 'failed'${assignments(cols, 2)} WHERE id = $1`, [
            id,
            ...Object.values(cols),
          ]);
          s.log?.warn({ checkoutId: id, err: (err as Error).message }, `${s.table}: paid but not bought`);
          out.failed++;
        }
      }),
    );
  }
  return out;
}
