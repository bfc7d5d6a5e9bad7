/**
 * Venue apps served by the gateway (they keep working when the venue's internet is down):
 * cashier POS, kitchen/bar display, stock, reports. `registerApps()` adds them to the gateway's
 * HTTP server under /apps; their tables live in the journal's SQLite file.
 *
 * Access: with a staff token, a request needs `Authorization: Bearer <token>`, or the
 * `tb_staff` cookie, which `?token=<token>` on any page sets (tablets open a bookmarked URL).
 * Without a token, only loopback clients are served (as /api).
 */
import { timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Gateway } from '../gateway.js';
import { baseConfig } from '../promotions/menu.js';
import {
  createPromoTables,
  dropOrderDiscounts,
  orderDiscounts,
  recordOrderDiscounts,
} from '../promotions/report.js';
import type { ResultBody, TapBody } from '../types.js';
import { Admin, adminRoutes } from './admin.js';
import { createAppTables } from './db.js';
import { Fiscal, fiscalRoutes, type TicketData } from './fiscal.js';
import { esc, page } from './html.js';
import { pickLang, strings } from './i18n.js';
import { Kitchen, kitchenRoutes } from './kitchen.js';
import { Pos, posRoutes } from './pos.js';
import { Printing, printingRoutes } from './printing.js';
import { Reports, reportsRoutes } from './reports.js';
import { Room, roomRoutes } from './room.js';
import { Hub } from './sse.js';
import { actorHook, Staff, staffRoutes } from './staff.js';
import { ADMIN_CSS, ADMIN_JS } from './static/admin-js.js';
import { APP_CSS } from './static/app-css.js';
import { KITCHEN_JS, REPORTS_JS, STOCK_JS } from './static/kitchen-js.js';
import { POS_JS } from './static/pos-js.js';
import { POS_SCAN_JS } from './static/pos-scan-js.js';
import { ROOM_JS } from './static/room-js.js';
import { Stock, stockRoutes } from './stock.js';
import { vatRateOf } from './vat.js';
import { PayKeys } from './wallet-pay.js';

export interface AppsOptions {
  /** The staff token of the HTTP server (see startHttp); unset = loopback only. */
  staffToken?: string;
}

export interface Apps {
  hub: Hub;
  pos: Pos;
  kitchen: Kitchen;
  stock: Stock;
  reports: Reports;
  staff: Staff;
  room: Room;
  fiscal: Fiscal;
  printing: Printing;
  admin: Admin;
}

const ASSETS: Record<string, { type: string; body: string }> = {
  'app.css': { type: 'text/css; charset=utf-8', body: APP_CSS },
  'pos.js': { type: 'text/javascript; charset=utf-8', body: POS_JS },
  'kitchen.js': { type: 'text/javascript; charset=utf-8', body: KITCHEN_JS },
  'stock.js': { type: 'text/javascript; charset=utf-8', body: STOCK_JS },
  'reports.js': { type: 'text/javascript; charset=utf-8', body: REPORTS_JS },
  'room.js': { type: 'text/javascript; charset=utf-8', body: ROOM_JS },
  'pos-scan.js': { type: 'text/javascript; charset=utf-8', body: POS_SCAN_JS },
  // jsQR's own browser bundle, served as shipped (the POS camera decodes wallet QR codes with it)
  'jsqr.js': {
    type: 'text/javascript; charset=utf-8',
    body: readFileSync(createRequire(import.meta.url).resolve('jsqr/dist/jsQR.js'), 'utf8'),
  },
  'admin.js': { type: 'text/javascript; charset=utf-8', body: ADMIN_JS },
  'admin.css': { type: 'text/css; charset=utf-8', body: ADMIN_CSS },
};

const COOKIE = 'tb_staff';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

