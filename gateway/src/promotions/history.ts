/**
 * A card's purchases at this venue, for history rules, read from the gateway's own records:
 * the journal's spends (a terminal cart's items are journaled with the tap) and the POS orders
 * those spends paid. Voided spends do not count.
 *
 * Only this venue's history: the cloud's config download is per venue and carries no per-card
 * data (thousands of cards, other venues' menus with other skus, and holders' habits that are
 * not this venue's business); a rule about another venue's customers is a partner perk.
 */
import type Database from 'better-sqlite3';
import type { Purchase } from './engine.js';

const indexed = new WeakSet<Database.Database>();

function ensureIndexes(db: Database.Database): void {
  if (indexed.has(db)) return;
  // Lookups by card over a time range; the journal itself only ever reads by tx or seq.
  db.exec('CREATE INDEX IF NOT EXISTS tx_card_at ON tx(card, at)');
  const pos = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'app_payments'").get();
  if (pos) db.exec('CREATE INDEX IF NOT EXISTS app_payments_tx ON app_payments(tx)');
  indexed.add(db);
}

export function cardHistory(db: Database.Database, uid: string, since: number): Purchase[] {
  ensureIndexes(db);
  const out: Purchase[] = [];
  const rows = db
    .prepare(
      `SELECT t.tx, t.at, t.extra FROM tx t WHERE t.card = ? AND t.type = 'spend' AND t.at >= ?
       AND NOT EXISTS (SELECT 1 FROM tx v WHERE v.tx = substr('void-' || t.tx, 1, 64))`,
    )
    .all(uid, since) as { tx: string; at: number; extra: string | null }[];
  const hasPos = !!db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'app_payments'")
    .get();
  const posLines = hasPos
    ? db.prepare(
        `SELECT l.sku, l.qty FROM app_payments p JOIN app_order_lines l ON l.order_id = p.order_id
         WHERE p.tx = ? AND p.status = 'approved'`,
      )
    : undefined;
  for (const r of rows) {
    const items = r.extra
      ? (JSON.parse(r.extra) as { items?: { sku: string; qty: number }[] }).items
      : undefined;
    if (items) for (const i of items) out.push({ sku: i.sku, qty: i.qty, at: r.at });
    else if (posLines)
      for (const l of posLines.all(r.tx) as { sku: string; qty: number }[])
        out.push({ sku: l.sku, qty: l.qty, at: r.at });
  }
  return out;
}
