// Admin users, sessions, venues, gateways and card batch import.
import type { FastifyInstance } from 'fastify';
import { createGateway, createUser, createVenue } from '../admin/setup.js';
import type { Db } from '../db/connect.js';
import { ROLES, type Role } from '../db/schema.js';
import { importCardBatch } from '../ledger/card-import.js';
import { LedgerError } from '../ledger/types.js';
import { newToken, tokenHash, verifyPassword } from '../util/secrets.js';
import { assertVenueAccess, requireAuth } from './auth.js';
import { registerFundRoutes } from './fund-routes.js';
import { credentialsBody, VENUE } from './schemas.js';

export function registerAdminRoutes(
  app: FastifyInstance,
  db: Db,
  opts: { masterKey: Buffer; sessionTtlMs: number },
): void {
  const fedAdmin = requireAuth(db, { roles: ['federation_admin'] });
  const admins = requireAuth(db, { roles: ['federation_admin', 'venue_admin'] });
  // The cooperative fund is federation administration: its routes live in fund-routes.ts.
  registerFundRoutes(app, db);

  app.post(
    '/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        security: [],
        body: credentialsBody(),
      },
    },
    async (req, reply) => {
      const { email, password } = req.body as { email: string; password: string };
      const { rows } = await db.query<{
        id: string;
        password_hash: string;
        role: Role;
        venue_id: string | null;
      }>('SELECT id, password_hash, role, venue_id FROM admin_users WHERE email = $1', [email.toLowerCase()]);
      // Same work whether or not the user exists, so timing does not reveal accounts.
      const ok = await verifyPassword(
        password,
        rows[0]?.password_hash ??
          'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      );
      if (!rows[0] || !ok) {
        req.log.warn({ email }, 'login failed');
        return reply.code(401).send({ error: 'bad-credentials', message: 'wrong email or password' });
      }
      const { token, hash } = newToken('tbs_');
      const expiresAt = new Date(Date.now() + opts.sessionTtlMs);
      await db.query('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [
        hash,
        rows[0].id,
        expiresAt,
      ]);
      return { token, expiresAt: expiresAt.toISOString(), role: rows[0].role, venueId: rows[0].venue_id };
    },
  );

  app.post('/v1/auth/logout', { schema: { tags: ['auth'] } }, async (req) => {
    const m = /^Bearer (tbs_\S+)$/.exec(req.headers.authorization ?? '');
    if (m) await db.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash(m[1])]);
    return { ok: true };
  });

  app.post(
    '/v1/admin/venues',
    {
      preHandler: fedAdmin,
      schema: {
        tags: ['admin'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'name'],
          properties: {
            id: VENUE,
            name: { type: 'string', minLength: 1, maxLength: 200 },
            policy: { type: 'object' },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { id: string; name: string; policy?: object };
      await db.tx((tx) => createVenue(tx, { ...b, federationId: req.principal!.federationId }));
      return reply.code(201).send({ id: b.id });
    },
  );

  app.post(
    '/v1/admin/venues/:venueId/gateways',
    {
      preHandler: admins,
      schema: { tags: ['admin'], params: { type: 'object', properties: { venueId: VENUE } } },
    },
    async (req, reply) => {
      const { venueId } = req.params as { venueId: string };
      await assertVenueAccess(db, req.principal!, venueId);
      return reply.code(201).send(await createGateway(db, venueId));
    },
  );

  app.post(
    '/v1/admin/users',
    {
      preHandler: admins,
      schema: {
        tags: ['admin'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'password', 'role'],
          properties: {
            email: { type: 'string', maxLength: 200 },
            password: { type: 'string', minLength: 10, maxLength: 200 },
            role: { type: 'string', enum: [...ROLES] },
            venueId: VENUE,
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { email: string; password: string; role: Role; venueId?: string };
      const p = req.principal!;
      if (p.type === 'user' && p.role === 'venue_admin' && (b.role !== 'cashier' || b.venueId !== p.venueId))
        throw new LedgerError('forbidden', 'venue admins create cashiers of their venue only', 403);
      if (b.venueId) await assertVenueAccess(db, p, b.venueId);
      return reply.code(201).send(await createUser(db, { ...b, federationId: p.federationId }));
    },
  );

  app.post(
    '/v1/admin/card-batches',
    {
      preHandler: admins,
      schema: {
        tags: ['admin'],
        summary: 'Import a supplier card batch (CSV: printed number, UID[, type])',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['batch', 'csv'],
          properties: {
            batch: { type: 'string', maxLength: 64 },
            csv: { type: 'string', maxLength: 2_000_000 },
            keys: { type: 'object' },
          },
        },
      },
    },
    async (req) => {
      const b = req.body as { batch: string; csv: string };
      return importCardBatch(db, {
        federationId: req.principal!.federationId,
        batch: b.batch,
        csv: b.csv,
        masterKey: opts.masterKey,
      });
    },
  );
}
