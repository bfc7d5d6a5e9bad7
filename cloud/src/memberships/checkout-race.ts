// Purchases paid through the provider (memberships, tickets) open one checkout per idempotency
// key. Two requests with the same key may both reach the provider; openProviderSession records
// only the first, and the other answers with what the first recorded.
import { LedgerError } from '../ledger/types.js';

/**
 * After openProviderSession returned null: the checkout the winning request recorded (`prior`,
 * shown by `view`).
 */
export async function checkoutOfRaceWinner<R, V>(
  prior: () => Promise<R | undefined>,
  view: (row: R) => V,
): Promise<V> {
  const again = await prior();
  if (again) return view(again);
  throw new LedgerError('payment-session-conflict', 'the provider returned a session already recorded', 409);
}
