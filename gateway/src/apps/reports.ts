/**
 * Reports: Z-report (cash closure) per point of sale and cashier — sales by payment method,
 * voids, cash expected vs counted —, sales by product and by hour, consumption insight
 * (top products, basket size, repeat cards), CSV export and small SVG charts.
 */
import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import type { Journal } from '../journal/journal.js';
import type { RuleDiscount } from '../promotions/report.js';
import { esc, money, page } from './html.js';
import { type Lang, pickLang, strings } from './i18n.js';
import { ID, type Staff } from './staff.js';

export interface ZReport {
  pos: string;
  cashier: string | null;
  from: number;
  to: number;
  orders: number;
  voided: number;
  sales: number;
  byMethod: Record<string, number>;
  voids: Record<string, number>;
  byCashier: Record<string, { orders: number; sales: number }>;
  expectedCash: number;
}

export interface SalesRow {
  key: string;
  label: string;
  qty: number;
  orders: number;
  amount: number;
}

const startOfDay = (now = Date.now()) => {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
};

export class Reports {
  constructor(
    private readonly db: Database.Database,
    private readonly journal: Journal,
  ) {}

  /** Default period: since the last closure of this POS (and cashier), else since midnight. */
  since(pos: string, cashier: string | null): number {
    const r = this.db
      .prepare('SELECT max(to_at) AS t FROM app_closures WHERE pos = ? AND (cashier IS ? OR cashier IS NULL)')
      .get(pos, cashier) as { t: number | null };
    return r.t ?? startOfDay();
  }

  z(pos: string, cashier: string | null, from?: number, to?: number): ZReport {
    const f = from ?? this.since(pos, cashier);
    const t = to ?? Date.now() + 1;
    const orders = this.db
      .prepare(
        'SELECT id, cashier, status, total FROM app_orders WHERE pos = ? AND created_at >= ? AND created_at < ? AND (? IS NULL OR cashier = ?)',
      )
      .all(pos, f, t, cashier, cashier) as { id: string; cashier: string; status: string; total: number }[];
    const z: ZReport = {
      pos,
      cashier,
      from: f,
      to: t,
      orders: 0,
      voided: 0,
      sales: 0,
      byMethod: {},
      voids: {},
      byCashier: {},
      expectedCash: 0,
    };
    const pay = this.db.prepare(
      "SELECT method, amount, status FROM app_payments WHERE order_id = ? AND status IN ('approved','voided')",
    );
    for (const o of orders) {
      if (o.status === 'voided') z.voided++;
      if (o.status === 'paid') {
        z.orders++;
        z.sales += o.total;
        z.byCashier[o.cashier] ??= { orders: 0, sales: 0 };
        const c = z.byCashier[o.cashier];
        c.orders++;
        c.sales += o.total;
      }
      for (const p of pay.all(o.id) as { method: string; amount: number; status: string }[]) {
        if (p.status === 'approved') z.byMethod[p.method] = (z.byMethod[p.method] ?? 0) + p.amount;
        else z.voids[p.method] = (z.voids[p.method] ?? 0) + p.amount;
      }
    }
    z.expectedCash = z.byMethod.cash ?? 0;
    return z;
  }

