/**
 * Kitchen and bar display: tickets routed per station (by product sku, then "cat:<category>",
 * then "*"), states new → preparing → ready → served, bump/undo, live over SSE
 * ("kitchen:<station>"); "ready" is announced back to the POS ("pos:<posId>").
 * The display patches one ticket per event (no full re-render).
 */
import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { esc, page } from './html.js';
import { pickLang, strings } from './i18n.js';
import type { Hub } from './sse.js';
import { ID, type Staff } from './staff.js';

export const STATES = ['new', 'preparing', 'ready', 'served'] as const;
export type TicketState = (typeof STATES)[number] | 'voided';

export interface TicketLine {
  sku: string;
  label: string;
  qty: number;
  note?: string;
}

export interface Ticket {
  id: number;
  orderId: string;
  pos: string;
  station: string;
  lines: TicketLine[];
  note: string | null;
  state: TicketState;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: number;
  order_id: string;
  pos: string;
  station: string;
  lines: string;
  note: string | null;
  state: TicketState;
  prev: string;
  created_at: number;
  updated_at: number;
}

const toTicket = (r: Row): Ticket => ({
  id: r.id,
  orderId: r.order_id,
  pos: r.pos,
  station: r.station,
  lines: JSON.parse(r.lines) as TicketLine[],
  note: r.note,
  state: r.state,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class Kitchen {
  /** Called for each new ticket (printing). */
  readonly created: ((t: Ticket) => void)[] = [];

  constructor(
    private readonly db: Database.Database,
    private readonly hub: Hub,
  ) {}

  routes(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of this.db.prepare('SELECT key, station FROM app_routes ORDER BY key').all() as {
      key: string;
      station: string;
    }[])
      out[r.key] = r.station;
    return out;
  }

  setRoutes(routes: Record<string, string>): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM app_routes').run();
      const ins = this.db.prepare('INSERT INTO app_routes (key, station) VALUES (?, ?)');
      for (const [k, s] of Object.entries(routes)) ins.run(k, s);
    })();
  }

  stations(): string[] {
    return [...new Set(Object.values(this.routes()))].sort();
  }

  stationOf(routes: Record<string, string>, sku: string, category: string | undefined): string | undefined {
    return routes[sku] ?? (category ? routes[`cat:${category}`] : undefined) ?? routes['*'];
  }

  /** Creates the order's tickets (one per station); again for the same order: nothing new. */
  route(
    orderId: string,
    pos: string,
    lines: { sku: string; label: string; qty: number; note?: string | null; category?: string | null }[],
    note: string | null,
  ): Ticket[] {
    const routes = this.routes();
    const byStation = new Map<string, TicketLine[]>();
    for (const l of lines) {
      const st = this.stationOf(routes, l.sku, l.category ?? undefined);
      if (!st) continue;
      const list = byStation.get(st) ?? [];
      list.push(
        l.note
          ? { sku: l.sku, label: l.label, qty: l.qty, note: l.note }
          : { sku: l.sku, label: l.label, qty: l.qty },
      );
      byStation.set(st, list);
    }
    const created: Ticket[] = [];
    const now = Date.now();
    const ins = this.db.prepare(
      `INSERT INTO app_tickets (order_id, pos, station, lines, note, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'new', ?, ?)
       ON CONFLICT(order_id, station) DO NOTHING`,
    );
    for (const [station, ls] of byStation) {
      const r = ins.run(orderId, pos, station, JSON.stringify(ls), note, now, now);
      if (r.changes === 1) created.push(this.get(Number(r.lastInsertRowid))!);
    }
    for (const t of created) {
      this.announce(t);
      for (const f of this.created) f(t);
    }
    return created;
  }

  get(id: number): Ticket | undefined {
    const r = this.db.prepare('SELECT * FROM app_tickets WHERE id = ?').get(id) as Row | undefined;
    return r ? toTicket(r) : undefined;
  }

  forOrder(orderId: string): Ticket[] {
    return (
      this.db.prepare('SELECT * FROM app_tickets WHERE order_id = ? ORDER BY id').all(orderId) as Row[]
    ).map(toTicket);
  }

  /** Open tickets of a station ("all" = every station), oldest first. */
  open(station: string): Ticket[] {
    const rows =
      station === 'all'
        ? this.db
            .prepare("SELECT * FROM app_tickets WHERE state IN ('new','preparing','ready') ORDER BY id")
            .all()
        : this.db
            .prepare(
              "SELECT * FROM app_tickets WHERE station = ? AND state IN ('new','preparing','ready') ORDER BY id",
            )
            .all(station);
    return (rows as Row[]).map(toTicket);
  }

  private setState(
    id: number,
    next: (row: Row) => { state: TicketState; prev: string[] } | undefined,
  ): Ticket | undefined {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT * FROM app_tickets WHERE id = ?').get(id) as Row | undefined;
      if (!row) return undefined;
      const n = next(row);
      if (!n) return toTicket(row);
      this.db
        .prepare('UPDATE app_tickets SET state = ?, prev = ?, updated_at = ? WHERE id = ?')
        .run(n.state, JSON.stringify(n.prev), Date.now(), id);
      const t = this.get(id)!;
      this.announce(t);
      return t;
    })();
  }

  /** One step forward; optionally only from an expected state (two screens bumping at once). */
  bump(id: number, from?: TicketState): Ticket | undefined {
    return this.setState(id, (row) => {
      const i = STATES.indexOf(row.state as (typeof STATES)[number]);
      if (i < 0 || i === STATES.length - 1 || (from && from !== row.state)) return undefined;
      return { state: STATES[i + 1], prev: [...(JSON.parse(row.prev) as string[]), row.state] };
    });
  }

  undo(id: number): Ticket | undefined {
    return this.setState(id, (row) => {
      const prev = JSON.parse(row.prev) as TicketState[];
      const back = prev.pop();
      if (!back || row.state === 'voided') return undefined;
      return { state: back, prev };
    });
  }

  voidOrder(orderId: string): void {
    for (const t of this.forOrder(orderId))
      if (t.state !== 'voided')
        this.setState(t.id, (row) => ({
          state: 'voided',
          prev: [...(JSON.parse(row.prev) as string[]), row.state],
        }));
  }

  private announce(t: Ticket): void {
    this.hub.publish(`kitchen:${t.station}`, 'ticket', t);
    this.hub.publish('kitchen:all', 'ticket', t);
    if (t.state === 'ready')
      this.hub.publish(`pos:${t.pos}`, 'ready', { orderId: t.orderId, station: t.station, ticket: t.id });
  }
}

