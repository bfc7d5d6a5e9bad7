/**
 * Stock: items (ingredients or bottles), recipes per product sku, automatic decrement on sale
 * (and return on void), manual adjustments and inventory counts with a reason, low-stock alerts
 * (SSE "stock" channel), stock value.
 */
import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { esc, money, page } from './html.js';
import { type Lang, pickLang, strings } from './i18n.js';
import type { Hub } from './sse.js';
import { ID, type Staff } from './staff.js';

export interface StockItem {
  id: string;
  name: string;
  unit: string;
  qty: number;
  low: number;
  /** Cost of one unit, minor units. */
  cost: number;
}

export interface SoldLine {
  sku: string;
  qty: number;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

export class Stock {
  constructor(
    private readonly db: Database.Database,
    private readonly hub: Hub,
  ) {}

  items(): (StockItem & { value: number; lowAlert: boolean })[] {
    return (this.db.prepare('SELECT * FROM app_stock_items ORDER BY name').all() as StockItem[]).map((i) => ({
      ...i,
      qty: round(i.qty),
      value: Math.round(i.qty * i.cost),
      lowAlert: i.qty <= i.low,
    }));
  }

  item(id: string): StockItem | undefined {
    return this.db.prepare('SELECT * FROM app_stock_items WHERE id = ?').get(id) as StockItem | undefined;
  }

  upsertItem(i: Omit<StockItem, 'qty'> & { qty?: number }): void {
    this.db
      .prepare(
        `INSERT INTO app_stock_items (id, name, unit, qty, low, cost) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, unit = excluded.unit, low = excluded.low, cost = excluded.cost`,
      )
      .run(i.id, i.name, i.unit, i.qty ?? 0, i.low, i.cost);
  }

  recipe(sku: string): { item: string; qty: number }[] {
    return this.db.prepare('SELECT item, qty FROM app_recipes WHERE sku = ? ORDER BY item').all(sku) as {
      item: string;
      qty: number;
    }[];
  }

  recipes(): Record<string, { item: string; qty: number }[]> {
    const out: Record<string, { item: string; qty: number }[]> = {};
    for (const r of this.db.prepare('SELECT sku, item, qty FROM app_recipes ORDER BY sku, item').all() as {
      sku: string;
      item: string;
      qty: number;
    }[]) {
      out[r.sku] ??= [];
      out[r.sku].push({ item: r.item, qty: r.qty });
    }
    return out;
  }

  setRecipe(sku: string, parts: { item: string; qty: number }[]): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM app_recipes WHERE sku = ?').run(sku);
      const ins = this.db.prepare('INSERT INTO app_recipes (sku, item, qty) VALUES (?, ?, ?)');
      for (const p of parts) ins.run(sku, p.item, p.qty);
    })();
  }

  /** What one unit of a product uses: its recipe, or the stock item of the same id, or nothing. */
  private usage(sku: string): { item: string; qty: number }[] {
    const r = this.recipe(sku);
    if (r.length > 0) return r;
    return this.item(sku) ? [{ item: sku, qty: 1 }] : [];
  }

  private move(item: string, delta: number, reason: string, ref: string | null, who: string | null): void {
    const before = this.item(item);
    if (!before) return;
    this.db.prepare('UPDATE app_stock_items SET qty = qty + ? WHERE id = ?').run(delta, item);
    this.db
      .prepare('INSERT INTO app_stock_moves (item, delta, reason, ref, who, at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(item, delta, reason, ref, who, Date.now());
    const qty = round(before.qty + delta);
    this.hub.publish('stock', 'item', { id: item, qty });
    if (qty <= before.low && before.qty > before.low) {
      const alert = { id: item, name: before.name, qty, low: before.low, unit: before.unit };
      this.hub.publish('stock', 'low', alert);
      this.hub.publish('alerts', 'low', alert);
    }
  }

  /** A sale (sign -1) or its void (sign +1). Runs inside the caller's transaction. */
  applySale(orderId: string, lines: SoldLine[], who: string, sign: -1 | 1): void {
    const totals = new Map<string, number>();
    for (const l of lines)
      for (const u of this.usage(l.sku)) totals.set(u.item, (totals.get(u.item) ?? 0) + u.qty * l.qty);
    for (const [item, qty] of totals) this.move(item, sign * qty, sign < 0 ? 'sale' : 'void', orderId, who);
  }

  adjust(item: string, delta: number, reason: string, who: string): boolean {
    if (!this.item(item)) return false;
    this.db.transaction(() => this.move(item, delta, `adjust:${reason}`, null, who))();
    return true;
  }

  count(item: string, counted: number, who: string): { ok: boolean; delta?: number } {
    const i = this.item(item);
    if (!i) return { ok: false };
    const delta = round(counted - i.qty);
    this.db.transaction(() => this.move(item, delta, 'count', null, who))();
    return { ok: true, delta };
  }

  alerts(): StockItem[] {
    return this.db
      .prepare('SELECT * FROM app_stock_items WHERE qty <= low ORDER BY name')
      .all() as StockItem[];
  }

  moves(
    limit = 100,
  ): { item: string; delta: number; reason: string; ref: string | null; who: string | null; at: number }[] {
    return this.db
      .prepare('SELECT item, delta, reason, ref, who, at FROM app_stock_moves ORDER BY id DESC LIMIT ?')
      .all(limit) as never;
  }

  value(): number {
    return this.items().reduce((s, i) => s + i.value, 0);
  }
}

