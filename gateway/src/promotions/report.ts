/**
 * Discounts per promotion rule, for the reports: card taps carry theirs in the journal
 * (`extra.promo`: terminal carts, and POS charges the card's own rules lowered); POS orders are
 * priced from the effective menu (happy prices), so what a happy hour took off an order is
 * recorded when the order is paid (and dropped when voided).
 */
import type Database from 'better-sqlite3';
import { MEMBER_PRICE_NAME, MEMBER_PRICE_RULE } from '../authorizer/promotions.js';
import type { PointOfSale, VenueConfig } from '../venue-config.js';
import { menuAt } from './menu.js';

export interface RuleDiscount {
  rule: string;
  name: string;
  uses: number;
  amount: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS app_promo_sales (
  order_id TEXT NOT NULL,
  rule TEXT NOT NULL,
  amount INTEGER NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (order_id, rule)
);
`;

export function createPromoTables(db: Database.Database): void {
  db.exec(SCHEMA);
}

/**
 * What the happy hours of the order's time took off its lines (pure). A line a paying card's
 * promotion lowered further is read at the price the order had (`list`): the happy hour's part is
 * counted here, the card rule's part is in the journal record of the tap.
 */
export function orderDiscounts(
  config: VenueConfig,
  pos: PointOfSale,
  lines: { sku: string; qty: number; price: number; list?: number }[],
  at: number,
): { rule: string; amount: number }[] {
  const menu = new Map(menuAt(config, pos, at).map((p) => [p.sku, p]));
  const by = new Map<string, number>();
  for (const l of lines) {
    const p = menu.get(l.sku);
    const sold = l.list ?? l.price;
    if (p?.list && sold === p.price && p.list.price > sold)
      by.set(p.list.rule, (by.get(p.list.rule) ?? 0) + (p.list.price - sold) * l.qty);
  }
  return [...by].map(([rule, amount]) => ({ rule, amount }));
}

export function recordOrderDiscounts(
  db: Database.Database,
  orderId: string,
  discounts: { rule: string; amount: number }[],
  at: number,
): void {
  const ins = db.prepare(
    'INSERT OR IGNORE INTO app_promo_sales (order_id, rule, amount, at) VALUES (?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (const d of discounts) ins.run(orderId, d.rule, d.amount, at);
  })();
}

export function dropOrderDiscounts(db: Database.Database, orderId: string): void {
  db.prepare('DELETE FROM app_promo_sales WHERE order_id = ?').run(orderId);
}

/** Discounts per rule between two times (voided taps excluded), largest first. */
export function discountsByRule(
  db: Database.Database,
  from: number,
  to: number,
  names: Map<string, string>,
): RuleDiscount[] {
  const taps = db
    .prepare(
      `SELECT json_extract(p.value, '$.rule') AS rule, count(*) AS uses, sum(json_extract(p.value, '$.amount')) AS amount
       FROM tx t, json_each(t.extra, '$.promo') p
       WHERE t.type = 'spend' AND t.at >= ? AND t.at < ? AND t.extra LIKE '%"promo"%'
       AND NOT EXISTS (SELECT 1 FROM tx v WHERE v.tx = substr('void-' || t.tx, 1, 64))
       GROUP BY rule`,
    )
    .all(from, to) as { rule: string; uses: number; amount: number }[];
  // POS orders exist only where the venue apps run.
  const apps = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'app_promo_sales'")
    .get();
  const orders = apps
    ? (db
        .prepare(
          'SELECT rule, count(*) AS uses, sum(amount) AS amount FROM app_promo_sales WHERE at >= ? AND at < ? GROUP BY rule',
        )
        .all(from, to) as { rule: string; uses: number; amount: number }[])
    : [];
  const out = new Map<string, RuleDiscount>();
  for (const r of [...taps, ...orders]) {
    const d = out.get(r.rule) ?? {
      rule: r.rule,
      name: names.get(r.rule) ?? (r.rule === MEMBER_PRICE_RULE ? MEMBER_PRICE_NAME : r.rule),
      uses: 0,
      amount: 0,
    };
    d.uses += r.uses;
    d.amount += r.amount;
    out.set(r.rule, d);
  }
  return [...out.values()].sort((a, b) => b.amount - a.amount || (a.rule < b.rule ? -1 : 1));
}
