/**
 * Restaurant room: a table plan per point of sale (tables with seats, positions and shapes, in
 * percent of the plan), one open tab per table. A tab is a POS order (app_orders) that grows:
 * lines are added per seat (0 = shared), sent to the kitchen in rounds (each round is a kitchen
 * order "<tab>.<round>"), and the tab is paid whole, by seat (shared lines split evenly) or by
 * amount, mixing cashless card taps, cash and bank cards (Pos.pay). Tabs move to a free table
 * or merge into another table's tab. Paying the tab in full closes it and frees its tables.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../gateway.js';
import { esc, money, page } from './html.js';
import { type Lang, pickLang, strings } from './i18n.js';
import type { Kitchen, Ticket } from './kitchen.js';
import { orderLinesSchema } from './order-lines-schema.js';
import { type LineIn, type Method, type OrderLine, type OrderView, type Pos, productView } from './pos.js';
import { type Fail, fail, sendResult } from './result.js';
import type { Hub } from './sse.js';
import { ID, type Staff } from './staff.js';

export interface RoomTable {
  id: string;
  pos: string;
  name: string;
  seats: number;
  x: number;
  y: number;
  w: number;
  h: number;
  shape: 'rect' | 'round';
}

export interface TabLine extends OrderLine {
  n: number;
  seat: number;
  round: number;
}

export interface SeatDue {
  seat: number;
  total: number;
  paid: number;
  due: number;
}

export interface TabView {
  id: string;
  pos: string;
  tables: string[];
  covers: number;
  status: 'open' | 'closed' | 'voided' | 'merged';
  rounds: number;
  mergedInto: string | null;
  order: OrderView;
  lines: TabLine[];
  seats: SeatDue[];
  tickets: Ticket[];
}

export interface TabSummary {
  id: string;
  tables: string[];
  covers: number;
  total: number;
  remaining: number;
  unsent: number;
  ready: number;
  pending: boolean;
  openedAt: number;
}

interface TabRow {
  order_id: string;
  pos: string;
  tables: string;
  covers: number;
  status: TabView['status'];
  rounds: number;
  aliases: string;
  merged_into: string | null;
  opened_at: number;
}

export class Room {
  constructor(
    private readonly db: Database.Database,
    private readonly hub: Hub,
    private readonly pos: Pos,
    private readonly kitchen: Kitchen,
    private readonly staff: Staff,
  ) {
    pos.hooks.routeOnSettle = (id) => !this.row(id);
    pos.hooks.settled.push((o) => this.closed(o.id, 'closed'));
    pos.hooks.voided.push((o) => this.closed(o.id, 'voided'));
  }

  private row(id: string): TabRow | undefined {
    return this.db.prepare('SELECT * FROM app_tabs WHERE order_id = ?').get(id) as TabRow | undefined;
  }

  private closed(id: string, status: 'closed' | 'voided'): void {
    const t = this.row(id);
    if (t?.status !== 'open') return;
    this.db
      .prepare('UPDATE app_tabs SET status = ?, closed_at = ? WHERE order_id = ?')
      .run(status, Date.now(), id);
    this.changed(t.pos, id);
  }

  private changed(pos: string, tab?: string): void {
    this.hub.publish(`room:${pos}`, 'room', { tab: tab ?? null });
  }

  // ---- plan ----
  tables(pos: string): RoomTable[] {
    return this.db
      .prepare('SELECT * FROM app_room_tables WHERE pos = ? ORDER BY name')
      .all(pos) as RoomTable[];
  }

  table(pos: string, id: string): RoomTable | undefined {
    return this.db.prepare('SELECT * FROM app_room_tables WHERE pos = ? AND id = ?').get(pos, id) as
      | RoomTable
      | undefined;
  }

  saveTable(t: RoomTable): RoomTable {
    this.db
      .prepare(
        `INSERT INTO app_room_tables (id, pos, name, seats, x, y, w, h, shape) VALUES (@id, @pos, @name, @seats, @x, @y, @w, @h, @shape)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, seats = excluded.seats, x = excluded.x, y = excluded.y, w = excluded.w, h = excluded.h, shape = excluded.shape`,
      )
      .run(t);
    this.changed(t.pos);
    return this.table(t.pos, t.id)!;
  }

  removeTable(pos: string, id: string): { ok: true } | Fail {
    if (this.tabAt(pos, id)) return fail(409, 'table-busy', 'this table has an open tab');
    this.db.prepare('DELETE FROM app_room_tables WHERE pos = ? AND id = ?').run(pos, id);
    this.changed(pos);
    return { ok: true };
  }

  // ---- tabs ----
  private openRows(pos: string): TabRow[] {
    return this.db
      .prepare("SELECT * FROM app_tabs WHERE pos = ? AND status = 'open' ORDER BY opened_at")
      .all(pos) as TabRow[];
  }

  tabAt(pos: string, tableId: string): string | undefined {
    return this.openRows(pos).find((t) => (JSON.parse(t.tables) as string[]).includes(tableId))?.order_id;
  }

  private ticketsOf(t: TabRow): Ticket[] {
    const ids = [t.order_id, ...(JSON.parse(t.aliases) as string[])];
    const out: Ticket[] = [];
    const q = this.db.prepare('SELECT id FROM app_tickets WHERE substr(order_id, 1, ?) = ? ORDER BY id');
    for (const id of ids)
      for (const r of q.all(id.length + 1, `${id}.`) as { id: number }[]) out.push(this.kitchen.get(r.id)!);
    return out.sort((a, b) => a.id - b.id);
  }

  summaries(pos: string): TabSummary[] {
    return this.openRows(pos).map((t) => {
      const v = this.view(t.order_id)!;
      return {
        id: t.order_id,
        tables: v.tables,
        covers: v.covers,
        total: v.order.total,
        remaining: v.order.remaining,
        unsent: v.lines.filter((l) => l.round === 0).length,
        ready: v.tickets.filter((k) => k.state === 'ready').length,
        pending: v.order.payments.some((p) => p.status === 'pending'),
        openedAt: t.opened_at,
      };
    });
  }

  view(id: string): TabView | undefined {
    const t = this.row(id);
    if (!t) return undefined;
    if (t.status === 'merged' && t.merged_into) return this.view(t.merged_into);
    const order = this.pos.order(id);
    if (!order) return undefined;
    const meta = new Map(
      (
        this.db.prepare('SELECT n, seat, round FROM app_tab_lines WHERE order_id = ?').all(id) as {
          n: number;
          seat: number;
          round: number;
        }[]
      ).map((r) => [r.n, r]),
    );
    const ns = this.db.prepare('SELECT n FROM app_order_lines WHERE order_id = ? ORDER BY n').all(id) as {
      n: number;
    }[];
    const lines: TabLine[] = order.lines.map((l, i) => {
      const n = ns[i].n;
      const m = meta.get(n);
      return { ...l, n, seat: m?.seat ?? 0, round: m?.round ?? 0 };
    });
    return {
      id,
      pos: t.pos,
      tables: JSON.parse(t.tables) as string[],
      covers: t.covers,
      status: t.status,
      rounds: t.rounds,
      mergedInto: t.merged_into,
      order,
      lines,
      seats: this.seatDues(id, t.covers, lines, order),
      tickets: this.ticketsOf(t),
    };
  }

  /** What each seat owes: its own lines plus an even share of the shared ones, less what paid for it. */
  private seatDues(id: string, covers: number, lines: TabLine[], order: OrderView): SeatDue[] {
    const totals = new Array<number>(covers + 1).fill(0);
    let shared = 0;
    for (const l of lines) {
      const amount = l.qty * l.price;
      if (l.seat >= 1 && l.seat <= covers) totals[l.seat] += amount;
      else shared += amount;
    }
    const base = Math.floor(shared / covers);
    const rest = shared - base * covers;
    for (let s = 1; s <= covers; s++) totals[s] += base + (s <= rest ? 1 : 0);
    const paid = new Array<number>(covers + 1).fill(0);
    const tags = new Map(
      (
        this.db.prepare('SELECT payment_id, seats FROM app_tab_pays WHERE order_id = ?').all(id) as {
          payment_id: string;
          seats: string;
        }[]
      ).map((r) => [r.payment_id, JSON.parse(r.seats) as number[]]),
    );
    for (const p of order.payments) {
      if (p.status !== 'approved') continue;
      let left = p.amount;
      for (const s of tags.get(p.id) ?? []) {
        if (s < 1 || s > covers) continue;
        const take = Math.min(left, totals[s] - paid[s]);
        paid[s] += take;
        left -= take;
      }
    }
    const out: SeatDue[] = [];
    for (let s = 1; s <= covers; s++)
      out.push({ seat: s, total: totals[s], paid: paid[s], due: Math.max(0, totals[s] - paid[s]) });
    return out;
  }

  /** Idempotency: the same operation key twice is applied once. */
  private once(key: string | undefined, id: string): boolean {
    if (!key) return true;
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO app_tab_ops (key, order_id, at) VALUES (?, ?, ?)')
        .run(key, id, Date.now()).changes === 1
    );
  }

  openTab(
    posId: string,
    tableId: string,
    b: { covers: number; cashier: string; id?: string },
  ): { ok: true; tab: TabView } | Fail {
    const pos = this.pos.pointOfSale(posId);
    if (!pos) return fail(404, 'unknown-pos', `unknown point of sale ${posId}`);
    if (!this.staff.can(b.cashier, 'sell')) return fail(403, 'no-right', 'this staff member cannot sell');
    if (!this.table(posId, tableId)) return fail(404, 'unknown-table', 'unknown table');
    const existing = this.tabAt(posId, tableId);
    if (existing) return { ok: true, tab: this.view(existing)! }; // a double tap, or another waiter first
    const id = b.id ?? `t${randomUUID().replaceAll('-', '').slice(0, 20)}`;
    if (this.pos.order(id)) return fail(409, 'cart-id-reused', 'this id belongs to another order');
    const now = Date.now();
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT INTO app_orders (id, pos, cashier, status, total, created_at) VALUES (?, ?, ?, 'open', 0, ?)",
        )
        .run(id, posId, b.cashier, now);
      this.db
        .prepare(
          "INSERT INTO app_tabs (order_id, pos, tables, covers, status, opened_at) VALUES (?, ?, ?, ?, 'open', ?)",
        )
        .run(id, posId, JSON.stringify([tableId]), b.covers, now);
    })();
    this.changed(posId, id);
    return { ok: true, tab: this.view(id)! };
  }

  private openTabRow(id: string): TabRow | Fail {
    const t = this.row(id);
    if (!t) return fail(404, 'unknown-tab', 'unknown tab');
    if (t.status === 'merged')
      return fail(409, 'tab-merged', `this tab was merged into ${t.merged_into}`, { into: t.merged_into });
    if (t.status !== 'open') return fail(409, 'tab-closed', 'this tab is closed');
    return t;
  }

  addLines(
    id: string,
    b: { cashier: string; lines: (LineIn & { seat?: number })[]; ageChecked?: boolean; key?: string },
  ): { ok: true; tab: TabView } | Fail {
    const t = this.openTabRow(id);
    if ('ok' in t) return t;
    if (!this.staff.can(b.cashier, 'sell')) return fail(403, 'no-right', 'this staff member cannot sell');
    const pos = this.pos.pointOfSale(t.pos);
    if (!pos) return fail(404, 'unknown-pos', 'unknown point of sale');
    const priced = this.pos.price(pos, b.lines, b.ageChecked);
    if (!priced.ok) return priced;
    if (!this.once(b.key, id)) return { ok: true, tab: this.view(id)! };
    this.db.transaction(() => {
      const max = (
        this.db.prepare('SELECT max(n) AS m FROM app_order_lines WHERE order_id = ?').get(id) as {
          m: number | null;
        }
      ).m;
      let n = (max ?? -1) + 1;
      const ins = this.db.prepare(
        'INSERT INTO app_order_lines (order_id, n, sku, label, qty, price, category, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const meta = this.db.prepare(
        'INSERT INTO app_tab_lines (order_id, n, seat, round) VALUES (?, ?, ?, 0)',
      );
      priced.lines.forEach((l, i) => {
        const seat = Math.max(0, Math.min(t.covers, b.lines[i].seat ?? 0));
        ins.run(id, n, l.sku, l.label, l.qty, l.price, l.category, l.note);
        meta.run(id, n, seat);
        n++;
      });
      const add = priced.lines.reduce((s, l) => s + l.qty * l.price, 0);
      this.db.prepare('UPDATE app_orders SET total = total + ? WHERE id = ?').run(add, id);
    })();
    this.changed(t.pos, id);
    this.pos.announce(id);
    return { ok: true, tab: this.view(id)! };
  }

  /** An unsent line goes with the "sell" right; a line already sent to the kitchen needs "void". */
  removeLine(id: string, n: number, by: string): { ok: true; tab: TabView } | Fail {
    const t = this.openTabRow(id);
    if ('ok' in t) return t;
    const v = this.view(id)!;
    const line = v.lines.find((l) => l.n === n);
    if (!line) return fail(404, 'unknown-line', 'unknown line');
    if (!this.staff.can(by, line.round > 0 ? 'void' : 'sell'))
      return fail(
        403,
        'no-right',
        line.round > 0 ? 'a line sent to the kitchen needs the void right' : 'cannot sell',
      );
    const amount = line.qty * line.price;
    if (v.order.paid > v.order.total - amount)
      return fail(409, 'already-paid', 'more than that is already paid');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM app_order_lines WHERE order_id = ? AND n = ?').run(id, n);
      this.db.prepare('DELETE FROM app_tab_lines WHERE order_id = ? AND n = ?').run(id, n);
      this.db.prepare('UPDATE app_orders SET total = total - ? WHERE id = ?').run(amount, id);
    })();
    this.changed(t.pos, id);
    this.pos.announce(id);
    return { ok: true, tab: this.view(id)! };
  }

  /** Sends the unsent lines to the kitchen as the next round (tickets per station, the table's name on them). */
  send(
    id: string,
    b: { note?: string; cashier: string; key?: string },
  ): { ok: true; tab: TabView; round: number; tickets: number } | Fail {
    const t = this.openTabRow(id);
    if ('ok' in t) return t;
    if (!this.staff.can(b.cashier, 'sell')) return fail(403, 'no-right', 'this staff member cannot sell');
    const v = this.view(id)!;
    const unsent = v.lines.filter((l) => l.round === 0);
    if (unsent.length === 0 || !this.once(b.key, id))
      return { ok: true, tab: v, round: t.rounds, tickets: 0 };
    const round = t.rounds + 1;
    this.db.transaction(() => {
      this.db.prepare('UPDATE app_tabs SET rounds = ? WHERE order_id = ?').run(round, id);
      const up = this.db.prepare('UPDATE app_tab_lines SET round = ? WHERE order_id = ? AND n = ?');
      for (const l of unsent) up.run(round, id, l.n);
    })();
    const names = v.tables.map((x) => this.table(t.pos, x)?.name ?? x).join('+');
    const head = `${names} · ${v.covers}p · #${round}`;
    const tickets = this.kitchen.route(
      `${id}.${round}`,
      t.pos,
      unsent.map((l) => ({
        ...l,
        note: l.seat > 0 ? (l.note ? `S${l.seat} · ${l.note}` : `S${l.seat}`) : l.note,
      })),
      b.note ? `${head} — ${b.note}` : head,
    );
    this.changed(t.pos, id);
    return { ok: true, tab: this.view(id)!, round, tickets: tickets.length };
  }

  move(id: string, to: string, by: string): { ok: true; tab: TabView } | Fail {
    const t = this.openTabRow(id);
    if ('ok' in t) return t;
    if (!this.staff.can(by, 'sell')) return fail(403, 'no-right', 'cannot sell');
    if (!this.table(t.pos, to)) return fail(404, 'unknown-table', 'unknown table');
    const other = this.tabAt(t.pos, to);
    if (other && other !== id) return fail(409, 'table-busy', 'that table has its own tab: merge instead');
    this.db.prepare('UPDATE app_tabs SET tables = ? WHERE order_id = ?').run(JSON.stringify([to]), id);
    this.changed(t.pos, id);
    return { ok: true, tab: this.view(id)! };
  }

  /** Merges this tab into another (tables pushed together): its lines and seats follow, renumbered after the target's. */
  merge(id: string, into: string, by: string): { ok: true; tab: TabView } | Fail {
    const a = this.openTabRow(id);
    if ('ok' in a) return a;
    const b = this.openTabRow(into);
    if ('ok' in b) return b;
    if (id === into || a.pos !== b.pos) return fail(409, 'bad-merge', 'cannot merge these tabs');
    if (!this.staff.can(by, 'sell')) return fail(403, 'no-right', 'cannot sell');
    const ao = this.pos.order(id)!;
    if (ao.payments.some((p) => p.status === 'approved' || p.status === 'pending'))
      return fail(409, 'paid-in-part', 'this tab is partly paid: settle it first');
    this.db.transaction(() => {
      const max = (
        this.db.prepare('SELECT max(n) AS m FROM app_order_lines WHERE order_id = ?').get(into) as {
          m: number | null;
        }
      ).m;
      const offset = (max ?? -1) + 1;
      const rows = this.db.prepare('SELECT n, seat, round FROM app_tab_lines WHERE order_id = ?').all(id) as {
        n: number;
        seat: number;
        round: number;
      }[];
      this.db
        .prepare('UPDATE app_order_lines SET order_id = ?, n = n + ? WHERE order_id = ?')
        .run(into, offset, id);
      this.db.prepare('DELETE FROM app_tab_lines WHERE order_id = ?').run(id);
      const ins = this.db.prepare('INSERT INTO app_tab_lines (order_id, n, seat, round) VALUES (?, ?, ?, ?)');
      for (const r of rows) ins.run(into, r.n + offset, r.seat > 0 ? r.seat + b.covers : 0, r.round);
      this.db.prepare('UPDATE app_orders SET total = total + ? WHERE id = ?').run(ao.total, into);
      this.db.prepare('UPDATE app_payments SET order_id = ? WHERE order_id = ?').run(into, id); // cancelled/declined ones
      this.db.prepare('DELETE FROM app_orders WHERE id = ?').run(id);
      const tables = [
        ...new Set([...(JSON.parse(b.tables) as string[]), ...(JSON.parse(a.tables) as string[])]),
      ];
      const aliases = [...(JSON.parse(b.aliases) as string[]), id, ...(JSON.parse(a.aliases) as string[])];
      this.db
        .prepare('UPDATE app_tabs SET tables = ?, covers = ?, aliases = ? WHERE order_id = ?')
        .run(JSON.stringify(tables), b.covers + a.covers, JSON.stringify(aliases), into);
      this.db
        .prepare("UPDATE app_tabs SET status = 'merged', merged_into = ?, closed_at = ? WHERE order_id = ?")
        .run(into, Date.now(), id);
    })();
    this.changed(a.pos, into);
    this.pos.announce(into);
    return { ok: true, tab: this.view(into)! };
  }

  /** Pays the whole tab, some seats, or an amount; card, cash or bank card (several payments mix). */
  async pay(
    id: string,
    b: {
      method: Method;
      seats?: number[];
      amount?: number;
      tendered?: number;
      deviceId?: string;
      cashier: string;
    },
  ) {
    const t = this.openTabRow(id);
    if ('ok' in t) return t;
    const v = this.view(id)!;
    let amount = b.amount;
    if (b.seats?.length) {
      const due = v.seats.filter((s) => b.seats!.includes(s.seat)).reduce((s, x) => s + x.due, 0);
      if (due <= 0) return fail(409, 'nothing-due', 'these seats have nothing left to pay');
      amount = due;
    }
    const r = await this.pos.pay(id, {
      method: b.method,
      amount,
      tendered: b.tendered,
      deviceId: b.deviceId,
      cashier: b.cashier,
    });
    if (r.ok && r.payment && b.seats?.length)
      this.db
        .prepare('INSERT OR IGNORE INTO app_tab_pays (payment_id, order_id, seats) VALUES (?, ?, ?)')
        .run(r.payment.id, id, JSON.stringify(b.seats));
    if (r.ok) this.changed(t.pos, id);
    return r.ok ? { ...r, tab: this.view(id)! } : r;
  }
}

