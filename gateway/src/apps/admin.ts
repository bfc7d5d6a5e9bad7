/**
 * Admin on the gateway (works while the venue's internet is down): menus and prices, happy
 * hours and promotion rules, terminal pairing and modes. Cashiers, PINs and roles are the staff
 * module's (its routes, shown on the same screen). Every action needs a staff session whose
 * role has the `admin` right; every body is checked by a schema, then by the rules below; a
 * refused edit changes nothing and is logged.
 *
 * Edits change the gateway's config (saved in the journal file) and go to the terminals at once
 * as retained config messages. The cloud stays the owner of the config it sends: a new config
 * document from the cloud replaces menus and pairings (edit them in the cloud for a lasting
 * change); promotion rules made here are kept (see mergeRules).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Gateway } from '../gateway.js';
import { validTimeZone } from '../promotions/clock.js';
import { baseConfig, DEFAULT_TIME_ZONE } from '../promotions/menu.js';
import { discountsByRule } from '../promotions/report.js';
import { type PromotionRule, RULE_SCHEMA, ruleProblem } from '../promotions/rules.js';
import { membershipCacheOf } from '../sync/membership-cache.js';
import type { PointOfSale, Product, VenueConfig } from '../venue-config.js';
import { type AdminTab, adminPage } from './admin-page.js';
import { pickLang } from './i18n.js';
import { partnerInputProblem } from './partner-rule-input.js';
import { ID, type Session, type Staff, tokenOf } from './staff.js';

export const MODES = ['cashier', 'topup', 'balance', 'door', 'selfpour'] as const;

export type AdminResult<T = object> =
  | ({ ok: true } & T)
  | { ok: false; status: number; error: string; message: string };

const refuse = (status: number, error: string, message: string) =>
  ({ ok: false, status, error, message }) as const;

export interface ProductIn {
  label: string;
  price: number;
  memberPrice?: number;
  category?: string;
  colour?: string;
  minAge?: number;
}

export class Admin {
  /** Edits one after the other: each starts from the config the previous one left. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly gw: Gateway) {}

  /** The config as the cloud and the admin set it (never the happy prices of the moment). */
  config(): VenueConfig {
    return baseConfig(this.gw.ctx.config());
  }

  private edit(
    by: string,
    what: string,
    change: (c: VenueConfig) => AdminResult | undefined,
  ): Promise<AdminResult> {
    const run = this.queue.then(() => this.apply(by, what, change));
    this.queue = run.catch(() => {});
    return run;
  }

  private async apply(
    by: string,
    what: string,
    change: (c: VenueConfig) => AdminResult | undefined,
  ): Promise<AdminResult> {
    const next = structuredClone(this.config());
    const bad = change(next);
    if (bad && !bad.ok) {
      this.gw.ctx.log.warn({ by, what, error: bad.error, detail: bad.message }, 'admin: edit refused');
      return bad;
    }
    await this.gw.setConfig(next);
    this.gw.ctx.log.info({ by, what }, 'admin: config changed');
    return { ok: true } as const;
  }

  upsertProduct(by: string, posId: string, sku: string, p: ProductIn): Promise<AdminResult> {
    return this.edit(by, `product ${posId}/${sku}`, (c) => {
      const pos = c.pointsOfSale.find((x) => x.id === posId);
      if (!pos) return refuse(404, 'unknown-pos', `unknown point of sale ${posId}`);
      if (p.memberPrice !== undefined && p.memberPrice > p.price)
        return refuse(400, 'member-price-higher', 'the member price must not be above the price');
      const product: Product = { sku, label: p.label, price: p.price };
      if (p.memberPrice !== undefined) product.memberPrice = p.memberPrice;
      if (p.category) product.category = p.category;
      if (p.colour) product.colour = p.colour.toLowerCase();
      if (p.minAge) product.minAge = p.minAge;
      const i = pos.products.findIndex((x) => x.sku === sku);
      // Settings the admin screen does not edit (VAT, self-service volume) are kept.
      if (i >= 0) {
        const {
          label: _l,
          price: _p,
          memberPrice: _m,
          category: _c,
          colour: _o,
          minAge: _a,
          ...kept
        } = pos.products[i];
        pos.products[i] = { ...kept, ...product };
      } else if (pos.products.length >= 200)
        return refuse(409, 'menu-full', 'at most 200 products per point of sale');
      else pos.products.push(product);
      return undefined;
    });
  }

  removeProduct(by: string, posId: string, sku: string): Promise<AdminResult> {
    return this.edit(by, `remove product ${posId}/${sku}`, (c) => {
      const pos = c.pointsOfSale.find((x) => x.id === posId);
      const i = pos ? pos.products.findIndex((x) => x.sku === sku) : -1;
      if (!pos || i < 0) return refuse(404, 'unknown-product', `no product ${sku} at ${posId}`);
      pos.products.splice(i, 1);
      return undefined;
    });
  }

  upsertPos(by: string, id: string, b: { name: string; mode: PointOfSale['mode'] }): Promise<AdminResult> {
    return this.edit(by, `point of sale ${id}`, (c) => {
      const pos = c.pointsOfSale.find((x) => x.id === id);
      if (pos) {
        pos.name = b.name;
        pos.mode = b.mode;
      } else if (c.pointsOfSale.length >= 50) return refuse(409, 'too-many', 'at most 50 points of sale');
      else c.pointsOfSale.push({ id, name: b.name, mode: b.mode, devices: [], products: [] });
      return undefined;
    });
  }

  /** Pairs a terminal with a point of sale (it takes that point of sale's mode and menu); null unpairs it. */
  pair(by: string, deviceId: string, posId: string | null): Promise<AdminResult> {
    return this.edit(by, `pair ${deviceId} → ${posId ?? '-'}`, (c) => {
      const d = c.devices.find((x) => x.deviceId === deviceId);
      if (!d || d.revoked)
        return refuse(404, 'unknown-terminal', `terminal ${deviceId} is unknown or revoked`);
      const target = posId === null ? undefined : c.pointsOfSale.find((x) => x.id === posId);
      if (posId !== null && !target) return refuse(404, 'unknown-pos', `unknown point of sale ${posId}`);
      for (const p of c.pointsOfSale) p.devices = p.devices.filter((x) => x !== deviceId);
      target?.devices.push(deviceId);
      return undefined;
    });
  }

  upsertRule(by: string, rule: PromotionRule): Promise<AdminResult> {
    return this.edit(by, `promotion ${rule.id}`, (c) => {
      const problem = ruleProblem(rule);
      if (problem) return refuse(400, 'bad-rule', problem);
      const partner = partnerInputProblem(
        rule,
        (c.promotions ?? []).find((r) => r.id === rule.id),
      );
      if (partner) return refuse(400, 'bad-partner', partner);
      const skus = new Set(c.pointsOfSale.flatMap((p) => p.products.map((x) => x.sku)));
      const named =
        rule.kind === 'history'
          ? [rule.bought, rule.target]
          : rule.kind === 'happy-hour'
            ? (rule.prices ?? []).map((x) => x.sku)
            : (rule.skus ?? []);
      const unknown = named.filter((s) => !skus.has(s));
      if (unknown.length > 0) return refuse(400, 'unknown-sku', `unknown products: ${unknown.join(', ')}`);
      const posIds = new Set(c.pointsOfSale.map((p) => p.id));
      const badPos = (rule.pos ?? []).filter((p) => !posIds.has(p));
      if (badPos.length > 0)
        return refuse(400, 'unknown-pos', `unknown points of sale: ${badPos.join(', ')}`);
      const rules = (c.promotions ?? []).filter((r) => r.id !== rule.id);
      if (rules.length >= 200) return refuse(409, 'too-many', 'at most 200 promotion rules');
      c.promotions = [...rules, { ...rule, source: 'local' }];
      return undefined;
    });
  }

  removeRule(by: string, id: string): Promise<AdminResult> {
    return this.edit(by, `remove promotion ${id}`, (c) => {
      if (!(c.promotions ?? []).some((r) => r.id === id))
        return refuse(404, 'unknown-rule', `no promotion ${id}`);
      c.promotions = (c.promotions ?? []).filter((r) => r.id !== id);
      return undefined;
    });
  }

  setTimeZone(by: string, timeZone: string): Promise<AdminResult> {
    return this.edit(by, `time zone ${timeZone}`, (c) => {
      if (!validTimeZone(timeZone)) return refuse(400, 'bad-time-zone', `unknown time zone ${timeZone}`);
      c.timeZone = timeZone;
      return undefined;
    });
  }

  report(from: number, to: number) {
    const names = new Map((this.config().promotions ?? []).map((r) => [r.id, r.name]));
    return discountsByRule(this.gw.ctx.journal.db, from, to, names);
  }
}