  close(
    pos: string,
    cashier: string | null,
    counted: number,
  ): { id: number; z: ZReport; counted: number; diff: number } {
    const z = this.z(pos, cashier);
    const r = this.db
      .prepare(
        'INSERT INTO app_closures (pos, cashier, from_at, to_at, expected, counted, report, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(pos, cashier, z.from, z.to, z.expectedCash, counted, JSON.stringify(z), Date.now());
    return { id: Number(r.lastInsertRowid), z, counted, diff: counted - z.expectedCash };
  }

  closures(
    limit = 50,
  ): { id: number; pos: string; cashier: string | null; expected: number; counted: number; at: number }[] {
    return this.db
      .prepare('SELECT id, pos, cashier, expected, counted, at FROM app_closures ORDER BY id DESC LIMIT ?')
      .all(limit) as never;
  }

  sales(by: 'product' | 'hour', o: { from?: number; to?: number; pos?: string } = {}): SalesRow[] {
    const from = o.from ?? 0;
    const to = o.to ?? Date.now() + 1;
    const rows = this.db
      .prepare(
        `SELECT o.id AS id, o.paid_at AS at, l.sku AS sku, l.label AS label, l.qty AS qty, l.price AS price
         FROM app_orders o JOIN app_order_lines l ON l.order_id = o.id
         WHERE o.status = 'paid' AND o.paid_at >= ? AND o.paid_at < ? AND (? IS NULL OR o.pos = ?)`,
      )
      .all(from, to, o.pos ?? null, o.pos ?? null) as {
      id: string;
      at: number;
      sku: string;
      label: string;
      qty: number;
      price: number;
    }[];
    const out = new Map<string, SalesRow & { ids: Set<string> }>();
    for (const r of rows) {
      const d = new Date(r.at);
      const hour = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${String(d.getHours()).padStart(2, '0')}:00`;
      const key = by === 'product' ? r.sku : hour;
      const row = out.get(key) ?? {
        key,
        label: by === 'product' ? r.label : hour,
        qty: 0,
        orders: 0,
        amount: 0,
        ids: new Set<string>(),
      };
      row.qty += r.qty;
      row.amount += r.qty * r.price;
      row.ids.add(r.id);
      row.orders = row.ids.size;
      out.set(key, row);
    }
    const list = [...out.values()].map(({ ids: _ids, ...r }) => r);
    return by === 'product'
      ? list.sort((a, b) => b.amount - a.amount)
      : list.sort((a, b) => a.key.localeCompare(b.key));
  }

  insight(): {
    orders: number;
    basketAvg: number;
    itemsPerBasket: number;
    cards: number;
    repeatCards: number;
  } {
    const o = this.db
      .prepare("SELECT count(*) AS n, coalesce(avg(total), 0) AS avg FROM app_orders WHERE status = 'paid'")
      .get() as { n: number; avg: number };
    const items = this.db
      .prepare(
        "SELECT coalesce(sum(l.qty), 0) AS q FROM app_order_lines l JOIN app_orders o ON o.id = l.order_id WHERE o.status = 'paid'",
      )
      .get() as { q: number };
    const txs = this.db
      .prepare(
        "SELECT p.tx AS tx, p.order_id AS o FROM app_payments p WHERE p.method IN ('card', 'qr', 'nfc') AND p.status = 'approved' AND p.tx IS NOT NULL",
      )
      .all() as {
      tx: string;
      o: string;
    }[];
    const perCard = new Map<string, Set<string>>();
    for (const t of txs) {
      const rec = this.journal.find(t.tx);
      if (!rec) continue;
      const s = perCard.get(rec.card) ?? new Set<string>();
      s.add(t.o);
      perCard.set(rec.card, s);
    }
    return {
      orders: o.n,
      basketAvg: Math.round(o.avg),
      itemsPerBasket: o.n === 0 ? 0 : Math.round((items.q / o.n) * 10) / 10,
      cards: perCard.size,
      repeatCards: [...perCard.values()].filter((s) => s.size > 1).length,
    };
  }
}

/** RFC 4180 CSV; cells that a spreadsheet would run as a formula are prefixed with a quote. */
export function toCsv(header: string[], rows: (string | number)[][]): string {
  const cell = (v: string | number) => {
    let s = String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\n\r;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** A horizontal bar chart as inline SVG (no chart library needed for bars). */
export function barChart(rows: { label: string; value: number; text: string }[], width = 560): string {
  if (rows.length === 0) return '';
  const max = Math.max(...rows.map((r) => r.value), 1);
  const h = 26;
  const labelW = 150;
  const bars = rows
    .map((r, i) => {
      const w = Math.max(1, Math.round(((width - labelW - 90) * r.value) / max));
      const y = i * h;
      return `<g><text x="${labelW - 6}" y="${y + 17}" text-anchor="end">${esc(r.label.slice(0, 24))}</text><rect x="${labelW}" y="${y + 4}" width="${w}" height="${h - 8}" rx="3"></rect><text x="${labelW + w + 6}" y="${y + 17}">${esc(r.text)}</text></g>`;
    })
    .join('');
  return `<svg class="chart" role="img" viewBox="0 0 ${width} ${rows.length * h}" width="100%" height="${rows.length * h}">${bars}</svg>`;
}

function reportsPage(
  r: Reports,
  posList: { id: string; name: string }[],
  lang: Lang,
  currency: string,
  discounts: RuleDiscount[] = [],
): string {
  const t = strings(lang).reports;
  const m = (n: number) => money(n, currency, lang);
  const zs = posList
    .map((p) => {
      const z = r.z(p.id, null);
      const methods = Object.entries(z.byMethod)
        .map(
          ([k, v]) =>
            `<tr><td>${esc(t.methods[k as keyof typeof t.methods] ?? k)}</td><td class="num">${esc(m(v))}</td></tr>`,
        )
        .join('');
      const cashiers = Object.entries(z.byCashier)
        .map(
          ([k, v]) =>
            `<tr><td>${esc(k)}</td><td class="num">${esc(v.orders)}</td><td class="num">${esc(m(v.sales))}</td></tr>`,
        )
        .join('');
      return `<section class="card z" data-pos="${esc(p.id)}"><h2>${esc(t.z)} · ${esc(p.name)}</h2>
<p>${esc(t.since)} ${esc(new Date(z.from).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB'))}</p>
<table class="grid"><tr><td>${esc(t.orders)}</td><td class="num">${esc(z.orders)}</td></tr><tr><td>${esc(t.sales)}</td><td class="num sales">${esc(m(z.sales))}</td></tr>
<tr><td>${esc(t.voided)}</td><td class="num">${esc(z.voided)}</td></tr>${methods}<tr><td><b>${esc(t.expectedCash)}</b></td><td class="num"><b>${esc(m(z.expectedCash))}</b></td></tr></table>
${cashiers ? `<table class="grid"><tr><th>${esc(t.cashier)}</th><th>${esc(t.orders)}</th><th>${esc(t.sales)}</th></tr>${cashiers}</table>` : ''}
<form class="close" data-pos="${esc(p.id)}"><label>${esc(t.counted)} <input name="counted" type="number" step="0.01" min="0" required></label><button class="btn">${esc(t.close)}</button><output></output></form></section>`;
    })
    .join('');
  const products = r.sales('product', { from: Date.now() - 7 * 86400_000 });
  const hours = r.sales('hour', { from: Date.now() - 86400_000 });
  const ins = r.insight();
  return page({
    lang,
    title: t.title,
    scripts: ['reports.js'],
    body: `<header class="bar"><a href="/apps/?lang=${lang}">⌂</a><h1>${esc(t.title)}</h1></header><main class="pad">
${zs}
<section class="card"><h2>${esc(t.byProduct)}</h2>${barChart(products.slice(0, 15).map((p) => ({ label: p.label, value: p.amount, text: `${p.qty} · ${m(p.amount)}` })))}
<a class="btn" href="/apps/api/reports/sales.csv?by=product">CSV</a></section>
<section class="card"><h2>${esc(t.byHour)}</h2>${barChart(hours.map((h) => ({ label: h.label.slice(11), value: h.amount, text: m(h.amount) })))}
<a class="btn" href="/apps/api/reports/sales.csv?by=hour">CSV</a></section>
<section class="card"><h2>${esc(t.insight)}</h2><table class="grid">
<tr><td>${esc(t.orders)}</td><td class="num">${esc(ins.orders)}</td></tr><tr><td>${esc(t.basket)}</td><td class="num">${esc(m(ins.basketAvg))}</td></tr>
<tr><td>${esc(t.items)}</td><td class="num">${esc(ins.itemsPerBasket)}</td></tr><tr><td>${esc(t.repeat)}</td><td class="num">${esc(ins.repeatCards)} / ${esc(ins.cards)}</td></tr></table></section>
${discounts.length ? `<section class="card discounts"><h2>${esc(t.discounts)}</h2>${barChart(discounts.map((d) => ({ label: d.name, value: d.amount, text: `${d.uses} · ${m(d.amount)}` })))}</section>` : ''}
</main>`,
  });
}

export function reportsRoutes(
  app: FastifyInstance,
  r: Reports,
  staff: Staff,
  posList: () => { id: string; name: string }[],
  currency: () => string,
  /** Promotions: discounts per rule over the last 30 days (promotions/report.ts). */
  discounts: (from: number, to: number) => RuleDiscount[] = () => [],
): void {
  const range = {
    type: 'object',
    properties: {
      pos: { type: 'string', pattern: ID },
      cashier: { type: 'string', pattern: ID },
      from: { type: 'integer', minimum: 0 },
      to: { type: 'integer', minimum: 0 },
      by: { enum: ['product', 'hour'], default: 'product' },
      lang: { type: 'string' },
    },
  };
  type Q = {
    pos?: string;
    cashier?: string;
    from?: number;
    to?: number;
    by: 'product' | 'hour';
    lang?: string;
  };
  app.get('/apps/reports', { schema: { querystring: range } }, async (req, reply) => {
    const q = req.query as Q;
    return reply
      .type('text/html; charset=utf-8')
      .send(
        reportsPage(
          r,
          posList(),
          pickLang(q.lang, req.headers['accept-language']),
          currency(),
          discounts(Date.now() - 30 * 86_400_000, Date.now() + 1),
        ),
      );
  });
  app.get(
    '/apps/api/reports/z',
    { schema: { querystring: { ...range, required: ['pos'] } } },
    async (req) => {
      const q = req.query as Q;
      return r.z(q.pos!, q.cashier ?? null, q.from, q.to);
    },
  );
  app.post(
    '/apps/api/reports/z/close',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['pos', 'counted'],
          properties: {
            pos: { type: 'string', pattern: ID },
            cashier: { type: 'string', pattern: ID },
            counted: { type: 'integer', minimum: 0 },
            by: { type: 'string', maxLength: 64 },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { pos: string; cashier?: string; counted: number; by?: string };
      if (!staff.can(b.by, 'close')) return reply.code(403).send({ error: 'no-right' });
      return r.close(b.pos, b.cashier ?? null, b.counted);
    },
  );
  app.get('/apps/api/reports/closures', async () => r.closures());
  app.get('/apps/api/reports/sales', { schema: { querystring: range } }, async (req) => {
    const q = req.query as Q;
    return r.sales(q.by, q);
  });
  app.get('/apps/api/reports/insight', async () => r.insight());
  app.get('/apps/api/reports/discounts', { schema: { querystring: range } }, async (req) => {
    const q = req.query as Q;
    const to = q.to ?? Date.now() + 1;
    return discounts(q.from ?? to - 30 * 86_400_000, to);
  });
  app.get('/apps/api/reports/sales.csv', { schema: { querystring: range } }, async (req, reply) => {
    const q = req.query as Q;
    const rows = r.sales(q.by, q);
    const csv = toCsv(
      [q.by, 'label', 'qty', 'orders', 'amount_minor'],
      rows.map((x) => [x.key, x.label, x.qty, x.orders, x.amount]),
    );
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="sales-by-${q.by}.csv"`)
      .send(csv);
  });
}
