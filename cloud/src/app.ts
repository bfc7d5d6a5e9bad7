// Fastify application assembly: logging (pino), OpenAPI at /docs, /metrics, error mapping and
// every route group. Stateless: any number of these may serve the same database.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { registerAgendaRoutes } from './agenda/routes.js';
import { registerAdminRoutes } from './api/admin-routes.js';
import { CloudMetrics } from './api/metrics.js';
import { registerOpsRoutes } from './api/ops-routes.js';
import { type RateLimits, registerRateLimits } from './api/rate-limits.js';
import { registerSyncRoutes } from './api/sync-routes.js';
import { registerWalletRoutes } from './api/wallet-routes.js';
import { registerArtistRoutes } from './artists/routes.js';
import type { Db } from './db/connect.js';
import { registerDormancyRoutes } from './dormancy/routes.js';
import { registerTicketPurchase } from './holders/buy.js';
import { registerHolderPages } from './holders/routes.js';
import { LedgerError } from './ledger/types.js';
import { DEFAULT_MEMBERSHIP_POLICY, type MembershipPolicy } from './memberships/gateway-doc.js';
import { registerMembershipRoutes } from './memberships/routes.js';
import type { PaymentProvider } from './payments/provider.js';
import { registerPaymentRoutes } from './payments/routes.js';
import { registerPromotionRoutes } from './promotions/routes.js';
import { registerLogPages } from './public/log-page.js';
import { registerWalletPage } from './public/wallet-page.js';
import { registerRentalRoutes } from './rental/routes.js';
import { registerTicketingRoutes } from './ticketing/routes.js';
import { logRoutes } from './transparency/log-routes.js';
import { CheckpointService, TransparencyLog } from './transparency/log-store.js';
import { CLOUD_VERSION } from './version.js';

export const DEFAULT_LOG_ORIGIN = 'tibillet-cloud/log';

export interface CloudOptions {
  db: Db;
  /** 32-byte AES-256-GCM key sealing card and device keys at rest. */
  masterKey: Buffer;
  /** pino options, or false for silence (tests). */
  logger?: FastifyServerOptions['logger'];
  /** Lease validity handed to gateways (ms). */
  leaseMs?: number;
  sessionTtlMs?: number;
  payments?: PaymentProvider;
  /** Origin line of signed checkpoints (used when the log key is first created). */
  logOrigin?: string;
  /** Sign a checkpoint every this many ms (0/absent: on demand only). */
  checkpointIntervalMs?: number;
  /** Per-IP limits on public endpoints and login (defaults in api/rate-limits.ts); false: none. */
  rateLimits?: Partial<RateLimits> | false;
  /** Public base URL (emailed login and invitation links, reminder links). */
  publicUrl?: string;
  /** Membership cache TTL and offline stand-in handed to gateways (memberships/gateway-doc.ts). */
  membership?: Partial<MembershipPolicy>;
}

declare module 'fastify' {
  interface FastifyInstance {
    transparency: CheckpointService;
  }
}

export async function buildApp(opts: CloudOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 4 * 1024 * 1024,
    // Ticket pages carry the signed ticket (150 base64url characters) in the path.
    routerOptions: { maxParamLength: 256 },
    // Amounts must arrive as JSON integers: no string → number coercion, unknown fields refused.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  const metrics = new CloudMetrics();
  await app.register(swagger, {
    openapi: {
      info: { title: 'TiBillet cloud ledger', version: CLOUD_VERSION },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  if (opts.rateLimits !== false) await registerRateLimits(app, opts.rateLimits ?? {});

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof LedgerError) {
      // A ledger fault on the server's side (e.g. a log that no longer matches its tree) is an error.
      req.log[err.status >= 500 ? 'error' : 'warn']({ code: err.code, url: req.url }, err.message);
      return reply.code(err.status).send({ error: err.code, message: err.message });
    }
    const e = err as { validation?: unknown; statusCode?: number; code?: string; message: string };
    if (e.validation) {
      req.log.warn({ url: req.url, err: e.message }, 'bad request');
      return reply.code(400).send({ error: 'bad-request', message: e.message });
    }
    if (e.statusCode && e.statusCode < 500) {
      req.log.warn({ url: req.url, err: e.message }, 'client error');
      const error =
        e.statusCode === 413 ? 'body-too-large' : e.statusCode === 429 ? 'rate-limited' : 'bad-request';
      return reply.code(e.statusCode).send({ error, message: e.message });
    }
    req.log.error({ err }, 'internal error');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.requests.inc({ route: req.routeOptions.url ?? 'unknown', code: String(reply.statusCode) });
  });

  app.get('/health', { schema: { hide: true } }, async () => ({ ok: true, version: CLOUD_VERSION }));
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('Content-Type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  const leaseMs = opts.leaseMs ?? 10 * 60_000;
  const membership = { ...DEFAULT_MEMBERSHIP_POLICY, ...opts.membership };
  registerSyncRoutes(app, opts.db, { masterKey: opts.masterKey, leaseMs, metrics, membership });
  registerAdminRoutes(app, opts.db, {
    masterKey: opts.masterKey,
    sessionTtlMs: opts.sessionTtlMs ?? 12 * 3600_000,
  });
  registerOpsRoutes(app, opts.db, { payments: opts.payments });
  registerWalletRoutes(app, opts.db, opts.masterKey);
  registerTicketingRoutes(app, opts.db, { masterKey: opts.masterKey });
  registerAgendaRoutes(app, opts.db);
  registerPromotionRoutes(app, opts.db);
  await registerArtistRoutes(app, opts.db, { sessionTtlMs: opts.sessionTtlMs, publicUrl: opts.publicUrl });
  await registerRentalRoutes(app, opts.db, { masterKey: opts.masterKey });

  const transparency = new CheckpointService(opts.db, new TransparencyLog(opts.db), {
    masterKey: opts.masterKey,
    origin: opts.logOrigin ?? DEFAULT_LOG_ORIGIN,
  });
  app.decorate('transparency', transparency);
  await app.register(logRoutes, { db: opts.db, service: transparency });
  registerLogPages(app, opts.db, transparency);
  registerWalletPage(app, opts.db, opts.masterKey);
  registerDormancyRoutes(app, opts.db, opts.masterKey);
  if (opts.payments) registerPaymentRoutes(app, opts.db, opts.payments);
  registerMembershipRoutes(app, opts.db, { payments: opts.payments, baseUrl: opts.publicUrl });
  await registerHolderPages(app, opts.db, {
    masterKey: opts.masterKey,
    publicUrl: opts.publicUrl,
    payments: opts.payments,
  });
  await registerTicketPurchase(app, opts.db, {
    masterKey: opts.masterKey,
    publicUrl: opts.publicUrl,
    payments: opts.payments,
  });
  if (opts.checkpointIntervalMs && opts.checkpointIntervalMs > 0) {
    app.addHook('onReady', async () =>
      transparency.start(opts.checkpointIntervalMs!, (err) =>
        app.log.error({ err }, 'checkpoint signing failed'),
      ),
    );
    app.addHook('onClose', async () => transparency.stop());
  }
  return app;
}

export interface Cloud {
  app: FastifyInstance;
  db: Db;
  close(): Promise<void>;
}

/** Builds the app on an already-migrated database. */
export async function createCloud(opts: CloudOptions): Promise<Cloud> {
  const app = await buildApp(opts);
  await app.ready();
  return { app, db: opts.db, close: () => app.close() };
}
