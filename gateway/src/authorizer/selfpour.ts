/**
 * Self-service tap pricing (docs/protocol.md, "Self-service tap"): the authorization holds at
 * most `A` (the card's spendable balance, capped at one pour of the product) for `M` ml; the
 * pour is charged pro rata, rounded half up, never above `A`. Pure.
 */
import type { Leg } from '../journal/journal.js';
import type { Product } from '../venue-config.js';

export const DEFAULT_MAX_ML = 500;

export type PourAuthorization =
  | { ok: true; amount: number; ml: number }
  | { ok: false; reason: 'insufficient-funds' | 'unknown-sku' };

/** `perLitre`: the card's price per litre (member price included); `spendable`: what the card can pay. */
export function authorizePour(
  product: Product | undefined,
  perLitre: number,
  spendable: number,
): PourAuthorization {
  if (!product || perLitre <= 0) return { ok: false, reason: 'unknown-sku' };
  const cap = Math.ceil((perLitre * (product.maxMl ?? DEFAULT_MAX_ML)) / 1000);
  const amount = Math.min(cap, spendable);
  const ml = Math.floor((amount * 1000) / perLitre);
  if (amount <= 0 || ml < 1) return { ok: false, reason: 'insufficient-funds' };
  return { ok: true, amount, ml };
}

/** What a pour of `ml` costs under an authorization of `amount` for `authorizedMl`. */
export function pourCharge(amount: number, authorizedMl: number, ml: number): number {
  if (ml >= authorizedMl) return amount;
  return Math.floor((2 * ml * amount + authorizedMl) / (2 * authorizedMl));
}

/** Takes `amount` from the held legs, in their (priority) order. */
export function takeFromLegs(held: Leg[], amount: number): Leg[] {
  const out: Leg[] = [];
  let rest = amount;
  for (const l of held) {
    if (rest === 0) break;
    const take = Math.min(rest, l.amount);
    if (take > 0) out.push({ asset: l.asset, amount: take });
    rest -= take;
  }
  return out;
}
