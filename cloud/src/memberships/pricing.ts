// What a membership costs (pure): a fixed yearly fee, a free price with a minimum, or a sliding
// scale where the buyer declares an income bracket (by its id, or by a yearly income that picks the
// first bracket whose ceiling covers it). Amounts are integer minor units.
import { LedgerError } from '../ledger/types.js';
import type { PricingKind } from './schema.js';

export interface Bracket {
  id: string;
  label: string;
  /** Yearly income ceiling of the bracket (minor units); null: no ceiling (the last one). */
  maxIncome: number | null;
  price: number;
}

export interface Pricing {
  pricing: PricingKind;
  price: number;
  minPrice: number;
  brackets: Bracket[] | null;
}

export interface PriceChoice {
  /** free price: what the buyer chooses to pay. */
  amount?: number;
  /** sliding scale: the declared bracket… */
  bracket?: string;
  /** …or the declared yearly income (minor units). */
  income?: number;
}

export interface Priced {
  amount: number;
  bracket: string | null;
}

export function priceMembership(p: Pricing, c: PriceChoice): Priced {
  if (p.pricing === 'fixed') {
    if (c.amount !== undefined && c.amount !== p.price)
      throw new LedgerError('wrong-price', `this membership costs ${p.price}`, 400);
    return { amount: p.price, bracket: null };
  }
  if (p.pricing === 'free') {
    const amount = c.amount ?? p.price;
    if (!Number.isSafeInteger(amount) || amount < p.minPrice)
      throw new LedgerError('below-minimum', `the minimum price is ${p.minPrice}`, 400);
    return { amount, bracket: null };
  }
  const brackets = p.brackets ?? [];
  let b: Bracket | undefined;
  if (c.bracket !== undefined) b = brackets.find((x) => x.id === c.bracket);
  else if (c.income !== undefined) b = brackets.find((x) => x.maxIncome === null || c.income! <= x.maxIncome);
  if (!b)
    throw new LedgerError(
      'bracket-required',
      `declare an income bracket: ${brackets.map((x) => x.id).join(', ')}`,
      400,
    );
  return { amount: b.price, bracket: b.id };
}

/** A product's pricing is coherent (checked at creation). */
export function checkPricing(p: Pricing): void {
  if (p.pricing === 'free' && p.price < p.minPrice)
    throw new LedgerError('bad-pricing', 'the suggested price is below the minimum', 400);
  if (p.pricing === 'sliding') {
    const b = p.brackets ?? [];
    if (b.length === 0) throw new LedgerError('bad-pricing', 'a sliding scale needs brackets', 400);
    if (new Set(b.map((x) => x.id)).size !== b.length)
      throw new LedgerError('bad-pricing', 'bracket ids must be unique', 400);
    for (let i = 0; i < b.length; i++) {
      const last = i === b.length - 1;
      if ((b[i].maxIncome === null) !== last)
        throw new LedgerError('bad-pricing', 'only the last bracket has no income ceiling', 400);
      if (i > 0 && b[i].maxIncome !== null && b[i].maxIncome! <= b[i - 1].maxIncome!)
        throw new LedgerError('bad-pricing', 'bracket ceilings must increase', 400);
    }
  }
}
