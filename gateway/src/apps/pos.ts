/**
 * Cashier POS: orders priced from the point of sale's menu (stale prices refused), idempotent
 * cart ids, payments by card tap on the paired terminal (the result comes back from the tap
 * handler's "result" event and is pushed to the page over SSE), cash and bank card, split
 * payments, void with reason (right "void"), sending to the kitchen. Paid orders decrement
 * stock and create kitchen tickets; voids undo both and give card payments back.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Gateway } from '../gateway.js';
import type { ResultBody, TapBody } from '../types.js';
import type { PointOfSale, Product } from '../venue-config.js';
import { colourOf, esc, money, page } from './html.js';
import { type Lang, pickLang, strings } from './i18n.js';
import type { Kitchen } from './kitchen.js';
import type { Hub } from './sse.js';
import { ID, type Staff } from './staff.js';
import type { Stock } from './stock.js';

export type Method = 'card' | 'cash' | 'bankcard';
export type OrderStatus = 'open' | 'paid' | 'voided';
export type PaymentStatus = 'pending' | 'approved' | 'declined' | 'cancelled' | 'voided';

export interface LineIn {
  sku: string;
  qty: number;
  price: number;
  note?: string;
}

export interface OrderLine {
  sku: string;
  label: string;
  qty: number;
  price: number;
  category: string | null;
  note: string | null;
}

export interface Payment {
  id: string;
  method: Method;
  amount: number;
  status: PaymentStatus;
  ref: string | null;
  device: string | null;
  tx: string | null;
  reason: string | null;
  bal: { a: string; v: number }[] | null;
  cashier: string | null;
  at: number;
}

export interface OrderView {
  id: string;
  pos: string;
  cashier: string;
  status: OrderStatus;
  total: number;
  note: string | null;
  createdAt: number;
  paidAt: number | null;
  voidReason: string | null;
  lines: OrderLine[];
  payments: Payment[];
  paid: number;
  remaining: number;
}

export type Fail = { ok: false; status: number; error: string; message: string; [k: string]: unknown };

interface OrderRow {
  id: string;
  pos: string;
  cashier: string;
  status: OrderStatus;
  total: number;
  note: string | null;
  created_at: number;
  paid_at: number | null;
  void_reason: string | null;
}

interface PaymentRow extends Omit<Payment, 'bal' | 'method' | 'status'> {
  order_id: string;
  method: Method;
  status: PaymentStatus;
  bal: string | null;
}

const toPayment = (r: PaymentRow): Payment => ({
  id: r.id,
  method: r.method,
  amount: r.amount,
  status: r.status,
  ref: r.ref,
  device: r.device,
  tx: r.tx,
  reason: r.reason,
  bal: r.bal ? (JSON.parse(r.bal) as Payment['bal']) : null,
  cashier: r.cashier,
  at: r.at,
});

const fail = (status: number, error: string, message: string, extra: object = {}): Fail => ({
  ok: false,
  status,
  error,
  message,
  ...extra,
});

export interface PosHooks {
  /** An order just became paid (fiscal records, receipts, closing a table's tab). */
  settled: ((o: OrderView) => void)[];
  /** An order was voided (`wasPaid`: it had been paid). */
  voided: ((o: OrderView, reason: string, by: string, wasPaid: boolean) => void)[];
  /** Whether paying the order sends it to the kitchen (a table's tab sends its rounds itself). */
  routeOnSettle: (orderId: string) => boolean;
}

export class Pos {
  /** Results that arrived before the charge's ref was stored (a very fast tap). */
  private early = new Map<string, { deviceId: string; tap: TapBody; body: ResultBody }>();
  readonly hooks: PosHooks = { settled: [], voided: [], routeOnSettle: () => true };

  constructor(
    private readonly gw: Gateway,
    private readonly db: Database.Database,
    private readonly hub: Hub,
    private readonly stock: Stock,
    private readonly kitchen: Kitchen,
    private readonly staff: Staff,
  ) {}

  pointOfSale(id: string): PointOfSale | undefined {
    return this.gw.ctx.config().pointsOfSale.find((p) => p.id === id);
  }

