/**
 * Cashier POS: orders priced from the point of sale's menu (stale prices refused), idempotent
 * cart ids, payments by card tap on the paired terminal (the result comes back from the tap
 * handler's "result" event and is pushed to the page over SSE), cash and bank card, split
 * payments, void with reason (right "void"), sending to the kitchen. Paid orders decrement
 * stock and create kitchen tickets; voids undo both and give card payments back.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { type ChargedItem, MEMBER_PRICE_NAME, MEMBER_PRICE_RULE } from '../authorizer/promotions.js';
import type { Gateway } from '../gateway.js';
import { decideAndJournal } from '../handlers/tap.js';
import type { CartLine, ResultBody, TapBody } from '../types.js';
import type { PointOfSale, Product } from '../venue-config.js';
import { colourOf, esc, money, page } from './html.js';
import { type Lang, pickLang, strings } from './i18n.js';
import type { Kitchen } from './kitchen.js';
import { orderLinesSchema } from './order-lines-schema.js';
import { type Fail, fail, sendResult } from './result.js';
import type { Hub } from './sse.js';
import { ID, type Staff } from './staff.js';
import type { Stock } from './stock.js';
import type { PayKeys } from './wallet-pay.js';

export interface PayRequest {
  method: Method;
  amount?: number;
  tendered?: number;
  deviceId?: string;
  cashier: string;
  /** qr: the code read from the holder's wallet page. */
  token?: string;
  /** nfc: the card's UID and, for an NTAG 424, its SUN data from the URL it holds. */
  uid?: string;
  sun?: TapBody['sun'];
}

