/**
 * Promotions at tap time (pure): a terminal cart, already checked against the effective menu
 * (pricing.ts), or a POS order's lines carried by its charge, priced again by the promotion
 * engine with what the gateway knows of the card (member, badges held, past purchases). The
 * charge is never above the total the terminal or the POS showed.
 */

import { type Purchase, priceLines } from '../promotions/engine.js';
import { DEFAULT_TIME_ZONE } from '../promotions/menu.js';
import type { CartLine } from '../types.js';
import type { PointOfSale, VenueConfig } from '../venue-config.js';

export interface Promoted {
  total: number;
  /** Discount per rule, minor units. */
  promo: { rule: string; amount: number }[];
  /** What the card bought (journaled: history rules read it back). */
  items: { sku: string; qty: number }[];
  /** For the terminal's screen: one line per rule applied. */
  lines: string[];
}

const DAY_MS = 86_400_000;

interface PromoteInput {
  config: VenueConfig;
  pos: PointOfSale | undefined;
  cart: CartLine[];
  member: boolean;
  badges: string[];
  now: number;
  history?: (since: number) => Purchase[];
}

/** The engine's answer for a cart, with the card's history read only when a rule needs it. */
function priced(o: PromoteInput) {
  const rules = o.config.promotions ?? [];
  if (!o.pos) return undefined;
  const needsHistory = rules.some((r) => r.kind === 'history' && r.active !== false);
  const days = Math.max(0, ...rules.map((r) => (r.kind === 'history' ? r.days : 0)));
  const p = priceLines({
    products: o.pos.products,
    lines: o.cart.map((l) => ({ sku: l.sku, qty: l.qty })),
    rules,
    at: o.now,
    timeZone: o.config.timeZone ?? DEFAULT_TIME_ZONE,
    pos: o.pos.id,
    member: o.member,
    badges: o.badges,
    history: needsHistory && o.history ? o.history(o.now - days * DAY_MS) : [],
  });
  return p.ok ? p : undefined;
}

/**
 * What a member price took off a POS order's line (the POS's prices are list prices): recorded as
 * this pseudo-rule beside the real rules (journal `extra.promo`, `app_order_discounts`, reports).
 * Not a valid rule id to collide with: rule ids are admin-chosen, so it is also named apart below.
 */
export const MEMBER_PRICE_RULE = 'member-price';
/** Its name on the receipt, the fiscal lines and the reports (receipts are French). */
export const MEMBER_PRICE_NAME = 'Prix adhérent';
/** Its name on the terminal's screen (ASCII). */
const MEMBER_PRICE_SCREEN = 'Membre';

/** Terminal lines: one per rule applied (the first two), name and discount. */
function screenLines(rules: VenueConfig['promotions'], promo: { rule: string; amount: number }[]): string[] {
  const name = new Map((rules ?? []).map((r) => [r.id, r.name]));
  if (!name.has(MEMBER_PRICE_RULE)) name.set(MEMBER_PRICE_RULE, MEMBER_PRICE_SCREEN);
  return promo
    .slice(0, 2)
    .map((p) => `${(name.get(p.rule) ?? p.rule).slice(0, 12)} -${(p.amount / 100).toFixed(2)}`);
}

/**
 * A POS order line as the card pays it: `unit` below the order's `price` when `rule` lowered it
 * (`MEMBER_PRICE_RULE` when the member price alone did). `member`: the member unit price, when a
 * rule then lowered it further (the line's discount is the member price's part plus the rule's).
 */
export interface ChargedItem {
  sku: string;
  qty: number;
  unit: number;
  rule?: string;
  member?: number;
}

export interface PromotedCharge {
  total: number;
  /** What each rule took off the order's prices (sums to the order's total minus `total`). */
  promo: { rule: string; amount: number }[];
  items: ChargedItem[];
  lines: string[];
}

/**
 * A POS charge that pays a whole order: the order's lines keep the prices the POS charged (list
 * or happy prices, the same for every customer), and once the card is known: a member pays the
 * member price of a line the order had above it, and a line the card's rules price lower still (a
 * history reward, a partner perk, a happy hour opened since the order) is charged that lower unit
 * price. What the member price and each rule took off is measured from the order's price, so the
 * discounts add up to what the card did not pay and the receipt shows the same figures.
 */
export function promoteCharge(
  o: Omit<PromoteInput, 'member'> & { member?: boolean },
): PromotedCharge | undefined {
  const member = o.member ?? false;
  const p = priced({ ...o, member });
  if (!p) return undefined;
  const by = new Map<string, number>();
  const add = (rule: string, amount: number) => {
    if (amount > 0) by.set(rule, (by.get(rule) ?? 0) + amount);
  };
  const items = o.cart.map((l, i): ChargedItem => {
    const x = p.lines[i];
    // the member price (the engine's base for a member), never above what the order had
    const m = member ? Math.min(x.base, l.price) : l.price;
    const byRule = x.rule !== undefined && x.unit < m;
    const unit = byRule ? x.unit : m;
    if (unit >= l.price) return { sku: l.sku, qty: l.qty, unit: l.price };
    add(MEMBER_PRICE_RULE, (l.price - m) * l.qty);
    if (!byRule) return { sku: l.sku, qty: l.qty, unit, rule: MEMBER_PRICE_RULE };
    add(x.rule as string, (m - unit) * l.qty);
    return m < l.price
      ? { sku: l.sku, qty: l.qty, unit, rule: x.rule, member: m }
      : { sku: l.sku, qty: l.qty, unit, rule: x.rule };
  });
  const promo = [...by].map(([rule, amount]) => ({ rule, amount }));
  return {
    total: items.reduce((s, l) => s + l.unit * l.qty, 0),
    promo,
    items,
    lines: screenLines(o.config.promotions, promo),
  };
}

export function promote(o: PromoteInput): Promoted | undefined {
  const p = priced(o);
  if (!p) return undefined;
  const out = p.byRule.filter((x) => x.amount > 0);
  return {
    total: p.total,
    promo: out,
    items: o.cart.map((l) => ({ sku: l.sku, qty: l.qty })),
    lines: screenLines(o.config.promotions, out),
  };
}
