/** Operations HTTP: health, Prometheus metrics, the terminals page and the staff API (charges, voids). */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Gateway } from '../gateway.js';
import { statusPage } from './status-page.js';

export interface HttpOptions {
  port: number;
  host?: string;
  /** Bearer token for /api (staff devices); when unset, /api answers only to 127.0.0.1. */
  staffToken?: string;
}

export async function startHttp(gw: Gateway, o: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  const syncState = () => {
    if (!gw.sync) return undefined;
    const s = gw.ctx.journal.unsyncedStats();
    return {
      online: gw.sync.online,
      backlog: s.count,
      lagSeconds: s.oldestAt === null ? 0 : (Date.now() - s.oldestAt) / 1000,
    };
  };
  app.get('/healthz', async () => ({
    ok: true,
    venue: gw.ctx.venueId,
    journalPending: gw.ctx.journal.pendingCount(),
    sync: syncState(),
  }));
  app.get('/metrics', async (_req, reply) => {
    gw.metrics.connected.set(gw.bus.connectedDevices());
    reply.header('content-type', gw.metrics.registry.contentType);
    return gw.metrics.registry.metrics();
  });
  app.get('/status', async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(statusPage(gw.ctx.venueId, gw.ctx.devices.list(), syncState())),
  );

  await app.register(async (api) => {
    api.addHook('onRequest', async (req, reply) => {
      const ok = o.staffToken
        ? req.headers.authorization === `Bearer ${o.staffToken}`
        : req.ip === '127.0.0.1' || req.ip === '::1';
      if (!ok) return reply.code(401).send({ error: 'unauthorized' });
    });
    api.get('/api/devices', async () => gw.ctx.devices.list());
    api.get(
      '/api/transactions',
      {
        schema: {
          querystring: {
            type: 'object',
            properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } },
          },
        },
      },
      async (req) => gw.ctx.journal.recent((req.query as { limit?: number }).limit ?? 50),
    );
    api.post(
      '/api/charges',
      {
        schema: {
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['deviceId', 'amount'],
            properties: {
              deviceId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$' },
              amount: { type: 'integer', minimum: 1, maximum: 100000000 },
            },
          },
        },
      },
      async (req, reply) => {
        const b = req.body as { deviceId: string; amount: number };
        if (!gw.ctx.devices.key(b.deviceId)) return reply.code(404).send({ error: 'unknown-device' });
        return { ref: await gw.charge(b.deviceId, b.amount) };
      },
    );
    api.post(
      '/api/voids',
      {
        schema: {
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['tx', 'reason', 'cashierId'],
            properties: {
              tx: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
              reason: { type: 'string', minLength: 1, maxLength: 200 },
              cashierId: { type: 'string', minLength: 1, maxLength: 64 },
            },
          },
        },
      },
      async (req, reply) => {
        const b = req.body as { tx: string; reason: string; cashierId: string };
        const r = await gw.voidTx(b.tx, b.reason, b.cashierId);
        return r.ok ? r : reply.code(404).send({ error: r.reason });
      },
    );
  });
  await (await import('../apps/index.js')).registerApps(app, gw, { staffToken: o.staffToken }); // venue apps under /apps
  app.setErrorHandler((err, _req, reply) => {
    const e = err as { statusCode?: number; validation?: unknown; message: string };
    reply
      .code(e.statusCode && e.statusCode < 500 ? e.statusCode : 500)
      .send({ error: e.validation ? 'bad-request' : 'error', message: e.message });
  });
  await app.listen({ port: o.port, host: o.host ?? '127.0.0.1' });
  return app;
}