function roomPage(o: {
  pos: { id: string; name: string; devices: string[] };
  products: ReturnType<typeof productView>[];
  lang: Lang;
  currency: string;
  staff: { id: string; name: string }[];
  cashier?: string;
}): string {
  const s = strings(o.lang);
  const t = s.room;
  const p = s.pos;
  const staffOpts = o.staff
    .map(
      (m) => `<option value="${esc(m.id)}"${m.id === o.cashier ? ' selected' : ''}>${esc(m.name)}</option>`,
    )
    .join('');
  const devOpts = o.pos.devices.map((d) => `<option value="${esc(d)}">${esc(d)}</option>`).join('');
  const tiles = o.products
    .map(
      (x) =>
        `<button class="tile" data-sku="${esc(x.sku)}" style="--c:${esc(x.colour)}"><span class="label">${esc(x.label)}</span><span class="price">${esc(money(x.price, o.currency, o.lang))}</span>${x.minAge ? `<span class="age">${esc(x.minAge)}+</span>` : ''}</button>`,
    )
    .join('');
  const other = o.lang === 'fr' ? 'en' : 'fr';
  return page({
    lang: o.lang,
    title: `${o.pos.name} · ${t.title}`,
    bodyClass: 'room',
    scripts: ['room.js'],
    boot: {
      pos: o.pos,
      products: o.products,
      currency: o.currency,
      lang: o.lang,
      cashier: o.cashier ?? null,
      t: { ...t, pos: p, reasons: s.reasons, states: s.kitchen.states },
    },
    body: `<header class="bar">
<a href="/apps/?lang=${o.lang}" aria-label="home">⌂</a><h1>${esc(o.pos.name)} · ${esc(t.title)}</h1>
<label>${esc(p.cashier)} ${o.staff.length > 0 ? `<select id="cashier">${staffOpts}</select>` : `<input id="cashier" value="${esc(o.cashier ?? 'room')}" size="8">`}</label>
<label>${esc(p.terminal)} <select id="device">${devOpts}</select></label>
<button id="edit" class="btn small" type="button" aria-pressed="false">${esc(t.editPlan)}</button>
<a class="lang" href="?lang=${other}">${other.toUpperCase()}</a><span id="conn" class="dot"></span></header>
<main class="room-main">
<section class="plan-wrap"><div id="plan" class="plan" aria-label="${esc(t.plan)}"></div>
<form id="editor" class="card editor" hidden><p><button type="button" id="add-table" class="btn">${esc(t.addTable)}</button></p>
<fieldset id="table-form" disabled><label>${esc(t.name)} <input id="tf-name" maxlength="32" required></label>
<label>${esc(t.seats)} <input id="tf-seats" type="number" min="1" max="40" required></label>
<label>${esc(t.shape)} <select id="tf-shape"><option value="rect">▭</option><option value="round">◯</option></select></label>
<button class="btn primary" id="tf-save">${esc(t.save)}</button><button type="button" class="btn danger" id="tf-delete">${esc(t.remove)}</button></fieldset></form></section>
<aside id="panel" class="card tabpanel" hidden>
<h2 id="tab-title"></h2>
<div id="opener" hidden><label>${esc(t.covers)} <input id="open-covers" type="number" min="1" max="40" value="2"></label> <button id="open-tab" class="btn primary" type="button">${esc(t.openTab)}</button></div>
<div id="tab" hidden>
<div id="seats" class="seats" role="group" aria-label="${esc(t.seat)}"></div>
<input id="lnote" class="note" maxlength="120" placeholder="${esc(p.lineNote)}">
<div id="tgrid" class="grid-tiles small">${tiles}</div>
<ol id="tlines" class="lines"></ol>
<input id="tnote" class="note" maxlength="200" placeholder="${esc(p.note)}">
<div class="actions"><button id="tsend" class="btn" type="button">${esc(p.send)}</button></div>
<ul id="ttickets" class="ktickets"></ul>
<div class="total"><span>${esc(t.left)}</span><b id="tdue"></b></div>
<div id="payseats" class="seats"></div>
<div class="actions"><input id="tamount" class="tendered" inputmode="decimal" placeholder="${esc(t.amount)}"><button id="tsplit" class="btn small" type="button">÷</button><input id="ttendered" class="tendered" inputmode="decimal" placeholder="${esc(p.tendered)}"></div>
<div class="actions"><button id="tpay-card" class="btn big primary" type="button">${esc(p.payCard)}</button><button id="tpay-cash" class="btn big" type="button">${esc(p.payCash)}</button><button id="tpay-bank" class="btn big" type="button">${esc(p.payBank)}</button></div>
<div class="actions"><select id="tto"></select><button id="tmove" class="btn small" type="button">${esc(t.move)}</button><button id="tmerge" class="btn small" type="button">${esc(t.merge)}</button></div>
</div>
<div id="msg" class="msg" role="alert"></div>
</aside></main>
<div id="overlay" class="overlay" hidden><div class="panel"><p id="ov-title" class="ov-title"></p><p id="ov-detail"></p><p id="ov-balance" class="balance"></p>
<div class="actions"><button id="ov-cancel" class="btn">${esc(p.cancel)}</button><button id="ov-close" class="btn primary">${esc(p.close)}</button></div></div></div>
<div id="toasts" class="toasts" aria-live="polite"></div>`,
  });
}