function kitchenPage(station: string, lang: 'fr' | 'en', stations: string[]): string {
  const s = strings(lang);
  return page({
    lang,
    title: `${s.kitchen.title} · ${station}`,
    bodyClass: 'kds',
    scripts: ['kitchen.js'],
    boot: { station, lang, t: s.kitchen, stations },
    body: `<header class="bar"><a href="/apps/?lang=${lang}">⌂</a><h1>${esc(s.kitchen.title)} · ${esc(station)}</h1>
<span id="count" class="pill">0</span><button id="undo" class="btn small" title="U">${esc(s.kitchen.undo)} (U)</button><span id="conn" class="dot"></span></header>
<main id="tickets" class="tickets" aria-live="polite"></main>`,
  });
}

export function kitchenRoutes(app: FastifyInstance, kitchen: Kitchen, staff: Staff, hub: Hub): void {
  const stationParam = { type: 'object', properties: { station: { type: 'string', pattern: ID } } };
  const idParam = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } } };
  app.get('/apps/kitchen/:station', { schema: { params: stationParam } }, async (req, reply) => {
    const q = req.query as { lang?: string };
    const html = kitchenPage(
      (req.params as { station: string }).station,
      pickLang(q.lang, req.headers['accept-language']),
      kitchen.stations(),
    );
    return reply.type('text/html; charset=utf-8').send(html);
  });
  app.get('/apps/api/kitchen/:station/tickets', { schema: { params: stationParam } }, async (req) =>
    kitchen.open((req.params as { station: string }).station),
  );
  app.get('/apps/api/kitchen/:station/events', { schema: { params: stationParam } }, (req, reply) => {
    const station = (req.params as { station: string }).station;
    hub.open(req, reply, [`kitchen:${station}`], { event: 'snapshot', data: kitchen.open(station) });
  });
  app.get('/apps/api/kitchen/routes', async () => kitchen.routes());
  app.put(
    '/apps/api/kitchen/routes',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['routes'],
          properties: {
            routes: {
              type: 'object',
              maxProperties: 500,
              additionalProperties: { type: 'string', pattern: ID },
            },
            by: { type: 'string', maxLength: 64 },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { routes: Record<string, string>; by?: string };
      if (!staff.can(b.by, 'admin')) return reply.code(403).send({ error: 'no-right' });
      kitchen.setRoutes(b.routes);
      return { ok: true };
    },
  );
  const step =
    (fn: (id: number, from?: TicketState) => Ticket | undefined) =>
    async (
      req: { params: unknown; body: unknown },
      reply: { code(n: number): { send(b: unknown): unknown } },
    ) => {
      const b = (req.body ?? {}) as { from?: TicketState };
      const t = fn((req.params as { id: number }).id, b.from);
      return t ?? reply.code(404).send({ error: 'unknown-ticket' });
    };
  const body = {
    type: 'object',
    nullable: true,
    additionalProperties: false,
    properties: { from: { enum: [...STATES] }, by: { type: 'string', maxLength: 64 } },
  };
  app.post(
    '/apps/api/kitchen/tickets/:id/bump',
    { schema: { params: idParam, body } },
    step((id, from) => kitchen.bump(id, from)),
  );
  app.post(
    '/apps/api/kitchen/tickets/:id/undo',
    { schema: { params: idParam, body } },
    step((id) => kitchen.undo(id)),
  );
}