function authorize(o: AppsOptions) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!o.staffToken) {
      if (req.ip === '127.0.0.1' || req.ip === '::1' || req.ip === '::ffff:127.0.0.1') return;
      return reply.code(401).send({ error: 'unauthorized' });
    }
    const token = o.staffToken;
    const bearer = req.headers.authorization?.startsWith('Bearer ')
      ? req.headers.authorization.slice(7)
      : undefined;
    if (bearer && sameSecret(bearer, token)) return;
    const c = cookie(req, COOKIE);
    if (c && sameSecret(c, token)) return;
    const q = (req.query as { token?: unknown } | undefined)?.token;
    if (typeof q === 'string' && sameSecret(q, token)) {
      reply.header(
        'set-cookie',
        `${COOKIE}=${encodeURIComponent(token)}; Path=/apps; HttpOnly; SameSite=Strict; Max-Age=31536000`,
      );
      return;
    }
    return reply.code(401).send({ error: 'unauthorized' });
  };
}

function homePage(gw: Gateway, kitchen: Kitchen, lang: 'fr' | 'en'): string {
  const s = strings(lang);
  const pos = gw.ctx
    .config()
    .pointsOfSale.filter((p) => p.mode === 'cashier' || p.products.length > 0)
    .map(
      (p) =>
        `<a href="/apps/pos/${encodeURIComponent(p.id)}?lang=${lang}">🧾 ${esc(p.name)}</a><a href="/apps/room/${encodeURIComponent(p.id)}?lang=${lang}">🍽 ${esc(p.name)} · ${esc(s.room.title)}</a>`,
    )
    .join('');
  const stations = ['all', ...kitchen.stations()]
    .map(
      (st) =>
        `<a href="/apps/kitchen/${encodeURIComponent(st)}?lang=${lang}">🍳 ${esc(st === 'all' ? s.home.allStations : st)}</a>`,
    )
    .join('');
  return page({
    lang,
    title: s.home.title,
    body: `<header class="bar"><h1>${esc(s.home.title)} · ${esc(gw.ctx.config().name)}</h1><a class="lang" href="?lang=${lang === 'fr' ? 'en' : 'fr'}">${lang === 'fr' ? 'EN' : 'FR'}</a></header>
<main class="pad"><h2>${esc(s.home.pos)}</h2><div class="home">${pos}</div><h2>${esc(s.home.kitchen)}</h2><div class="home">${stations}</div>
<h2>${esc(s.home.back)}</h2><div class="home"><a href="/apps/stock?lang=${lang}">📦 ${esc(s.stock.title)}</a><a href="/apps/reports?lang=${lang}">📊 ${esc(s.reports.title)}</a><a href="/apps/admin?lang=${lang}">⚙️ ${esc(s.admin.title)}</a><a href="/status">📡 ${esc(s.home.terminals)}</a></div></main>`,
  });
}

