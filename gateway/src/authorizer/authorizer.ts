/**
 * The decision for one tap, from what the gateway knows now (pure: no I/O, no clock of its own).
 * Online (a valid lease): the card's balances must cover the amount. Offline (no valid lease,
 * the cloud unreachable): the gateway sells within the stand-in limits, per card and per venue,
 * and marks the transaction for reconciliation.
 */
import type { PosCharge } from '../context.js';
import type { Leg } from '../journal/journal.js';
import type { Purchase } from '../promotions/engine.js';
import { partnerKey } from '../promotions/rules.js';
import type { TapBody } from '../types.js';
import { configIndex, type PointOfSale, type VenueConfig } from '../venue-config.js';
import type { CardBook, CardState } from './card-book.js';
import { addToLeg, splitPayment } from './payment.js';
import { priceCart } from './pricing.js';
import { type ChargedItem, promote, promoteCharge } from './promotions.js';
import { authorizePour } from './selfpour.js';

/** Promotions applied (discount per rule), the items bought and the lines the terminal shows. */
export interface Promotion {
  promo?: { rule: string; amount: number }[];
  /** A POS charge's items also carry the unit price charged and the rule that set it. */
  items?: ({ sku: string; qty: number } | ChargedItem)[];
  lines?: string[];
}

export type Decision =
  | ({
      ok: true;
      type: 'spend' | 'topup' | 'balance';
      legs: Leg[];
      amount: number;
      offline: boolean;
      standIn: number;
    } & Promotion)
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
  charge?: PosCharge;
  /** Membership from the gateway's cache of the cloud's status (undefined: standalone, badges decide). */
  member?: boolean;
  /**
   * Partner perks: whether the card holds a valid membership the key names (the membership cache),
   * undefined when the cloud never named that key (the badge balance decides).
   */
  partner?: (key: string) => boolean | undefined;
  /** The card's purchases here since a time (history promotions); read only when a rule needs it. */
  history?: (since: number) => Purchase[];
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
    const member = ctx.member ?? isMember(book, card, config.memberBadges);
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
  let promotion: Promotion = {};
  // The partner memberships the card holds, by the rules' keys: the membership periods when the
  // cloud names that membership, else (standalone, a badge that is no membership) the badge balance.
  const badges = () =>
    (config.promotions ?? []).flatMap((r) => {
      if (r.kind !== 'partner') return [];
      const key = partnerKey(r);
      const held = ctx.partner?.(key) ?? (r.badge !== undefined && book.available(card, r.badge) > 0);
      return held ? [key] : [];
    });
  if (tap.ref !== undefined) {
    // A POS charge: the amount is the one the POS pushed, never the terminal's own.
    if (!ctx.charge) return { ok: false, reason: 'not-allowed' };
    amount = ctx.charge.amt;
    // A charge for a whole order carries its lines: the member price (a member of this venue) and
    // the card's own rules (history, partner perks) may lower them, as they would a terminal cart.
    // The POS settles the order at what was charged.
    const cart = ctx.charge.cart;
    const member =
      cart && cart.length > 0 ? (ctx.member ?? isMember(book, card, config.memberBadges)) : false;
    if (cart && cart.length > 0 && (config.promotions?.length || member)) {
      const p = promoteCharge({
        config,
        pos: ctx.pos,
        cart,
        member,
        badges: badges(),
        now: ctx.now,
        history: ctx.history,
      });
      if (p && p.total < amount) {
        amount = p.total;
        promotion = { promo: p.promo, items: p.items, lines: p.lines };
      } else if (p) promotion = { items: p.items };
    }
  } else if (tap.cart && tap.cart.length > 0) {
    const member = ctx.member ?? isMember(book, card, config.memberBadges);
    const priced = priceCart(ctx.pos?.products ?? [], tap.cart, member);
    if (!priced.ok) return { ok: false, reason: priced.reason };
    amount = priced.total;
    // Promotions: the best rule per line for this card; never more than the terminal showed.
    const p = config.promotions?.length
      ? promote({
          config,
          pos: ctx.pos,
          cart: tap.cart,
          member,
          badges: badges(),
          now: ctx.now,
          history: ctx.history,
        })
      : undefined;
    if (p && p.total <= amount) {
      amount = p.total;
      promotion = { promo: p.promo, items: p.items, lines: p.lines };
    } else if (p) promotion = { items: p.items };
  } else {
    // A bare amount: a terminal cannot invent a price.
    return { ok: false, reason: 'not-allowed' };
  }
  if (amount <= 0) return { ok: false, reason: 'not-allowed' };

  const split = splitPayment(amount, (a) => book.available(card, a), config.paymentPriority);
  if (split.missing === 0)
    return {
      ok: true,
      type: 'spend',
      legs: split.legs,
      amount,
      offline: !ctx.leaseValid,
      standIn: 0,
      ...promotion,
    };
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
    ...promotion,
  };
}