  order(id: string): OrderView | undefined {
    const o = this.db.prepare('SELECT * FROM app_orders WHERE id = ?').get(id) as OrderRow | undefined;
    if (!o) return undefined;
    const lines = this.db
      .prepare(
        'SELECT sku, label, qty, price, category, note FROM app_order_lines WHERE order_id = ? ORDER BY n',
      )
      .all(id) as OrderLine[];
    const payments = (
      this.db.prepare('SELECT * FROM app_payments WHERE order_id = ? ORDER BY at, id').all(id) as PaymentRow[]
    ).map(toPayment);
    const paid = payments.filter((p) => p.status === 'approved').reduce((s, p) => s + p.amount, 0);
    return {
      id: o.id,
      pos: o.pos,
      cashier: o.cashier,
      status: o.status,
      total: o.total,
      note: o.note,
      createdAt: o.created_at,
      paidAt: o.paid_at,
      voidReason: o.void_reason,
      lines,
      payments,
      paid,
      remaining: o.status === 'open' ? Math.max(0, o.total - paid) : 0,
    };
  }

  recent(posId: string, limit = 20): OrderView[] {
    const ids = this.db
      .prepare('SELECT id FROM app_orders WHERE pos = ? ORDER BY created_at DESC LIMIT ?')
      .all(posId, limit) as { id: string }[];
    return ids.map((r) => this.order(r.id)!);
  }

  /** Prices lines from the point of sale's current menu: stale prices, unknown skus, unchecked ages refused. */
  price(pos: PointOfSale, input: LineIn[], ageChecked?: boolean): { ok: true; lines: OrderLine[] } | Fail {
    const b = { lines: input, ageChecked };
    const bySku = new Map(pos.products.map((p) => [p.sku, p]));
    const stale: { sku: string; label: string; price: number; was: number }[] = [];
    const lines: OrderLine[] = [];
    for (const l of b.lines) {
      const p = bySku.get(l.sku);
      if (!p)
        return fail(409, 'unknown-sku', `product ${l.sku} is no longer sold here`, {
          products: pos.products,
        });
      if (p.price !== l.price) stale.push({ sku: p.sku, label: p.label, price: p.price, was: l.price });
      if (p.minAge && !b.ageChecked)
        return fail(409, 'age-check', `${p.label}: ${p.minAge}+, check the age first`, {
          sku: p.sku,
          minAge: p.minAge,
        });
      lines.push({
        sku: p.sku,
        label: p.label,
        qty: l.qty,
        price: p.price,
        category: p.category ?? null,
        note: l.note ?? null,
      });
    }
    if (stale.length > 0)
      return fail(
        409,
        'stale-price',
        `prices changed: ${stale.map((s) => `${s.label} ${s.was} → ${s.price}`).join(', ')}`,
        { stale, products: pos.products },
      );
    return { ok: true, lines };
  }