/** `qr`: the holder's wallet QR shown on a phone; `nfc`: the card read by the POS device's own NFC. */
export type Method = 'card' | 'cash' | 'bankcard' | 'qr' | 'nfc';
/** Methods that take the money from the holder's cashless wallet (a void gives it back there). */
export const CASHLESS: readonly Method[] = ['card', 'qr', 'nfc'];
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
  /** What the line was sold at, per unit (after a card promotion, if one applied). */
  price: number;
  category: string | null;
  note: string | null;
  /** Set when the paying card's promotion lowered the line: the unit price the order had, and the rule's name. */
  list?: number;
  promo?: string;
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
  /** Checks wallet QR codes (set by the apps when the gateway has them). */
  payKeys: PayKeys | undefined;

  constructor(
    private readonly gw: Gateway,
    private readonly db: Database.Database,
    private readonly hub: Hub,
    private readonly stock: Stock,
    private readonly kitchen: Kitchen,
    private readonly staff: Staff,
  ) {
    // What a paying card's promotions took off an order's lines (the receipt and fiscal lines show it).
    db.exec(`CREATE TABLE IF NOT EXISTS app_order_discounts (
      order_id TEXT NOT NULL,
      n INTEGER NOT NULL,
      rule TEXT NOT NULL,
      name TEXT NOT NULL,
      list_price INTEGER NOT NULL,
      tx TEXT NOT NULL,
      PRIMARY KEY (order_id, n)
    )`);
  }

  pointOfSale(id: string): PointOfSale | undefined {
    return this.gw.ctx.config().pointsOfSale.find((p) => p.id === id);
  }

  order(id: string): OrderView | undefined {
    const o = this.db.prepare('SELECT * FROM app_orders WHERE id = ?').get(id) as OrderRow | undefined;
    if (!o) return undefined;
    const lines = (
      this.db
        .prepare(
          `SELECT l.sku, l.label, l.qty, l.price, l.category, l.note, d.list_price AS list, d.name AS promo
           FROM app_order_lines l LEFT JOIN app_order_discounts d ON d.order_id = l.order_id AND d.n = l.n
           WHERE l.order_id = ? ORDER BY l.n`,
        )
        .all(id) as (Omit<OrderLine, 'list' | 'promo'> & { list: number | null; promo: string | null })[]
    ).map(({ list, promo, ...l }): OrderLine => (list === null ? l : { ...l, list, promo: promo ?? '' }));
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
          (l, i) =>
            l.sku === b.lines[i].sku && l.qty === b.lines[i].qty && (l.list ?? l.price) === b.lines[i].price,
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
    b: PayRequest,
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
    if (b.method === 'qr' || b.method === 'nfc') return this.payWithoutTerminal(order, id, amount, b);
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
        const real = await this.gw.charge(
          deviceId,
          amount,
          this.displayLines(order, amount),
          this.wholeCart(order, amount),
        );
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

  /**
   * The wallet QR or the POS's own NFC reader: the card is known at once, so the payment is decided
   * here, through the same authorizer and journal as a terminal tap (tx "pos-<pos>-<payment id>").
   */
  private async payWithoutTerminal(
    order: OrderView,
    id: string,
    amount: number,
    b: PayRequest,
  ): Promise<{ ok: true; order: OrderView; payment?: Payment } | Fail> {
    const pos = this.pointOfSale(order.pos);
    if (!pos) return fail(409, 'unknown-pos', 'unknown point of sale');
    let uid: string;
    if (b.method === 'qr') {
      if (!this.payKeys) return fail(409, 'qr-unavailable', 'wallet QR payments are not set up here');
      const c = await this.payKeys.check(b.token ?? '');
      if (!c.ok) {
        const why: Record<string, string> = {
          malformed: 'not a wallet payment code',
          'unknown-key': 'code signed by an unknown key',
          'bad-signature': 'forged or altered code',
          expired: 'code expired: reload the wallet page',
          'qr-used': 'code already used: reload the wallet page',
        };
        this.gw.ctx.log.warn({ order: order.id, reason: c.reason }, 'wallet QR refused');
        return fail(
          c.reason === 'qr-used' ? 409 : 400,
          c.reason === 'qr-used' ? 'qr-used' : 'bad-qr',
          why[c.reason],
        );
      }
      uid = c.uid;
    } else {
      if (!b.uid || !/^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/.test(b.uid))
        return fail(400, 'bad-card', 'the card UID read by NFC is not a 4, 7 or 10-byte UID');
      uid = b.uid;
    }
    const device = `pos:${pos.id}`;
    const ref = `c${randomUUID().replaceAll('-', '').slice(0, 20)}`;
    this.db
      .prepare(
        "INSERT INTO app_payments (id, order_id, method, amount, status, ref, device, cashier, at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
      )
      .run(id, order.id, b.method, amount, ref, device, b.cashier, Date.now());
    // the tx id travels to the cloud as the sync item's id: [A-Za-z0-9_-] only
    const tap: TapBody = { tx: `pos-${pos.id}-${id}`, uid, mode: 'cashier', ref, sun: b.sun } as TapBody;
    const cart = this.wholeCart(order, amount);
    const body = await decideAndJournal(this.gw.ctx, device, tap, {
      pos,
      charge: cart ? { amt: amount, cart } : { amt: amount },
    });
    this.recordResult(id, body, amount);
    if (body.ok) {
      this.applyCharged(order.id, amount, body);
      this.settleIfDue(order.id);
    }
    const view = this.order(order.id)!;
    const payment = view.payments.find((p) => p.id === id);
    this.publish(view, payment);
    return { ok: true, order: view, payment };
  }

  /** A pending card payment gets the authorizer's answer (approved with the amount charged, or why not). */
  private recordResult(paymentId: string, body: ResultBody, amount: number): void {
    const bal = body.bal ? JSON.stringify(body.bal) : null;
    if (body.ok)
      this.db
        .prepare(
          "UPDATE app_payments SET status = 'approved', tx = ?, bal = ?, amount = ?, done_at = ? WHERE id = ?",
        )
        .run(body.tx, bal, body.amt ?? amount, Date.now(), paymentId);
    else
      this.db
        .prepare(
          "UPDATE app_payments SET status = 'declined', tx = ?, reason = ?, bal = ?, done_at = ? WHERE id = ?",
        )
        .run(body.tx, body.reason ?? 'declined', bal, Date.now(), paymentId);
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
      this.recordResult(row.id, e.body, row.amount);
      if (e.body.ok) {
        this.applyCharged(row.order_id, row.amount, e.body);
        this.settleIfDue(row.order_id);
      }
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
      if (p.status === 'approved' && CASHLESS.includes(p.method) && p.tx) {
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

  /**
   * The order's lines for a cashless charge that pays the whole order (nothing paid before), so
   * the card's own promotions can apply; a split payment is charged at the order's prices.
   */
  private wholeCart(o: OrderView, amount: number): CartLine[] | undefined {
    if (o.paid !== 0 || amount !== o.total || o.lines.length === 0) return undefined;
    return o.lines.map((l) => ({ sku: l.sku, qty: l.qty, price: l.price }));
  }

  /**
   * A card charged less than the whole order it paid (its promotions): the lines the rules lowered
   * take the unit price charged, with the order's price and the rule kept beside them, and the
   * order's total becomes what was charged. The journal's record of the tap says which line got
   * what (the same record the reports read); anything that does not add up leaves the order as it
   * was, with the difference still to pay.
   */
  private applyCharged(orderId: string, asked: number, body: ResultBody): void {
    if (!body.ok || body.amt === undefined || body.amt >= asked) return;
    const o = this.order(orderId);
    const items = this.gw.ctx.journal.find(body.tx)?.extra?.items as ChargedItem[] | undefined;
    const fits =
      !!o &&
      !!items &&
      o.status === 'open' &&
      o.total === asked &&
      items.length === o.lines.length &&
      items.every(
        (it, n) =>
          it.sku === o.lines[n].sku &&
          it.qty === o.lines[n].qty &&
          Number.isInteger(it.unit) &&
          it.unit >= 0 &&
          it.unit <= o.lines[n].price,
      ) &&
      items.reduce((s, it) => s + it.unit * it.qty, 0) === body.amt;
    if (!o || !items || !fits) {
      this.gw.ctx.log.error(
        { order: orderId, tx: body.tx, asked, charged: body.amt },
        'POS: a discounted card charge does not match the order; the difference stays due',
      );
      return;
    }
    const names = new Map((this.gw.ctx.config().promotions ?? []).map((r) => [r.id, r.name]));
    const nameOf = (rule: string) =>
      names.get(rule) ?? (rule === MEMBER_PRICE_RULE ? MEMBER_PRICE_NAME : rule);
    this.db.transaction(() => {
      const price = this.db.prepare('UPDATE app_order_lines SET price = ? WHERE order_id = ? AND n = ?');
      const note = this.db.prepare(
        'INSERT OR IGNORE INTO app_order_discounts (order_id, n, rule, name, list_price, tx) VALUES (?, ?, ?, ?, ?, ?)',
      );
      items.forEach((it, n) => {
        if (it.unit === o.lines[n].price) return;
        price.run(it.unit, orderId, n);
        const rule = it.rule ?? '';
        // a member price then a rule: both named on the line (the journal splits the amounts)
        const name = it.member !== undefined ? `${MEMBER_PRICE_NAME} + ${nameOf(rule)}` : nameOf(rule);
        note.run(orderId, n, rule, name, o.lines[n].price, body.tx);
      });
      this.db
        .prepare("UPDATE app_orders SET total = ? WHERE id = ? AND status = 'open'")
        .run(body.amt, orderId);
    })();
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
  return { ...p, colour: p.colour ?? colourOf(p.category ?? p.sku) };
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
    scripts: ['jsqr.js', 'pos-scan.js', 'pos.js'],
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
<button id="pay-qr" class="btn big">📷 ${esc(t.payQr)} <kbd>Q</kbd></button>
<button id="pay-nfc" class="btn big" hidden>📶 ${esc(t.payNfc)} <kbd>N</kbd></button>
<button id="send" class="btn">${esc(t.send)} <kbd>K</kbd></button>
<button id="clear" class="btn">${esc(t.clear)} <kbd>Esc</kbd></button>
</div>
<details class="recent"><summary>${esc(t.recent)} <kbd>V</kbd></summary><ol id="recent"></ol></details>
</section></main>
<div id="overlay" class="overlay" hidden><div class="panel"><p id="ov-title" class="ov-title"></p><p id="ov-detail"></p><p id="ov-balance" class="balance"></p>
<div class="actions"><button id="ov-cancel" class="btn">${esc(t.cancel)}</button><button id="ov-retry" class="btn">${esc(t.retry)}</button><button id="ov-close" class="btn primary">${esc(t.newSale)} <kbd>Enter</kbd></button></div></div></div>
<div id="scanbox" class="overlay" hidden><div class="panel"><p id="scan-title" class="ov-title"></p>
<video id="scan-video" class="scan-video" playsinline muted></video><p id="scan-msg" class="msg" role="alert"></p>
<div class="actions"><button id="scan-cancel" class="btn">${esc(t.cancel)} <kbd>Esc</kbd></button></div></div></div>
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
            lines: orderLinesSchema(),
          },
        },
      },
    },
    async (req, reply) =>
      sendResult(reply, pos.createOrder((req.params as { pos: string }).pos, req.body as never)),
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
            method: { enum: ['card', 'cash', 'bankcard', 'qr', 'nfc'] },
            amount: { type: 'integer', minimum: 1, maximum: 100000000 },
            tendered: { type: 'integer', minimum: 1, maximum: 100000000 },
            deviceId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$' },
            cashier: who,
            token: { type: 'string', maxLength: 200 },
            uid: { type: 'string', pattern: '^[0-9A-F]{8,20}$' },
            sun: {
              type: 'object',
              additionalProperties: false,
              required: ['cmac'],
              properties: {
                picc: { type: 'string', pattern: '^[0-9A-Fa-f]{32}$' },
                uid: { type: 'string', pattern: '^[0-9A-Fa-f]{14}$' },
                ctr: { type: 'string', pattern: '^[0-9A-Fa-f]{6}$' },
                cmac: { type: 'string', pattern: '^[0-9A-Fa-f]{16}$' },
              },
            },
          },
        },
      },
    },
    async (req, reply) =>
      sendResult(reply, await pos.pay((req.params as { id: string }).id, req.body as never)),
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
      return sendResult(reply, pos.cancelPayment(p.id, p.pid));
    },
  );
  app.post('/apps/api/orders/:id/send', { schema: { params: orderParam } }, async (req, reply) =>
    sendResult(reply, pos.send((req.params as { id: string }).id)),
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
      return sendResult(reply, await pos.void((req.params as { id: string }).id, b.reason, b.cashier));
    },
  );
}
