/**
 * Happy hours on the menu: the effective config carries, while a window is on, the happy
 * prices in its points of sale (POS grids, the POS's stale-price check, terminal menus and
 * terminal carts then all see the same price), with each changed product's own prices in
 * `list`. Card-dependent rules (history, partner perks) are applied per tap, not here.
 *
 * effectiveConfig() is called on every tap: it keeps its answer (the same object, so lookups
 * cached per config stay cached) until the next minute, and rebuilds it only when the set of
 * open windows changed.
 */
import type { PointOfSale, Product, VenueConfig } from '../venue-config.js';
import { localTime } from './clock.js';
import { applies, happyHourOn, priceLines } from './engine.js';
import type { HappyHourRule } from './rules.js';

export const DEFAULT_TIME_ZONE = 'Europe/Paris';

const happyRules = (c: VenueConfig) =>
  (c.promotions ?? []).filter((r): r is HappyHourRule => r.kind === 'happy-hour' && r.active !== false);

/** Ids of the happy hours open at `at`, sorted: the effective menu changes exactly when this does. */
export function openHappyHours(c: VenueConfig, at: number): string[] {
  const rules = happyRules(c);
  if (rules.length === 0) return [];
  const t = localTime(at, c.timeZone ?? DEFAULT_TIME_ZONE);
  return rules
    .filter((r) => happyHourOn(r, t))
    .map((r) => r.id)
    .sort();
}

/** A point of sale's menu at `at` (pure). */
export function menuAt(c: VenueConfig, pos: PointOfSale, at: number): Product[] {
  const rules = happyRules(c).filter((r) => applies(r, pos.id));
  if (rules.length === 0) return pos.products;
  const timeZone = c.timeZone ?? DEFAULT_TIME_ZONE;
  const price = (member: boolean) =>
    priceLines({
      products: pos.products,
      lines: pos.products.map((p) => ({ sku: p.sku, qty: 1 })),
      rules,
      at,
      timeZone,
      pos: pos.id,
      member,
      badges: [],
      history: [],
    });
  const plain = price(false);
  const member = price(true);
  if (!plain.ok || !member.ok) return pos.products;
  if (plain.lines.every((l) => !l.rule) && member.lines.every((l) => !l.rule)) return pos.products;
  return pos.products.map((p, i) => {
    const a = plain.lines[i];
    const m = member.lines[i];
    if (!a.rule && !m.rule) return p;
    const out: Product = {
      ...p,
      price: a.unit,
      list: { price: p.price, rule: (a.rule ?? m.rule) as string },
    };
    if (p.memberPrice !== undefined) out.list!.memberPrice = p.memberPrice;
    if (p.memberPrice !== undefined || m.unit < a.unit) out.memberPrice = m.unit;
    else delete out.memberPrice;
    return out;
  });
}

const memo = new WeakMap<VenueConfig, { key: string; until: number; value: VenueConfig }>();
const bases = new WeakMap<VenueConfig, VenueConfig>();

/** The config with the happy prices of `at` (the config itself when no happy hour is open). */
export function effectiveConfig(c: VenueConfig, at: number): VenueConfig {
  const m = memo.get(c);
  if (m && at < m.until && at >= m.until - 60_000) return m.value;
  const open = openHappyHours(c, at);
  const key = open.join('\n');
  const until = Math.floor(at / 60_000) * 60_000 + 60_000;
  if (m && m.key === key) {
    m.until = until;
    return m.value;
  }
  const value =
    open.length === 0
      ? c
      : { ...c, pointsOfSale: c.pointsOfSale.map((p) => ({ ...p, products: menuAt(c, p, at) })) };
  if (value !== c) bases.set(value, c);
  memo.set(c, { key, until, value });
  return value;
}

/** The config an effective config was made from (what an admin edit must change and save). */
export function baseConfig(c: VenueConfig): VenueConfig {
  return bases.get(c) ?? c;
}

/**
 * Calls `changed` when the set of open happy hours changes (checked at each minute boundary, as
 * windows are in whole minutes): the gateway then pushes the terminals their new menus.
 */
export function watchHappyHours(
  config: () => VenueConfig,
  changed: () => void,
  now: () => number = Date.now,
): { stop(): void } {
  let last = openHappyHours(config(), now()).join('\n');
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const t = now();
    timer = setTimeout(tick, 60_000 - (t % 60_000) + 5);
    timer.unref();
  };
  const tick = () => {
    const key = openHappyHours(config(), now()).join('\n');
    if (key !== last) {
      last = key;
      changed();
    }
    arm();
  };
  arm();
  return {
    stop: () => clearTimeout(timer),
  };
}