  /** Prices the cart from the current menu; the same cart id again returns the same order. */
  createOrder(
    posId: string,
    b: { id: string; cashier: string; lines: LineIn[]; note?: string; ageChecked?: boolean },
  ): { ok: true; order: OrderView } | Fail {
    const pos = this.pointOfSale(posId);
    if (!pos) return fail(404, 'unknown-pos', `unknown point of sale ${posId}`);
    if (!this.staff.can(b.cashier, 'sell')) return fail(403, 'no-right', 'this staff member cannot sell');
    const existing = this.order(b.id);
    if (existing) {
      const same =
        existing.pos === posId &&
        existing.lines.length === b.lines.length &&
        existing.lines.every(
          (l, i) => l.sku === b.lines[i].sku && l.qty === b.lines[i].qty && l.price === b.lines[i].price,
        );
      return same
        ? { ok: true, order: existing }
        : fail(409, 'cart-id-reused', 'this cart id belongs to another order');
    }
    const priced = this.price(pos, b.lines, b.ageChecked);
    if (!priced.ok) return priced;
    const lines = priced.lines;
    const total = lines.reduce((s, l) => s + l.qty * l.price, 0);
    const now = Date.now();
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT INTO app_orders (id, pos, cashier, status, total, note, created_at) VALUES (?, ?, ?, 'open', ?, ?, ?)",
        )
        .run(b.id, posId, b.cashier, total, b.note ?? null, now);
      const ins = this.db.prepare(
        'INSERT INTO app_order_lines (order_id, n, sku, label, qty, price, category, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      lines.forEach((l, n) => {
        ins.run(b.id, n, l.sku, l.label, l.qty, l.price, l.category, l.note);
      });
    })();
    const order = this.order(b.id)!;
    if (total === 0) this.settle(order.id);
    return { ok: true, order: this.order(b.id)! };
  }

  /** A payment on an open order. A card payment pushes a charge to the terminal; a pending one is reused (double clicks). */
  async pay(
    orderId: string,
    b: { method: Method; amount?: number; tendered?: number; deviceId?: string; cashier: string },
  ): Promise<{ ok: true; order: OrderView; payment?: Payment; change?: number } | Fail> {
    const order = this.order(orderId);
    if (!order) return fail(404, 'unknown-order', 'unknown order');
    if (!this.staff.can(b.cashier, 'sell')) return fail(403, 'no-right', 'this staff member cannot sell');
    if (order.status !== 'open') return { ok: true, order }; // already paid (a double click) or voided
    const pending = order.payments.find((p) => p.status === 'pending');
    if (pending) {
      if (b.method === 'card' && pending.device === (b.deviceId ?? pending.device))
        return { ok: true, order, payment: pending };
      return fail(409, 'payment-pending', 'a card payment is waiting for a tap: cancel it first', {
        payment: pending,
      });
    }
    const amount = Math.min(b.amount ?? order.remaining, order.remaining);
    if (amount <= 0) return fail(409, 'nothing-due', 'nothing left to pay');
    const id = `p${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const now = Date.now();
    if (b.method === 'card') {
      const pos = this.pointOfSale(order.pos);
      const deviceId = b.deviceId ?? pos?.devices[0];
      if (!deviceId || !pos?.devices.includes(deviceId))
        return fail(409, 'no-terminal', 'no terminal is paired with this point of sale');
      if (!this.gw.ctx.devices.key(deviceId))
        return fail(409, 'no-terminal', `terminal ${deviceId} is unknown or revoked`);
      // The row exists before the charge leaves: a tap answered at once still finds it.
      const ref = `c${randomUUID().replaceAll('-', '').slice(0, 20)}`;
      this.db
        .prepare(
          "INSERT INTO app_payments (id, order_id, method, amount, status, ref, device, cashier, at) VALUES (?, ?, 'card', ?, 'pending', ?, ?, ?, ?)",
        )
        .run(id, orderId, amount, ref, deviceId, b.cashier, now);
      try {
        const real = await this.gw.charge(deviceId, amount, this.displayLines(order, amount));
        this.db.prepare('UPDATE app_payments SET ref = ? WHERE id = ?').run(real, id);
        const early = this.early.get(real);
        if (early) {
          this.early.delete(real);
          await this.onResult(early);
        }
      } catch (e) {
        this.db
          .prepare("UPDATE app_payments SET status = 'declined', reason = ?, done_at = ? WHERE id = ?")
          .run('terminal-unreachable', Date.now(), id);
        return fail(502, 'terminal-unreachable', (e as Error).message);
      }
      const view = this.order(orderId)!;
      return { ok: true, order: view, payment: view.payments.find((p) => p.id === id) };
    }
    // Cash: what was handed over may be more (change given) or less (a split) than what is due.
    const tendered = b.method === 'cash' && b.tendered !== undefined ? b.tendered : amount;
    const paidNow = Math.min(tendered, amount);
    this.db
      .prepare(
        "INSERT INTO app_payments (id, order_id, method, amount, status, cashier, at, done_at) VALUES (?, ?, ?, ?, 'approved', ?, ?, ?)",
      )
      .run(id, orderId, b.method, paidNow, b.cashier, now, now);
    this.settleIfDue(orderId);
    const view = this.order(orderId)!;
    const payment = view.payments.find((p) => p.id === id);
    this.publish(view, payment);
    return {
      ok: true,
      order: view,
      payment,
      change: b.method === 'cash' ? Math.max(0, tendered - paidNow) : undefined,
    };
  }

  cancelPayment(orderId: string, paymentId: string): { ok: true; order: OrderView } | Fail {
    const r = this.db
      .prepare(
        "UPDATE app_payments SET status = 'cancelled', done_at = ? WHERE id = ? AND order_id = ? AND status = 'pending'",
      )
      .run(Date.now(), paymentId, orderId);
    const view = this.order(orderId);
    if (!view) return fail(404, 'unknown-order', 'unknown order');
    if (r.changes === 1)
      this.publish(
        view,
        view.payments.find((p) => p.id === paymentId),
      );
    return { ok: true, order: view };
  }

  /** The tap handler's result for a terminal: settles the card payment whose charge it paid. */
  async onResult(e: { deviceId: string; tap: TapBody; body: ResultBody }): Promise<void> {
    if (!e.tap.ref) return;
    const row = this.db.prepare('SELECT * FROM app_payments WHERE ref = ?').get(e.tap.ref) as
      | PaymentRow
      | undefined;
    if (!row) {
      if (this.early.size < 1000) this.early.set(e.tap.ref, e);
      setTimeout(() => this.early.delete(e.tap.ref!), 10_000).unref();
      return;
    }
    if (row.device !== e.deviceId) return;
    if (row.status === 'pending') {
      const bal = e.body.bal ? JSON.stringify(e.body.bal) : null;
      if (e.body.ok)
        this.db
          .prepare(
            "UPDATE app_payments SET status = 'approved', tx = ?, bal = ?, amount = ?, done_at = ? WHERE id = ?",
          )
          .run(e.body.tx, bal, e.body.amt ?? row.amount, Date.now(), row.id);
      else
        this.db
          .prepare(
            "UPDATE app_payments SET status = 'declined', tx = ?, reason = ?, bal = ?, done_at = ? WHERE id = ?",
          )
          .run(e.body.tx, e.body.reason ?? 'declined', bal, Date.now(), row.id);
      if (e.body.ok) this.settleIfDue(row.order_id);
      const view = this.order(row.order_id)!;
      this.publish(
        view,
        view.payments.find((p) => p.id === row.id),
      );
      return;
    }
    // A charge paid after it was cancelled, or paid a second time: the money goes back at once.
    if (e.body.ok && e.body.tx !== row.tx && (e.body.amt ?? 0) > 0) {
      await this.gw.voidTx(
        e.body.tx,
        `POS charge ${row.status === 'cancelled' ? 'cancelled' : 'already paid'}`,
        'pos',
      );
      this.hub.publish(`pos:${this.order(row.order_id)?.pos}`, 'refund', {
        orderId: row.order_id,
        tx: e.body.tx,
        amount: e.body.amt,
      });
    }
  }

  /** Sends the order to the kitchen before it is paid (table service); payment sends it anyway. */
  send(orderId: string): { ok: true; order: OrderView; tickets: number } | Fail {
    const o = this.order(orderId);
    if (!o) return fail(404, 'unknown-order', 'unknown order');
    if (o.status === 'voided') return fail(409, 'voided', 'this order was voided');
    const t = this.kitchen.route(o.id, o.pos, o.lines, o.note);
    return { ok: true, order: o, tickets: t.length };
  }

  async void(
    orderId: string,
    reason: string,
    by: string,
  ): Promise<{ ok: true; order: OrderView; failed: string[] } | Fail> {
    const o = this.order(orderId);
    if (!o) return fail(404, 'unknown-order', 'unknown order');
    if (!this.staff.can(by, 'void')) return fail(403, 'no-right', 'this staff member cannot void');
    if (o.status === 'voided') return { ok: true, order: o, failed: [] };
    const failed: string[] = [];
    for (const p of o.payments) {
      if (p.status === 'approved' && p.method === 'card' && p.tx) {
        const r = await this.gw.voidTx(p.tx, reason, by);
        if (!r.ok) {
          failed.push(p.id);
          continue;
        }
      }
      if (p.status === 'approved')
        this.db.prepare("UPDATE app_payments SET status = 'voided' WHERE id = ?").run(p.id);
      if (p.status === 'pending')
        this.db.prepare("UPDATE app_payments SET status = 'cancelled' WHERE id = ?").run(p.id);
    }
    this.db.transaction(() => {
      this.db
        .prepare(
          "UPDATE app_orders SET status = 'voided', voided_at = ?, void_reason = ?, voided_by = ? WHERE id = ?",
        )
        .run(Date.now(), reason, by, orderId);
      if (o.status === 'paid') this.stock.applySale(orderId, o.lines, by, 1);
    })();
    this.kitchen.voidOrder(orderId);
    const view = this.order(orderId)!;
    for (const h of this.hooks.voided) h(view, reason, by, o.status === 'paid');
    this.publish(view);
    return { ok: true, order: view, failed };
  }

  private settleIfDue(orderId: string): void {
    const o = this.order(orderId);
    if (o && o.status === 'open' && o.paid >= o.total) this.settle(orderId);
  }

  /** Paid: stock decrement and kitchen tickets, once. */
  private settle(orderId: string): void {
    const o = this.order(orderId)!;
    const done = this.db.transaction(() => {
      const r = this.db
        .prepare("UPDATE app_orders SET status = 'paid', paid_at = ? WHERE id = ? AND status = 'open'")
        .run(Date.now(), orderId);
      if (r.changes === 1) this.stock.applySale(orderId, o.lines, o.cashier, -1);
      return r.changes === 1;
    })();
    if (!done) return;
    if (this.hooks.routeOnSettle(orderId)) this.kitchen.route(o.id, o.pos, o.lines, o.note);
    const paid = this.order(orderId)!;
    for (const h of this.hooks.settled) h(paid);
  }

  /** Publishes an order's state to its point of sale's pages. */
  announce(orderId: string): void {
    const o = this.order(orderId);
    if (o) this.publish(o);
  }

  private displayLines(o: OrderView, amount: number): string[] {
    const lines = o.lines.slice(0, 3).map((l) => `${l.qty}x ${l.label}`.slice(0, 20));
    if (o.lines.length > 3) lines[2] = `+${o.lines.length - 2} ...`;
    const cur = this.gw.ctx.config().currency;
    lines.push(`= ${(amount / 100).toFixed(2)} ${cur}`.slice(0, 20));
    return lines;
  }

  private publish(order: OrderView, payment?: Payment): void {
    this.hub.publish(`pos:${order.pos}`, 'order', { order, payment });
  }
}

export function productView(p: Product): Product & { colour: string } {
  return { ...p, colour: colourOf(p.category ?? p.sku) };
}

function posPage(o: {
  pos: PointOfSale;
  lang: Lang;
  currency: string;
  staff: { id: string; name: string; role: string }[];
  cashier?: string;
  venue: string;
}): string {
  const s = strings(o.lang);
  const t = s.pos;
  const cats = [...new Set(o.pos.products.map((p) => p.category).filter((c): c is string => !!c))];
  const tiles = o.pos.products
    .map((p, i) => {
      const v = productView(p);
      return `<button class="tile" data-sku="${esc(p.sku)}" data-cat="${esc(p.category ?? '')}" style="--c:${esc(v.colour)}">
<span class="k">${i < 9 ? i + 1 : ''}</span><span class="label">${esc(p.label)}</span>
<span class="price">${esc(money(p.price, o.currency, o.lang))}</span>${p.memberPrice !== undefined ? `<span class="mprice">${esc(t.member)} ${esc(money(p.memberPrice, o.currency, o.lang))}</span>` : ''}${p.minAge ? `<span class="age">${esc(p.minAge)}+</span>` : ''}</button>`;
    })
    .join('');
  const catTabs =
    cats.length > 1
      ? `<nav class="cats"><button class="cat on" data-cat="">${esc(t.all)}</button>${cats.map((c) => `<button class="cat" data-cat="${esc(c)}">${esc(c)}</button>`).join('')}</nav>`
      : '';
  const staffOpts = o.staff
    .map(
      (m) => `<option value="${esc(m.id)}"${m.id === o.cashier ? ' selected' : ''}>${esc(m.name)}</option>`,
    )
    .join('');
  const devOpts = o.pos.devices.map((d) => `<option value="${esc(d)}">${esc(d)}</option>`).join('');
  const other = o.lang === 'fr' ? 'en' : 'fr';
  return page({
    lang: o.lang,
    title: `${o.pos.name} · ${t.title}`,
    bodyClass: 'pos',
    scripts: ['pos.js'],
    boot: {
      pos: { id: o.pos.id, name: o.pos.name, devices: o.pos.devices },
      products: o.pos.products,
      currency: o.currency,
      lang: o.lang,
      cashier: o.cashier ?? null,
      t: { ...t, reasons: s.reasons },
    },
    body: `<header class="bar">
<a href="/apps/?lang=${o.lang}" aria-label="home">⌂</a><h1>${esc(o.pos.name)}</h1>
<label>${esc(t.cashier)} ${o.staff.length > 0 ? `<select id="cashier">${staffOpts}</select>` : `<input id="cashier" value="${esc(o.cashier ?? 'pos')}" size="8">`}</label>
<label>${esc(t.terminal)} <select id="device">${devOpts}</select></label>
<a class="lang" href="?lang=${other}${o.cashier ? `&cashier=${encodeURIComponent(o.cashier)}` : ''}">${other.toUpperCase()}</a>
<button id="login" class="btn small" type="button">🔑 ${esc(t.login)}</button><button id="logout" class="btn small" type="button" hidden>${esc(t.logout)}</button>
<span id="conn" class="dot" title="live"></span></header>
<main class="pos-main">
<section class="catalog">${catTabs}<div id="grid" class="grid-tiles">${tiles}</div></section>
<section class="cart" aria-label="${esc(t.cart)}">
<ol id="lines" class="lines"></ol>
<input id="note" class="note" maxlength="200" placeholder="${esc(t.note)}">
<input id="tendered" class="tendered" inputmode="decimal" placeholder="${esc(t.tendered)}" aria-label="${esc(t.tendered)}">
<div class="total"><span>${esc(t.total)}</span><b id="total">${esc(money(0, o.currency, o.lang))}</b></div>
<div id="msg" class="msg" role="alert"></div>
<div class="actions pay-actions">
<button id="pay-card" class="btn big primary">${esc(t.payCard)} <kbd>Enter</kbd></button>
<button id="pay-cash" class="btn big">${esc(t.payCash)} <kbd>E</kbd></button>
<button id="pay-bank" class="btn big">${esc(t.payBank)} <kbd>B</kbd></button>
<button id="send" class="btn">${esc(t.send)} <kbd>K</kbd></button>
<button id="clear" class="btn">${esc(t.clear)} <kbd>Esc</kbd></button>
</div>
<details class="recent"><summary>${esc(t.recent)} <kbd>V</kbd></summary><ol id="recent"></ol></details>
</section></main>
<div id="overlay" class="overlay" hidden><div class="panel"><p id="ov-title" class="ov-title"></p><p id="ov-detail"></p><p id="ov-balance" class="balance"></p>
<div class="actions"><button id="ov-cancel" class="btn">${esc(t.cancel)}</button><button id="ov-retry" class="btn">${esc(t.retry)}</button><button id="ov-close" class="btn primary">${esc(t.newSale)} <kbd>Enter</kbd></button></div></div></div>
<div id="voidbox" class="overlay" hidden><form class="panel" id="voidform"><p class="ov-title">${esc(t.voidTitle)}</p><p id="void-order"></p>
<input id="void-reason" required maxlength="200" placeholder="${esc(t.voidReason)}"><div class="actions"><button type="button" id="void-cancel" class="btn">${esc(t.cancel)}</button><button class="btn danger">${esc(t.void)}</button></div></form></div>
<div id="loginbox" class="overlay" hidden><form class="panel" id="loginform"><p class="ov-title">${esc(t.login)}</p>
${o.staff.length > 0 ? `<select id="login-staff">${staffOpts}</select>` : '<input id="login-staff" maxlength="64" required>'}
<input id="login-pin" type="password" inputmode="numeric" pattern="[0-9]{4,8}" maxlength="8" required placeholder="${esc(t.pin)}" autocomplete="off">
<p>${esc(t.staffCard)}</p><p id="login-msg" class="msg" role="alert"></p>
<div class="actions"><button type="button" id="login-cancel" class="btn">${esc(t.cancel)}</button><button class="btn primary">${esc(t.login)}</button></div></form></div>
<div id="toasts" class="toasts" aria-live="polite"></div>
<footer class="help">${esc(t.shortcuts)}</footer>`,
  });
}

export function posRoutes(app: FastifyInstance, pos: Pos, staff: Staff, hub: Hub, gw: Gateway): void {
  const send = (reply: FastifyReply, r: { ok: boolean } & Record<string, unknown>) => {
    if (r.ok) {
      const { ok: _ok, ...rest } = r;
      return rest;
    }
    const { ok: _ok, status, ...rest } = r as Fail;
    return reply.code(status).send(rest);
  };
  const posParam = { type: 'object', properties: { pos: { type: 'string', pattern: ID } } };
  const orderParam = { type: 'object', properties: { id: { type: 'string', pattern: ID } } };
  const who = { type: 'string', minLength: 1, maxLength: 64 };

  app.get('/apps/pos/:pos', { schema: { params: posParam } }, async (req, reply) => {
    const q = req.query as { lang?: string; cashier?: string };
    const p = pos.pointOfSale((req.params as { pos: string }).pos);
    if (!p) return reply.code(404).type('text/plain').send('unknown point of sale');
    const html = posPage({
      pos: p,
      lang: pickLang(q.lang, req.headers['accept-language']),
      currency: gw.ctx.config().currency,
      staff: staff.list(),
      cashier: typeof q.cashier === 'string' ? q.cashier.slice(0, 64) : undefined,
      venue: gw.ctx.venueId,
    });
    return reply.type('text/html; charset=utf-8').send(html);
  });
  app.get('/apps/api/pos/:pos', { schema: { params: posParam } }, async (req, reply) => {
    const p = pos.pointOfSale((req.params as { pos: string }).pos);
    if (!p) return reply.code(404).send({ error: 'unknown-pos' });
    const online = new Map(gw.ctx.devices.list().map((d) => [d.deviceId, d.online]));
    return {
      ...p,
      currency: gw.ctx.config().currency,
      products: p.products.map(productView),
      terminals: p.devices.map((d) => ({ id: d, online: online.get(d) ?? false })),
    };
  });
  app.get('/apps/api/pos/:pos/orders', { schema: { params: posParam } }, async (req) =>
    pos.recent((req.params as { pos: string }).pos),
  );
  app.get('/apps/api/pos/:pos/events', { schema: { params: posParam } }, (req, reply) => {
    hub.open(req, reply, [`pos:${(req.params as { pos: string }).pos}`, 'alerts']);
  });
  app.post(
    '/apps/api/pos/:pos/orders',
    {
      schema: {
        params: posParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'cashier', 'lines'],
          properties: {
            id: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' },
            cashier: who,
            note: { type: 'string', maxLength: 200 },
            ageChecked: { type: 'boolean' },
            lines: {
              type: 'array',
              minItems: 1,
              maxItems: 100,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['sku', 'qty', 'price'],
                properties: {
                  sku: { type: 'string', minLength: 1, maxLength: 64 },
                  qty: { type: 'integer', minimum: 1, maximum: 999 },
                  price: { type: 'integer', minimum: 0, maximum: 100000000 },
                  note: { type: 'string', maxLength: 120 },
                },
              },
            },
          },
        },
      },
    },
    async (req, reply) =>
      send(reply, pos.createOrder((req.params as { pos: string }).pos, req.body as never)),
  );
  app.get(
    '/apps/api/orders/:id',
    { schema: { params: orderParam } },
    async (req, reply) =>
      pos.order((req.params as { id: string }).id) ?? reply.code(404).send({ error: 'unknown-order' }),
  );
  app.post(
    '/apps/api/orders/:id/payments',
    {
      schema: {
        params: orderParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['method', 'cashier'],
          properties: {
            method: { enum: ['card', 'cash', 'bankcard'] },
            amount: { type: 'integer', minimum: 1, maximum: 100000000 },
            tendered: { type: 'integer', minimum: 1, maximum: 100000000 },
            deviceId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$' },
            cashier: who,
          },
        },
      },
    },
    async (req, reply) => send(reply, await pos.pay((req.params as { id: string }).id, req.body as never)),
  );
  app.post(
    '/apps/api/orders/:id/payments/:pid/cancel',
    {
      schema: {
        params: {
          type: 'object',
          properties: { id: { type: 'string', pattern: ID }, pid: { type: 'string', pattern: ID } },
        },
      },
    },
    async (req, reply) => {
      const p = req.params as { id: string; pid: string };
      return send(reply, pos.cancelPayment(p.id, p.pid));
    },
  );
  app.post('/apps/api/orders/:id/send', { schema: { params: orderParam } }, async (req, reply) =>
    send(reply, pos.send((req.params as { id: string }).id)),
  );
  app.post(
    '/apps/api/orders/:id/void',
    {
      schema: {
        params: orderParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['reason', 'cashier'],
          properties: { reason: { type: 'string', minLength: 1, maxLength: 200 }, cashier: who },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { reason: string; cashier: string };
      return send(reply, await pos.void((req.params as { id: string }).id, b.reason, b.cashier));
    },
  );
}
