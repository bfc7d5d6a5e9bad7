/**
 * The decision for one tap, from what the gateway knows now (pure: no I/O, no clock of its own).
 * Online (a valid lease): the card's balances must cover the amount. Offline (no valid lease,
 * the cloud unreachable): the gateway sells within the stand-in limits, per card and per venue,
 * and marks the transaction for reconciliation.
 */
import type { Leg } from '../journal/journal.js';
import type { TapBody } from '../types.js';
import { configIndex, type PointOfSale, type VenueConfig } from '../venue-config.js';
import type { CardBook, CardState } from './card-book.js';
import { addToLeg, splitPayment } from './payment.js';
import { priceCart } from './pricing.js';
import { authorizePour } from './selfpour.js';

export type Decision =
  | {
      ok: true;
      type: 'spend' | 'topup' | 'balance';
      legs: Leg[];
      amount: number;
      offline: boolean;
      standIn: number;
    }
  | { ok: true; type: 'hold'; legs: Leg[]; amount: number; ml: number; offline: boolean; standIn: 0 }
  | { ok: false; reason: string };

export interface DecideContext {
  config: VenueConfig;
  pos: PointOfSale | undefined;
  book: CardBook;
  card: CardState;
  now: number;
  /** The lease is valid, or the cloud could not be asked. */
  leaseValid: boolean;
  /** The POS charge this tap pays (looked up by the tap's ref), when it has one. */
  charge?: { amt: number };
}

export function isMember(book: CardBook, card: CardState, badges: string[]): boolean {
  return badges.some((b) => book.available(card, b) > 0);
}

export function decide(tap: TapBody, ctx: DecideContext): Decision {
  const { config, book, card } = ctx;
  if (card.blocked || configIndex(config).blocked.has(tap.uid)) return { ok: false, reason: 'card-blocked' };
  // A terminal acts only in its point of sale's mode: a bar till cannot top up a card.
  if (tap.mode !== 'balance' && tap.mode !== (ctx.pos?.mode ?? 'cashier'))
    return { ok: false, reason: 'not-allowed' };
  if (tap.mode === 'balance')
    return { ok: true, type: 'balance', legs: [], amount: 0, offline: !ctx.leaseValid, standIn: 0 };
  if (tap.mode === 'topup') {
    if (tap.amt === undefined || tap.amt <= 0) return { ok: false, reason: 'not-allowed' };
    return {
      ok: true,
      type: 'topup',
      legs: [{ asset: config.topupAsset, amount: tap.amt }],
      amount: tap.amt,
      offline: !ctx.leaseValid,
      standIn: 0,
    };
  }
  if (tap.mode === 'selfpour') {
    // One product per tap; the card may pour what its spendable balance buys, up to one glass.
    const product = ctx.pos?.products[0];
    const member = isMember(book, card, config.memberBadges);
    const perLitre = product
      ? member && product.memberPrice !== undefined
        ? product.memberPrice
        : product.price
      : 0;
    const spendable = config.paymentPriority.reduce((t, a) => t + Math.max(0, book.available(card, a)), 0);
    const auth = authorizePour(product, perLitre, spendable);
    if (!auth.ok) return auth;
    const split = splitPayment(auth.amount, (a) => book.available(card, a), config.paymentPriority);
    return {
      ok: true,
      type: 'hold',
      legs: split.legs,
      amount: auth.amount,
      ml: auth.ml,
      offline: !ctx.leaseValid,
      standIn: 0,
    };
  }
  if (tap.mode !== 'cashier') return { ok: false, reason: 'not-allowed' };

  let amount = 0;
  if (tap.ref !== undefined) {
    // A POS charge: the amount is the one the POS pushed, never the terminal's own.
    if (!ctx.charge) return { ok: false, reason: 'not-allowed' };
    amount = ctx.charge.amt;
  } else if (tap.cart && tap.cart.length > 0) {
    const priced = priceCart(ctx.pos?.products ?? [], tap.cart, isMember(book, card, config.memberBadges));
    if (!priced.ok) return { ok: false, reason: priced.reason };
    amount = priced.total;
  } else {
    // A bare amount: a terminal cannot invent a price.
    return { ok: false, reason: 'not-allowed' };
  }
  if (amount <= 0) return { ok: false, reason: 'not-allowed' };

  const split = splitPayment(amount, (a) => book.available(card, a), config.paymentPriority);
  if (split.missing === 0)
    return { ok: true, type: 'spend', legs: split.legs, amount, offline: !ctx.leaseValid, standIn: 0 };
  if (ctx.leaseValid) return { ok: false, reason: 'insufficient-funds' };
  // Offline and the last known balance is short: stand-in credit, within both limits.
  if (
    card.standIn + split.missing > config.standIn.perCard ||
    book.venueStandIn + split.missing > config.standIn.perVenue
  )
    return { ok: false, reason: 'stand-in-limit' };
  const last = config.paymentPriority[config.paymentPriority.length - 1] ?? 'EUR';
  return {
    ok: true,
    type: 'spend',
    legs: addToLeg(split.legs, last, split.missing),
    amount,
    offline: true,
    standIn: split.missing,
  };
}