/** Adds the venue apps to the gateway's HTTP server. */
export async function registerApps(app: FastifyInstance, gw: Gateway, o: AppsOptions = {}): Promise<Apps> {
  const db = gw.ctx.journal.db;
  createAppTables(db);
  const hub = new Hub();
  const staff = new Staff(db);
  const stock = new Stock(db, hub);
  const kitchen = new Kitchen(db, hub);
  const reports = new Reports(db, gw.ctx.journal);
  const pos = new Pos(gw, db, hub, stock, kitchen, staff);
  const payKeys = new PayKeys(db, gw.api, gw.ctx.log.child({ part: 'wallet-qr' }));
  pos.payKeys = payKeys;
  if (gw.api) payKeys.start();
  // Inalterable records first: a paid order is on the chain before anything else reacts to it.
  const fiscal = new Fiscal(db, dirname(db.name), gw.ctx.venueId, (sku) => vatRateOf(gw.ctx.config(), sku));
  pos.hooks.settled.push((o) => fiscal.recordSale(o));
  pos.hooks.voided.push((o, reason, by, wasPaid) => {
    if (wasPaid) fiscal.recordVoid(o, reason, by);
  });
  const room = new Room(db, hub, pos, kitchen, staff);
  const printing = new Printing(db, hub);
  const fiscalOf = (orderId: string) => {
    const r = db
      .prepare("SELECT seq, mac, data FROM app_fiscal WHERE kind = 'ticket' AND ref = ?")
      .get(orderId) as { seq: number; mac: string; data: string } | undefined;
    return r && { seq: r.seq, mac: r.mac, vat: (JSON.parse(r.data) as TicketData).vat };
  };
  const receiptInfo = (orderId: string, duplicate: boolean) => ({
    venue: gw.ctx.config().name,
    currency: gw.ctx.config().currency,
    duplicate,
    fiscal: fiscalOf(orderId),
  });
  kitchen.created.push((t) => void printing.ticket(t));
  pos.hooks.settled.push((o) => void printing.receipt(o, receiptInfo(o.id, false)));
  staff.onEnded = (e) => hub.publish('alerts', 'session-end', e);
  // What the happy hours took off each paid order, per rule (the promotions report).
  createPromoTables(db);
  const admin = new Admin(gw);
  pos.hooks.settled.push((o) => {
    const c = baseConfig(gw.ctx.config());
    const at = c.pointsOfSale.find((p) => p.id === o.pos);
    if (at)
      recordOrderDiscounts(db, o.id, orderDiscounts(c, at, o.lines, o.createdAt), o.paidAt ?? Date.now());
  });
  pos.hooks.voided.push((o) => dropOrderDiscounts(db, o.id));

  gw.ctx.events ??= new EventEmitter();
  const onResult = (e: { deviceId: string; tap: TapBody; body: ResultBody }) => {
    // A staff card tapped on a POS's terminal opens that POS (the page redeems the claim).
    const at = gw.ctx.config().pointsOfSale.find((p) => p.devices.includes(e.deviceId));
    const claim = at && !e.tap.ref ? staff.cardTap(e.tap.uid.toUpperCase(), at.id) : undefined;
    if (at && claim)
      hub.publish(`pos:${at.id}`, 'staff', {
        claim: claim.claim,
        staff: claim.member,
        device: e.deviceId,
      });
    pos
      .onResult(e)
      .catch((err: Error) =>
        gw.ctx.log.error({ err: err.message, tx: e.body.tx }, 'apps: result not applied'),
      );
  };
  gw.ctx.events.on('result', onResult);

  await app.register(async (scope) => {
    scope.addHook('onRequest', authorize(o));
    scope.addHook('preHandler', actorHook(staff));
    scope.get('/apps', async (_req, reply) => reply.redirect('/apps/'));
    scope.get('/apps/', async (req, reply) => {
      const q = req.query as { lang?: string };
      return reply
        .type('text/html; charset=utf-8')
        .send(homePage(gw, kitchen, pickLang(q.lang, req.headers['accept-language'])));
    });
    scope.get('/apps/static/:name', async (req, reply) => {
      const a = ASSETS[(req.params as { name: string }).name];
      if (!a) return reply.code(404).send({ error: 'not-found' });
      return reply.type(a.type).header('cache-control', 'no-cache').send(a.body);
    });
    scope.get('/apps/api/stock/events', (req, reply) => hub.open(req, reply, ['stock']));
    posRoutes(scope, pos, staff, hub, gw);
    kitchenRoutes(scope, kitchen, staff, hub);
    stockRoutes(scope, stock, staff, () => gw.ctx.config().currency);
    reportsRoutes(
      scope,
      reports,
      staff,
      () => gw.ctx.config().pointsOfSale.map((p) => ({ id: p.id, name: p.name })),
      () => gw.ctx.config().currency,
      (from, to) => admin.report(from, to),
    );
    staffRoutes(scope, staff);
    adminRoutes(scope, admin, staff, gw);
    roomRoutes(scope, room, pos, staff, hub, gw);
    fiscalRoutes(scope, fiscal, staff);
    printingRoutes(scope, printing, staff, async (id) => {
      const order = pos.order(id);
      return order ? printing.receipt(order, receiptInfo(id, true), false) : undefined;
    });
  });
  app.addHook('preClose', async () => {
    payKeys.stop();
    gw.ctx.events?.off('result', onResult);
    hub.close();
  });
  return { hub, pos, kitchen, stock, reports, staff, room, fiscal, printing, admin };
}

/** For the gateway CLI's `fiscal` subcommand (verify an archive, the chain, export FEC). */
export { fiscalCli, verifyArchive, verifyChain } from './fiscal.js';
