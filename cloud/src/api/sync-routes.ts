// Gateway sync API v1 (docs/sync-api.md): batches, leases, config, device registry.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buf, type Db, num } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';
import { requireVenue } from '../ledger/venue.js';
import {
  DEFAULT_MEMBERSHIP_POLICY,
  leaseMembershipSchema,
  leaseMemberships,
  type MembershipPolicy,
  membershipDoc,
} from '../memberships/gateway-doc.js';
import { promotionsDoc } from '../promotions/store.js';
import { ingestBatch, type SyncBatch } from '../sync/batches.js';
import { MAX_BATCH_ITEMS } from '../sync/items.js';
import { open, seal } from '../util/secrets.js';
import { assertVenueAccess, requireAuth } from './auth.js';
import type { CloudMetrics } from './metrics.js';
import { ASSET, assetAmounts, errorSchema, ID, UID } from './schemas.js';

const leg = {
  type: 'object',
  additionalProperties: false,
  required: ['asset', 'amount'],
  properties: {
    asset: ASSET,
    amount: { type: 'integer', minimum: 1, maximum: 1_000_000_000_000 },
  },
} as const;

export const syncItemSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'type', 'cardUid', 'at', 'legs'],
  properties: {
    id: ID,
    type: { type: 'string', enum: ['spend', 'topup', 'void', 'refund'] },
    cardUid: UID,
    at: { type: 'integer', minimum: 0, maximum: 8_640_000_000_000_000 },
    legs: { type: 'array', minItems: 1, maxItems: 8, items: leg },
    funding: { type: 'string', enum: ['cash', 'card', 'online'] },
    voids: ID,
    deviceId: { type: 'string', minLength: 1, maxLength: 64 },
    cashierId: { type: 'string', minLength: 1, maxLength: 64 },
    offline: { type: 'boolean' },
    reason: { type: 'string', maxLength: 500 },
    cardIssue: { type: 'integer', minimum: 0, maximum: 1_000_000 },
  },
} as const;

const itemResult = {
  type: 'object',
  required: ['id', 'status'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['applied', 'duplicate', 'rejected'] },
    original: { type: 'string' },
    reason: { type: 'string' },
    detail: { type: 'string' },
    balances: assetAmounts,
    shortfall: assetAmounts,
    bookedOn: { type: 'string', enum: ['previous-holder'] },
  },
} as const;

