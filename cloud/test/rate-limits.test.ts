// Rate limits on public endpoints and login: the N+1th request from one address within the window
// gets 429 `rate-limited` with Retry-After; other addresses and authenticated routes are unaffected.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCloud } from '../src/index.js';
import { withBothDatabases } from './helpers/databases.js';

withBothDatabases('rate limits', (getDb) => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const cloud = await createCloud({
      db: getDb(),
      masterKey: randomBytes(32),
      rateLimits: { public: { max: 3, timeWindow: 60_000 }, login: { max: 2, timeWindow: 60_000 } },
    });
    app = cloud.app;
    close = cloud.close;
  });
  afterAll(() => close?.());

  const get = (url: string, ip = '192.0.2.1') => app.inject({ method: 'GET', url, remoteAddress: ip });

  for (const url of [
    '/v1/agenda',
    '/agenda',
    '/agenda.ics',
    '/v1/log/meta',
    '/v1/log/checkpoints',
    '/log',
    `/tickets/${'A'.repeat(40)}`,
  ]) {
    it(`GET ${url}: 3 requests pass, the 4th gets 429`, async () => {
      const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
      for (let i = 0; i < 3; i++) {
        const r = await get(url, ip);
        expect(r.statusCode, `request ${i + 1}`).not.toBe(429);
        expect(r.headers['x-ratelimit-limit']).toBe('3');
      }
      const r = await get(url, ip);
      expect(r.statusCode).toBe(429);
      expect(r.json()).toMatchObject({ error: 'rate-limited' });
      expect(r.json().message).toMatch(
        /^rate limit exceeded: at most 3 requests per 60 s from one address on this endpoint; retry in /,
      );
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      // Another address still gets through.
      expect((await get(url, '203.0.113.9')).statusCode).not.toBe(429);
    });
  }

  it('login: the 3rd attempt in the window is refused; another address is not', async () => {
    const login = (ip = '192.0.2.50') =>
      app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        remoteAddress: ip,
        payload: { email: 'nobody@example.org', password: 'wrong password!' },
      });
    expect((await login()).statusCode).toBe(401);
    expect((await login()).statusCode).toBe(401);
    const r = await login();
    expect(r.statusCode).toBe(429);
    expect(r.json().error).toBe('rate-limited');
    expect(r.json().message).toContain('at most 2 requests per 60 s');
    expect((await login('192.0.2.51')).statusCode).toBe(401);
  });

  it('non-public routes are not limited', async () => {
    for (let i = 0; i < 10; i++) expect((await get('/health', '192.0.2.77')).statusCode).toBe(200);
    for (let i = 0; i < 6; i++) expect((await get('/v1/settlement', '192.0.2.77')).statusCode).toBe(401);
  });
});