function stockPage(stock: Stock, lang: Lang, currency: string): string {
  const t = strings(lang).stock;
  const rows = stock
    .items()
    .map(
      (
        i,
      ) => `<tr class="${i.lowAlert ? 'low' : ''}" data-item="${esc(i.id)}"><td>${esc(i.name)}</td><td class="num qty"><span class="v">${esc(i.qty)}</span> ${esc(i.unit)}</td>
<td class="num">${esc(i.low)}</td><td class="num">${esc(money(i.value, currency, lang))}</td>
<td><form class="adjust" data-item="${esc(i.id)}"><input name="delta" type="number" step="any" required placeholder="±" aria-label="${esc(t.delta)}">
<input name="reason" required placeholder="${esc(t.reason)}" maxlength="100"><button>${esc(t.adjust)}</button></form></td></tr>`,
    )
    .join('');
  const moves = stock
    .moves(30)
    .map(
      (m) =>
        `<tr><td>${esc(new Date(m.at).toISOString().slice(0, 16).replace('T', ' '))}</td><td>${esc(m.item)}</td><td class="num">${esc(m.delta)}</td><td>${esc(m.reason)}</td><td>${esc(m.who ?? '')}</td></tr>`,
    )
    .join('');
  return page({
    lang,
    title: t.title,
    scripts: ['stock.js'],
    body: `<header class="bar"><a href="/apps/?lang=${lang}">⌂</a><h1>${esc(t.title)}</h1><span>${esc(t.value)}: <b>${esc(money(stock.value(), currency, lang))}</b></span></header>
<main class="pad"><div id="alerts" role="status"></div>
<table class="grid"><thead><tr><th>${esc(t.item)}</th><th>${esc(t.qty)}</th><th>${esc(t.low)}</th><th>${esc(t.value)}</th><th>${esc(t.adjust)}</th></tr></thead><tbody>${rows}</tbody></table>
<h2>${esc(t.moves)}</h2><table class="grid"><tbody>${moves}</tbody></table></main>`,
  });
}

export function stockRoutes(app: FastifyInstance, stock: Stock, staff: Staff, currency: () => string): void {
  const who = { type: 'string', maxLength: 64 };
  const deny = (by: string | undefined) => !staff.can(by, 'stock');
  app.get('/apps/stock', async (req, reply) => {
    const q = req.query as { lang?: string };
    return reply
      .type('text/html; charset=utf-8')
      .send(stockPage(stock, pickLang(q.lang, req.headers['accept-language']), currency()));
  });
  app.get('/apps/api/stock', async () => ({
    items: stock.items(),
    recipes: stock.recipes(),
    alerts: stock.alerts(),
    value: stock.value(),
  }));
  app.get('/apps/api/stock/moves', async () => stock.moves(500));
  app.put(
    '/apps/api/stock/items/:id',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: ID } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'unit'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 80 },
            unit: { type: 'string', minLength: 1, maxLength: 16 },
            qty: { type: 'number', minimum: -1e9, maximum: 1e9 },
            low: { type: 'number', minimum: 0, maximum: 1e9, default: 0 },
            cost: { type: 'integer', minimum: 0, maximum: 1e9, default: 0 },
            by: who,
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as Omit<StockItem, 'id'> & { by?: string };
      if (deny(b.by)) return reply.code(403).send({ error: 'no-right' });
      stock.upsertItem({
        id: (req.params as { id: string }).id,
        name: b.name,
        unit: b.unit,
        qty: b.qty,
        low: b.low,
        cost: b.cost,
      });
      return { ok: true };
    },
  );
  app.put(
    '/apps/api/stock/recipes/:sku',
    {
      schema: {
        params: { type: 'object', properties: { sku: { type: 'string', pattern: ID } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['parts'],
          properties: {
            parts: {
              type: 'array',
              maxItems: 50,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['item', 'qty'],
                properties: {
                  item: { type: 'string', pattern: ID },
                  qty: { type: 'number', exclusiveMinimum: 0, maximum: 1e6 },
                },
              },
            },
            by: who,
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { parts: { item: string; qty: number }[]; by?: string };
      if (deny(b.by)) return reply.code(403).send({ error: 'no-right' });
      const missing = b.parts.find((p) => !stock.item(p.item));
      if (missing) return reply.code(404).send({ error: 'unknown-item', item: missing.item });
      stock.setRecipe((req.params as { sku: string }).sku, b.parts);
      return { ok: true };
    },
  );
  app.post(
    '/apps/api/stock/adjust',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['item', 'delta', 'reason'],
          properties: {
            item: { type: 'string', pattern: ID },
            delta: { type: 'number', minimum: -1e9, maximum: 1e9 },
            reason: { type: 'string', minLength: 1, maxLength: 100 },
            by: who,
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { item: string; delta: number; reason: string; by?: string };
      if (deny(b.by)) return reply.code(403).send({ error: 'no-right' });
      if (!stock.adjust(b.item, b.delta, b.reason, b.by ?? ''))
        return reply.code(404).send({ error: 'unknown-item' });
      return { ok: true, item: stock.item(b.item) };
    },
  );
  app.post(
    '/apps/api/stock/count',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['item', 'counted'],
          properties: {
            item: { type: 'string', pattern: ID },
            counted: { type: 'number', minimum: 0, maximum: 1e9 },
            by: who,
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { item: string; counted: number; by?: string };
      if (deny(b.by)) return reply.code(403).send({ error: 'no-right' });
      const r = stock.count(b.item, b.counted, b.by ?? '');
      return r.ok ? r : reply.code(404).send({ error: 'unknown-item' });
    },
  );
}