export function registerSyncRoutes(
  app: FastifyInstance,
  db: Db,
  opts: { masterKey: Buffer; leaseMs: number; metrics: CloudMetrics; membership?: MembershipPolicy },
): void {
  const gatewayOnly = requireAuth(db, { gateway: true });
  const gatewayOrAdmin = requireAuth(db, { gateway: true, roles: ['federation_admin', 'venue_admin'] });

  // The item count is checked before schema validation so an oversized batch gets 413, not 400.
  app.post(
    '/v1/sync/batches',
    {
      preValidation: async (req, reply) => {
        const items = (req.body as { items?: unknown } | null)?.items;
        if (Array.isArray(items) && items.length > MAX_BATCH_ITEMS) {
          req.log.warn({ items: items.length }, 'batch too large');
          return reply
            .code(413)
            .send({ error: 'batch-too-large', message: `${items.length} items > ${MAX_BATCH_ITEMS}` });
        }
      },
      preHandler: gatewayOnly,
      schema: {
        tags: ['sync'],
        summary: 'Upload journaled transactions (idempotent per item id)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['batchId', 'venueId', 'items'],
          properties: {
            batchId: ID,
            venueId: { type: 'string', minLength: 1, maxLength: 40 },
            items: { type: 'array', minItems: 1, items: syncItemSchema },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { batchId: { type: 'string' }, results: { type: 'array', items: itemResult } },
          },
          ...errorSchema,
        },
      },
    },
    async (req) => {
      const body = req.body as SyncBatch;
      const p = req.principal!;
      if (body.venueId !== p.venueId)
        throw new LedgerError('wrong-venue', 'venueId does not match the API key', 403);
      const venue = await requireVenue(db, body.venueId);
      const started = performance.now();
      const res = await ingestBatch(db, venue, body);
      opts.metrics.observeBatch(res.results, (performance.now() - started) / 1000);
      req.log.info({ batchId: body.batchId, items: body.items.length }, 'batch ingested');
      return res;
    },
  );

  app.post(
    '/v1/sync/leases',
    {
      preHandler: gatewayOnly,
      schema: {
        tags: ['sync'],
        summary: 'Balance leases for cards',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['venueId', 'cards'],
          properties: { venueId: { type: 'string' }, cards: { type: 'array', maxItems: 1000, items: UID } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              leases: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    cardUid: { type: 'string' },
                    balances: assetAmounts,
                    blocked: { type: 'boolean' },
                    issue: { type: 'integer' },
                    leaseUntil: { type: 'integer' },
                    membership: leaseMembershipSchema,
                  },
                },
              },
              membershipTtlMs: { type: 'integer' },
            },
          },
          ...errorSchema,
        },
      },
    },
    async (req) => {
      const body = req.body as { venueId: string; cards: string[] };
      await assertVenueAccess(db, req.principal!, body.venueId);
      const venue = await requireVenue(db, body.venueId);
      // The card's issue (re-issue count) travels with its balances: read in the same statement,
      // so a lease's balances are always those of the wallet of the issue it names.
      const { rows } = await db.query<{
        uid: string;
        blocked: boolean;
        issue: unknown;
        asset: string | null;
        balance: unknown;
      }>(
        `SELECT c.uid, c.blocked, (SELECT count(*) FROM card_reissues r WHERE r.card_uid = c.uid) AS issue,
                a.asset, a.balance FROM cards c
         LEFT JOIN accounts a ON a.wallet_id = c.wallet_id
         WHERE c.uid = ANY($1::text[]) AND c.federation_id = $2 ORDER BY c.uid, a.asset`,
        [body.cards, venue.federationId],
      );
      const byCard = new Map<
        string,
        { blocked: boolean; issue: number; balances: { asset: string; amount: number }[] }
      >();
      for (const r of rows) {
        const e = byCard.get(r.uid) ?? { blocked: r.blocked, issue: num(r.issue), balances: [] };
        if (r.asset !== null && venue.assets.has(r.asset))
          e.balances.push({ asset: r.asset, amount: num(r.balance) });
        byCard.set(r.uid, e);
      }
      const now = Date.now();
      const leaseUntil = now + opts.leaseMs;
      // Membership status travels with the lease: the gateway's cache of the one source.
      const members = await leaseMemberships(db, venue, body.cards, now);
      return {
        leases: body.cards.map((uid) => ({
          cardUid: uid,
          balances: byCard.get(uid)?.balances ?? [],
          blocked: byCard.get(uid)?.blocked ?? false,
          issue: byCard.get(uid)?.issue ?? 0,
          leaseUntil,
          membership: members.get(uid),
        })),
        membershipTtlMs: (opts.membership ?? DEFAULT_MEMBERSHIP_POLICY).ttlMs,
      };
    },
  );

  app.get(
    '/v1/sync/config',
    {
      preHandler: gatewayOnly,
      schema: {
        tags: ['sync'],
        summary: 'Venue config: assets, menus, devices, blocklist, card keys, stand-in limits',
        querystring: { type: 'object', required: ['venueId'], properties: { venueId: { type: 'string' } } },
      },
    },
    async (req, reply) => {
      const { venueId } = req.query as { venueId: string };
      await assertVenueAccess(db, req.principal!, venueId);
      const venue = await requireVenue(db, venueId);
      const devices = await db.query<{ id: string; key_enc: unknown; revoked_at: unknown }>(
        'SELECT id, key_enc, revoked_at FROM devices WHERE venue_id = $1 ORDER BY id',
        [venueId],
      );
      const blocked = await db.query<{ uid: string }>(
        'SELECT uid FROM cards WHERE federation_id = $1 AND blocked ORDER BY uid',
        [venue.federationId],
      );
      // Re-issued cards and their issue now: a gateway drops a lease of an earlier issue at once.
      const reissued = await db.query<{ uid: string; issue: unknown }>(
        `SELECT r.card_uid AS uid, count(*) AS issue FROM card_reissues r
         JOIN cards c ON c.uid = r.card_uid AND c.federation_id = $1
         GROUP BY r.card_uid ORDER BY r.card_uid`,
        [venue.federationId],
      );
      const keyed = await db.query<{ uid: string; keys_enc: unknown; last_counter: number }>(
        'SELECT uid, keys_enc, last_counter FROM cards WHERE federation_id = $1 AND keys_enc IS NOT NULL AND NOT blocked ORDER BY uid',
        [venue.federationId],
      );
      // Promotion rules travel with the menus; the time zone dates the happy-hour windows.
      const promo = await promotionsDoc(db, venueId);
      const config = {
        venue: { id: venue.id, name: venue.name, currency: venue.currency, timeZone: promo.timeZone },
        assets: [...venue.assets.values()].map((a) => ({
          code: a.code,
          kind: a.kind,
          refundable: a.refundable,
        })),
        pointsOfSale: venue.pointsOfSale,
        devices: devices.rows.map((d) => ({
          deviceId: d.id,
          keyHex: open(opts.masterKey, buf(d.key_enc), `device:${d.id}`).toString('hex'),
          revoked: d.revoked_at !== null,
        })),
        blocklist: blocked.rows.map((r) => r.uid),
        reissued: reissued.rows.map((r) => ({ cardUid: r.uid, issue: num(r.issue) })),
        cardKeys: keyed.rows.map((r) => ({
          cardUid: r.uid,
          ...JSON.parse(open(opts.masterKey, buf(r.keys_enc), `card:${r.uid}`).toString()),
          lastCounter: r.last_counter,
        })),
        standIn: { perCard: venue.standInPerCard, perVenue: venue.standInPerVenue },
        memberships: await membershipDoc(db, venue, Date.now(), opts.membership),
        promotions: promo.promotions,
        version: venue.configVersion,
      };
      const etag = `"${createHash('sha256').update(JSON.stringify(config)).digest('base64url').slice(0, 27)}"`;
      reply.header('ETag', etag);
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      return config;
    },
  );

  const deviceBody = {
    type: 'object',
    additionalProperties: false,
    required: ['deviceId', 'venueId', 'board', 'firmware', 'keyHex'],
    properties: {
      deviceId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
      venueId: { type: 'string' },
      board: { type: 'string', minLength: 1, maxLength: 64 },
      firmware: { type: 'string', minLength: 1, maxLength: 64 },
      keyHex: { type: 'string', pattern: '^[0-9a-fA-F]{32,128}$' },
    },
  } as const;

  app.post(
    '/v1/devices',
    {
      preHandler: gatewayOrAdmin,
      schema: { tags: ['devices'], summary: 'Register a terminal', body: deviceBody },
    },
    async (req, reply) => {
      const d = req.body as {
        deviceId: string;
        venueId: string;
        board: string;
        firmware: string;
        keyHex: string;
      };
      await assertVenueAccess(db, req.principal!, d.venueId);
      const sealed = seal(opts.masterKey, Buffer.from(d.keyHex, 'hex'), `device:${d.deviceId}`);
      const ins = await db.tx(async (tx) => {
        const r = await tx.query(
          'INSERT INTO devices (id, venue_id, board, firmware, key_enc) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
          [d.deviceId, d.venueId, d.board, d.firmware, sealed],
        );
        if (r.count)
          await tx.query('UPDATE venues SET config_version = config_version + 1 WHERE id = $1', [d.venueId]);
        return r.count;
      });
      if (!ins) throw new LedgerError('device-exists', `device ${d.deviceId} already registered`, 409);
      return reply.code(201).send({ deviceId: d.deviceId, venueId: d.venueId });
    },
  );

  app.delete(
    '/v1/devices/:id',
    {
      preHandler: gatewayOrAdmin,
      schema: {
        tags: ['devices'],
        summary: 'Revoke a terminal',
        params: { type: 'object', properties: { id: { type: 'string' } } },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const { rows } = await db.query<{ venue_id: string }>('SELECT venue_id FROM devices WHERE id = $1', [
        id,
      ]);
      if (!rows[0]) throw new LedgerError('unknown-device', `no device ${id}`, 404);
      await assertVenueAccess(db, req.principal!, rows[0].venue_id);
      await db.tx(async (tx) => {
        await tx.query('UPDATE devices SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1', [id]);
        await tx.query('UPDATE venues SET config_version = config_version + 1 WHERE id = $1', [
          rows[0].venue_id,
        ]);
      });
      return { deviceId: id, revoked: true };
    },
  );

  app.get(
    '/v1/devices',
    {
      preHandler: gatewayOrAdmin,
      schema: {
        tags: ['devices'],
        summary: 'List a venue\u2019s terminals',
        querystring: { type: 'object', required: ['venueId'], properties: { venueId: { type: 'string' } } },
      },
    },
    async (req) => {
      const { venueId } = req.query as { venueId: string };
      await assertVenueAccess(db, req.principal!, venueId, false);
      const { rows } = await db.query<{ id: string; board: string; firmware: string; revoked_at: unknown }>(
        'SELECT id, board, firmware, revoked_at FROM devices WHERE venue_id = $1 ORDER BY id',
        [venueId],
      );
      return {
        devices: rows.map((r) => ({
          deviceId: r.id,
          venueId,
          board: r.board,
          firmware: r.firmware,
          revoked: r.revoked_at !== null,
        })),
      };
    },
  );
}
