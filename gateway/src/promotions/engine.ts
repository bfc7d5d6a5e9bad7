/**
 * The promotion engine (pure: no I/O, no clock of its own): (cart, card history, clock, rules)
 * → priced lines, each with the rule that lowered it.
 *
 * One rule per line, never stacked: for each line the engine takes the lowest unit price among
 * the card's own price (the member price for a member, else the list price) and what each
 * applicable rule gives; a rule that does not lower the price does not apply. Ties go to the
 * rule with the smaller id, so the same inputs always give the same answer.
 *
 * Rounding: a percentage is rounded to basis points (12.345 % → 1235 bp), and applied per unit;
 * the unit discount is rounded down to the minor unit (floor(unit × bp / 10000)), so the holder
 * never gets more than the percentage, pays at most one minor unit per unit above the exact
 * figure, and a line of n units always costs n × the unit price shown.
 */
import type { Product } from '../venue-config.js';
import { inWindow, type LocalTime, localTime } from './clock.js';
import { type HappyHourRule, type PromotionRule, partnerKey } from './rules.js';

export interface Purchase {
  sku: string;
  qty: number;
  at: number;
}

export interface PricingInput {
  /** The menu, with its own prices (a happy-hour overlay's `list` is read back, never stacked). */
  products: Product[];
  lines: { sku: string; qty: number }[];
  rules: PromotionRule[];
  at: number;
  timeZone: string;
  pos?: string;
  member: boolean;
  /**
   * The partner memberships the card holds (partner perks), by key (partnerKey: `product:<id>` or
   * a badge): a valid membership period, or the badge balance where the cloud names no membership.
   */
  badges: string[];
  /** The card's past purchases here (history rules); only those before `at` count. */
  history: Purchase[];
}

export interface PricedLine {
  sku: string;
  qty: number;
  /** What the card pays per unit without promotion (its member price when a member). */
  base: number;
  unit: number;
  /** The rule that set `unit`, if any. */
  rule?: string;
  /** (base − unit) × qty. */
  discount: number;
}

export type Pricing =
  | {
      ok: true;
      lines: PricedLine[];
      total: number;
      discount: number;
      byRule: { rule: string; amount: number }[];
    }
  | { ok: false; reason: 'unknown-sku'; sku: string };

const DAY_MS = 86_400_000;

export const basisPoints = (pct: number) => Math.round(pct * 100);

export function percentOff(unit: number, pct: number): number {
  return unit - Math.floor((unit * basisPoints(pct)) / 10_000);
}

/** The product's own prices, even when the menu carries a happy-hour overlay. */
export function ownPrices(p: Product): { price: number; memberPrice?: number } {
  return p.list ? { price: p.list.price, memberPrice: p.list.memberPrice } : p;
}

export function applies(r: PromotionRule, pos: string | undefined): boolean {
  return r.active !== false && (!r.pos || (pos !== undefined && r.pos.includes(pos)));
}

export function happyHourOn(r: HappyHourRule, t: LocalTime): boolean {
  return r.windows.some((w) => inWindow(w, t));
}

/** The unit price rule `r` gives product `p` for a card whose own price is `base`, if it applies. */
function ruleUnit(
  r: PromotionRule,
  p: Product,
  base: number,
  i: PricingInput,
  t: LocalTime,
  bought: (sku: string, days: number) => number,
): number | undefined {
  switch (r.kind) {
    case 'happy-hour': {
      if (!happyHourOn(r, t)) return undefined;
      const fixed = r.prices?.find((x) => x.sku === p.sku);
      if (fixed) return fixed.price;
      const cat = p.category === undefined ? undefined : r.categories?.find((c) => c.category === p.category);
      return cat ? percentOff(base, cat.pct) : undefined;
    }
    case 'history':
      return r.target === p.sku && bought(r.bought, r.days) >= r.times ? percentOff(base, r.pct) : undefined;
    case 'partner': {
      if (!i.badges.includes(partnerKey(r))) return undefined;
      const scoped = r.categories !== undefined || r.skus !== undefined;
      const inScope =
        (r.skus?.includes(p.sku) ?? false) ||
        (p.category !== undefined && (r.categories?.includes(p.category) ?? false));
      return !scoped || inScope ? percentOff(base, r.pct) : undefined;
    }
  }
}

export function priceLines(i: PricingInput): Pricing {
  const bySku = new Map(i.products.map((p) => [p.sku, p]));
  const t = localTime(i.at, i.timeZone);
  const rules = i.rules
    .filter((r) => applies(r, i.pos))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const counts = new Map<string, number>();
  const bought = (sku: string, days: number) => {
    const key = `${sku}\u0000${days}`;
    let n = counts.get(key);
    if (n === undefined) {
      const since = i.at - days * DAY_MS;
      n = i.history.reduce((s, h) => (h.sku === sku && h.at >= since && h.at < i.at ? s + h.qty : s), 0);
      counts.set(key, n);
    }
    return n;
  };
  const lines: PricedLine[] = [];
  for (const l of i.lines) {
    const p = bySku.get(l.sku);
    if (!p) return { ok: false, reason: 'unknown-sku', sku: l.sku };
    const own = ownPrices(p);
    const base = i.member && own.memberPrice !== undefined ? Math.min(own.memberPrice, own.price) : own.price;
    let unit = base;
    let rule: string | undefined;
    for (const r of rules) {
      const u = ruleUnit(r, p, base, i, t, bought);
      if (u !== undefined && u < unit) {
        unit = u;
        rule = r.id;
      }
    }
    lines.push({ sku: l.sku, qty: l.qty, base, unit, rule, discount: (base - unit) * l.qty });
  }
  const byRule = new Map<string, number>();
  for (const l of lines) if (l.rule) byRule.set(l.rule, (byRule.get(l.rule) ?? 0) + l.discount);
  return {
    ok: true,
    lines,
    total: lines.reduce((s, l) => s + l.unit * l.qty, 0),
    discount: lines.reduce((s, l) => s + l.discount, 0),
    byRule: [...byRule].map(([rule, amount]) => ({ rule, amount })),
  };
}