/** The admin session of a request, or the answer refusing it. */
function adminOf(
  staff: Staff,
  req: FastifyRequest,
): { session: Session } | { status: number; error: string; message: string } {
  const s = staff.session(tokenOf(req));
  if (!s)
    return { status: 401, error: 'session-needed', message: 'log in with an admin PIN or staff card first' };
  if (!staff.rights(s.role).includes('admin'))
    return { status: 403, error: 'no-right', message: `${s.name} (${s.role}) has no admin right` };
  return { session: s };
}

const money = { type: 'integer', minimum: 0, maximum: 100000000 } as const;

export function adminRoutes(app: FastifyInstance, admin: Admin, staff: Staff, gw: Gateway): void {
  const guard = async (req: FastifyRequest, reply: FastifyReply) => {
    const a = adminOf(staff, req);
    if ('session' in a) return;
    gw.ctx.log.warn({ url: req.url, error: a.error }, 'admin: request refused');
    return reply.code(a.status).send({ error: a.error, message: a.message });
  };
  const by = (req: FastifyRequest) => staff.session(tokenOf(req))?.staff ?? '?';
  const send = (reply: FastifyReply, r: AdminResult) => {
    if (r.ok) return { ok: true };
    return reply.code(r.status).send({ error: r.error, message: r.message });
  };
  const posSku = {
    type: 'object',
    properties: {
      pos: { type: 'string', pattern: ID },
      sku: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
    },
  };
  const opts = (schema: object) => ({ preHandler: guard, schema });

  app.get('/apps/admin', async (req, reply) => {
    const q = req.query as { lang?: string; tab?: string };
    const lang = pickLang(q.lang, req.headers['accept-language']);
    const tab: AdminTab =
      (['menu', 'promotions', 'terminals', 'staff'] as const).find((t) => t === q.tab) ?? 'menu';
    const a = adminOf(staff, req);
    const c = admin.config();
    const html = adminPage({
      lang,
      tab,
      venue: c.name,
      currency: c.currency,
      session: 'session' in a ? a.session : undefined,
      refused: 'session' in a ? undefined : a.error,
      staff: staff.list(),
      withPin: new Set(
        staff
          .list()
          .filter((m) => staff.hasCredentials(m.id))
          .map((m) => m.id),
      ),
      config: c,
      timeZone: c.timeZone ?? DEFAULT_TIME_ZONE,
      terminals: gw.ctx.devices.list(),
      report:
        'session' in a && tab === 'promotions'
          ? admin.report(Date.now() - 30 * 86_400_000, Date.now() + 1)
          : [],
      partnerKeys: membershipCacheOf(gw.ctx)?.partnerKeys() ?? [],
    });
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
  });

  app.get('/apps/api/admin/config', { preHandler: guard }, async () => {
    const c = admin.config();
    return {
      pointsOfSale: c.pointsOfSale,
      promotions: c.promotions ?? [],
      timeZone: c.timeZone ?? DEFAULT_TIME_ZONE,
      terminals: gw.ctx.devices.list(),
    };
  });
  app.put(
    '/apps/api/admin/pos/:pos/products/:sku',
    opts({
      params: posSku,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['label', 'price'],
        properties: {
          label: { type: 'string', minLength: 1, maxLength: 64 },
          price: money,
          memberPrice: money,
          category: { type: 'string', maxLength: 40 },
          colour: { type: 'string', pattern: '^#[0-9A-Fa-f]{6}$' },
          minAge: { type: 'integer', minimum: 0, maximum: 21 },
          by: { type: 'string' },
        },
      },
    }),
    async (req, reply) => {
      const p = req.params as { pos: string; sku: string };
      const { by: _by, ...b } = req.body as ProductIn & { by?: string };
      return send(reply, await admin.upsertProduct(by(req), p.pos, p.sku, b));
    },
  );
  app.delete('/apps/api/admin/pos/:pos/products/:sku', opts({ params: posSku }), async (req, reply) => {
    const p = req.params as { pos: string; sku: string };
    return send(reply, await admin.removeProduct(by(req), p.pos, p.sku));
  });
  app.put(
    '/apps/api/admin/pos/:pos',
    opts({
      params: { type: 'object', properties: { pos: { type: 'string', pattern: ID } } },
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'mode'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 64 },
          mode: { enum: MODES },
          by: { type: 'string' },
        },
      },
    }),
    async (req, reply) => {
      const b = req.body as { name: string; mode: PointOfSale['mode'] };
      return send(
        reply,
        await admin.upsertPos(by(req), (req.params as { pos: string }).pos, { name: b.name, mode: b.mode }),
      );
    },
  );
  app.put(
    '/apps/api/admin/terminals/:device',
    opts({
      params: {
        type: 'object',
        properties: { device: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$' } },
      },
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['pos'],
        properties: {
          pos: { anyOf: [{ type: 'string', pattern: ID }, { type: 'null' }] },
          by: { type: 'string' },
        },
      },
    }),
    async (req, reply) => {
      const b = req.body as { pos: string | null };
      return send(reply, await admin.pair(by(req), (req.params as { device: string }).device, b.pos));
    },
  );
  app.put(
    '/apps/api/admin/promotions/:id',
    {
      ...opts({
        params: { type: 'object', properties: { id: { type: 'string', pattern: ID } } },
        body: RULE_SCHEMA,
      }),
      // Refused bodies reach the handler (after the admin check): logged, and a partner rule's
      // product/badge problem said in words rather than as the schema's anyOf branches.
      attachValidation: true,
    },
    async (req, reply) => {
      if (req.validationError) {
        const b = req.body as { id?: unknown } | null;
        const stored = (admin.config().promotions ?? []).find((r) => r.id === b?.id);
        const partner = partnerInputProblem(req.body, stored);
        const r = refuse(
          400,
          partner ? 'bad-partner' : 'bad-request',
          partner ?? req.validationError.message,
        );
        gw.ctx.log.warn(
          {
            by: by(req),
            what: `promotion ${(req.params as { id: string }).id}`,
            error: r.error,
            detail: r.message,
          },
          'admin: edit refused',
        );
        return send(reply, r);
      }
      // The staff hook writes the session's member into `by`: not part of the rule.
      const { by: _by, ...rule } = req.body as PromotionRule & { by?: string };
      if (rule.id !== (req.params as { id: string }).id)
        return reply.code(400).send({ error: 'id-mismatch', message: 'the rule id differs from the URL' });
      return send(reply, await admin.upsertRule(by(req), rule as PromotionRule));
    },
  );
  app.delete(
    '/apps/api/admin/promotions/:id',
    opts({ params: { type: 'object', properties: { id: { type: 'string', pattern: ID } } } }),
    async (req, reply) => send(reply, await admin.removeRule(by(req), (req.params as { id: string }).id)),
  );
  app.put(
    '/apps/api/admin/time-zone',
    opts({
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['timeZone'],
        properties: { timeZone: { type: 'string', minLength: 1, maxLength: 64 }, by: { type: 'string' } },
      },
    }),
    async (req, reply) =>
      send(reply, await admin.setTimeZone(by(req), (req.body as { timeZone: string }).timeZone)),
  );
  app.get(
    '/apps/api/admin/promotions/report',
    opts({
      querystring: {
        type: 'object',
        properties: { from: { type: 'integer', minimum: 0 }, to: { type: 'integer', minimum: 0 } },
      },
    }),
    async (req) => {
      const q = req.query as { from?: number; to?: number };
      const to = q.to ?? Date.now() + 1;
      return admin.report(q.from ?? to - 30 * 86_400_000, to);
    },
  );
}