export function roomRoutes(
  app: FastifyInstance,
  room: Room,
  pos: Pos,
  staff: Staff,
  hub: Hub,
  gw: Gateway,
): void {
  const posParam = { type: 'object', properties: { pos: { type: 'string', pattern: ID } } };
  const tableParam = {
    type: 'object',
    properties: { pos: { type: 'string', pattern: ID }, id: { type: 'string', pattern: ID } },
  };
  const tabParam = { type: 'object', properties: { id: { type: 'string', pattern: ID } } };
  const who = { type: 'string', minLength: 1, maxLength: 64 };
  const key = { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' };
  const P = (req: { params: unknown }) => req.params as { pos: string; id: string };

  app.get('/apps/room/:pos', { schema: { params: posParam } }, async (req, reply) => {
    const q = req.query as { lang?: string; cashier?: string };
    const p = pos.pointOfSale(P(req).pos);
    if (!p) return reply.code(404).type('text/plain').send('unknown point of sale');
    return reply.type('text/html; charset=utf-8').send(
      roomPage({
        pos: { id: p.id, name: p.name, devices: p.devices },
        products: p.products.map(productView),
        lang: pickLang(q.lang, req.headers['accept-language']),
        currency: gw.ctx.config().currency,
        staff: staff.list(),
        cashier: typeof q.cashier === 'string' ? q.cashier.slice(0, 64) : undefined,
      }),
    );
  });
  app.get('/apps/api/room/:pos', { schema: { params: posParam } }, async (req, reply) => {
    const p = pos.pointOfSale(P(req).pos);
    if (!p) return reply.code(404).send({ error: 'unknown-pos' });
    return { tables: room.tables(p.id), tabs: room.summaries(p.id) };
  });
  app.get('/apps/api/room/:pos/events', { schema: { params: posParam } }, (req, reply) => {
    const id = P(req).pos;
    hub.open(req, reply, [`room:${id}`, `pos:${id}`, 'alerts']);
  });
  app.put(
    '/apps/api/room/:pos/tables/:id',
    {
      schema: {
        params: tableParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'seats'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 32 },
            seats: { type: 'integer', minimum: 1, maximum: 40 },
            x: { type: 'number', minimum: 0, maximum: 100 },
            y: { type: 'number', minimum: 0, maximum: 100 },
            w: { type: 'number', minimum: 2, maximum: 100 },
            h: { type: 'number', minimum: 2, maximum: 100 },
            shape: { enum: ['rect', 'round'] },
            by: who,
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as Partial<RoomTable> & { name: string; seats: number; by?: string };
      if (!staff.can(b.by, 'admin'))
        return reply.code(403).send({ error: 'no-right', message: 'admin right needed' });
      const { pos: posId, id } = P(req);
      if (!pos.pointOfSale(posId)) return reply.code(404).send({ error: 'unknown-pos' });
      const cur = room.table(posId, id);
      return room.saveTable({
        id,
        pos: posId,
        name: b.name,
        seats: b.seats,
        x: b.x ?? cur?.x ?? 5,
        y: b.y ?? cur?.y ?? 5,
        w: b.w ?? cur?.w ?? 12,
        h: b.h ?? cur?.h ?? 12,
        shape: b.shape ?? cur?.shape ?? 'rect',
      });
    },
  );
  app.delete('/apps/api/room/:pos/tables/:id', { schema: { params: tableParam } }, async (req, reply) => {
    const q = (req.query as { by?: string }).by;
    if (!staff.can(q, 'admin') || (q && staff.hasCredentials(q)))
      return reply.code(403).send({ error: 'no-right', message: 'admin right needed' });
    return sendResult(reply, room.removeTable(P(req).pos, P(req).id));
  });
  app.post(
    '/apps/api/room/:pos/tables/:id/tab',
    {
      schema: {
        params: tableParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['covers', 'cashier'],
          properties: { covers: { type: 'integer', minimum: 1, maximum: 40 }, cashier: who, id: key },
        },
      },
    },
    async (req, reply) => sendResult(reply, room.openTab(P(req).pos, P(req).id, req.body as never)),
  );
  app.get('/apps/api/tabs/:id', { schema: { params: tabParam } }, async (req, reply) => {
    return room.view(P(req).id) ?? reply.code(404).send({ error: 'unknown-tab' });
  });
  app.post(
    '/apps/api/tabs/:id/lines',
    {
      schema: {
        params: tabParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['cashier', 'lines'],
          properties: {
            cashier: who,
            key,
            ageChecked: { type: 'boolean' },
            lines: orderLinesSchema({ seat: { type: 'integer', minimum: 0, maximum: 40 } }),
          },
        },
      },
    },
    async (req, reply) => sendResult(reply, room.addLines(P(req).id, req.body as never)),
  );
  app.post(
    '/apps/api/tabs/:id/lines/:n/remove',
    {
      schema: {
        params: {
          type: 'object',
          properties: { id: { type: 'string', pattern: ID }, n: { type: 'integer', minimum: 0 } },
        },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['cashier'],
          properties: { cashier: who },
        },
      },
    },
    async (req, reply) => {
      const p = req.params as { id: string; n: number };
      return sendResult(reply, room.removeLine(p.id, p.n, (req.body as { cashier: string }).cashier));
    },
  );
  app.post(
    '/apps/api/tabs/:id/send',
    {
      schema: {
        params: tabParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['cashier'],
          properties: { cashier: who, note: { type: 'string', maxLength: 200 }, key },
        },
      },
    },
    async (req, reply) => sendResult(reply, room.send(P(req).id, req.body as never)),
  );
  app.post(
    '/apps/api/tabs/:id/move',
    {
      schema: {
        params: tabParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['to', 'cashier'],
          properties: { to: { type: 'string', pattern: ID }, cashier: who },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { to: string; cashier: string };
      return sendResult(reply, room.move(P(req).id, b.to, b.cashier));
    },
  );
  app.post(
    '/apps/api/tabs/:id/merge',
    {
      schema: {
        params: tabParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['cashier'],
          properties: {
            into: { type: 'string', pattern: ID },
            table: { type: 'string', pattern: ID },
            cashier: who,
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { into?: string; table?: string; cashier: string };
      const tab = room.view(P(req).id);
      const into = b.into ?? (tab && b.table ? room.tabAt(tab.pos, b.table) : undefined);
      if (!into)
        return reply.code(404).send({ error: 'unknown-tab', message: 'no open tab there to merge into' });
      return sendResult(reply, room.merge(P(req).id, into, b.cashier));
    },
  );
  app.post(
    '/apps/api/tabs/:id/payments',
    {
      schema: {
        params: tabParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['method', 'cashier'],
          properties: {
            method: { enum: ['card', 'cash', 'bankcard'] },
            seats: { type: 'array', maxItems: 40, items: { type: 'integer', minimum: 1, maximum: 40 } },
            amount: { type: 'integer', minimum: 1, maximum: 100000000 },
            tendered: { type: 'integer', minimum: 1, maximum: 100000000 },
            deviceId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$' },
            cashier: who,
          },
        },
      },
    },
    async (req, reply) => sendResult(reply, (await room.pay(P(req).id, req.body as never)) as never),
  );
}
