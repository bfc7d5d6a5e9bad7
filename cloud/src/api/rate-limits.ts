// Rate limits on the public endpoints (no credentials needed: agenda, transparency log reads,
// ticket pages, wallet pages) and on login, per client IP and per route, with @fastify/rate-limit
// (10.x: fastify 5, Node 20). The N+1th request in a window gets 429 `rate-limited` with
// Retry-After. Route files stay unaware: an onRoute hook, added before the plugin's own, tags the
// public routes with their limit.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, RouteOptions } from 'fastify';

export interface Limit {
  max: number;
  /** Window in ms. */
  timeWindow: number;
}

export interface RateLimits {
  /** Unauthenticated reads (pages, agenda, log, tickets). */
  public: Limit;
  /**
   * POST /v1/auth/login (password guessing), POST /me/login (emailed login links), and the artists'
   * sign-up, login, email verification and resend (API and pages).
   */
  login: Limit;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  public: { max: 300, timeWindow: 60_000 },
  login: { max: 20, timeWindow: 60_000 },
};

const PUBLIC_READS = [
  /^\/agenda(\/|\.ics$|$)/,
  /^\/v1\/agenda(\/|$)/,
  /^\/log(\/|$)/,
  /^\/v1\/log\//,
  /^\/tickets\//,
  /^\/wallet\//,
  // Emailed login, invitation and artist verification links: token guessing.
  /^\/me\/(auth|invite)\//,
  /^\/artists\/verify\//,
];

const LOGIN_POSTS = new Set([
  '/v1/auth/login',
  '/me/login',
  '/v1/artists',
  '/v1/artists/login',
  '/v1/artists/verify',
  '/v1/artists/verify/resend',
  '/artists/login',
  '/artists/signup',
  '/artists/verify',
  '/artists/verify/resend',
]);

/** Which limit a route gets, if any. */
export function limitClass(method: string, url: string): keyof RateLimits | null {
  if (method === 'POST' && LOGIN_POSTS.has(url)) return 'login';
  if ((method === 'GET' || method === 'HEAD') && PUBLIC_READS.some((r) => r.test(url))) return 'public';
  return null;
}

const builder =
  (timeWindow: number) => (_req: unknown, ctx: { statusCode: number; max: number; after: string }) => {
    const err = new Error(
      `rate limit exceeded: at most ${ctx.max} requests per ${timeWindow / 1000} s from one address on this endpoint; retry in ${ctx.after}`,
    ) as Error & { statusCode: number; code: string };
    err.statusCode = ctx.statusCode;
    err.code = 'rate-limited';
    return err;
  };

export async function registerRateLimits(
  app: FastifyInstance,
  limits: Partial<RateLimits> = {},
): Promise<void> {
  const l: RateLimits = { ...DEFAULT_RATE_LIMITS, ...limits };
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const cls = methods.map((m) => limitClass(m, route.url)).find((c) => c !== null);
    if (!cls || (route.config as { rateLimit?: unknown } | undefined)?.rateLimit !== undefined) return;
    const rl = { ...l[cls], errorResponseBuilder: builder(l[cls].timeWindow) };
    route.config = { ...(route.config ?? {}), rateLimit: rl } as RouteOptions['config'];
  });
  await app.register(rateLimit, { global: false });
}
