// Ticketing routes. Money-moving writes take an Idempotency-Key (same pattern as the wallet routes);
// door scans are idempotent by their nonce.
//   POST /v1/venues/:venueId/events                               create an event with its categories (admins)
//   GET  /v1/venues/:venueId/events[?past=true]                   the venue's events (private ones included)
//   GET  /v1/venues/:venueId/events/:eventId
//   POST /v1/venues/:venueId/events/:eventId/cancel               cancel + refund every valid ticket (admins)
//   POST /v1/venues/:venueId/events/:eventId/orders               buy tickets from a wallet (staff, gateway)
//   POST /v1/venues/:venueId/tickets/:ticketId/refund             refund one ticket (revokes it)
//   POST /v1/venues/:venueId/tickets/:ticketId/revoke             revoke without refund (admins)
//   POST /v1/venues/:venueId/tickets/:ticketId/card               bind a ticket to a card (staff)
//   POST /v1/venues/:venueId/checkins                             door scans (live or offline uploads)
//   GET  /v1/venues/:venueId/events/:eventId/counts               live door counts
//   POST /v1/venues/:venueId/door-rejections                      refusals decided by the venue gateway (nonce, idempotent)
//   GET  /v1/venues/:venueId/events/:eventId/door-log             every scan, newest first, rejections with their reason
//   GET  /v1/venues/:venueId/events/:eventId/door-list[?since=]   ticket list for the venue gateway
//   GET  /v1/ticketing/keys                                       public keys (offline verification)
//   POST /v1/admin/ticket-keys/rotate                             new signing key (federation admins)
//   GET  /tickets/:token  /tickets/:token/qr.svg  /tickets/:token/qr.png   plain QR pages
//   GET  /tickets/:token/ticket.pdf                                printable ticket (PDF)
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DICT, pickLang } from '../agenda/i18n.js';
import { type Principal, principalName, requireAuth } from '../api/auth.js';
import { idempotencyHeaders, idempotentWrite } from '../api/idempotency.js';
import { routeVenue, venueWrite } from '../api/route-venue.js';
import { UID, VENUE } from '../api/schemas.js';
import type { Db } from '../db/connect.js';
import { withRetry } from '../sync/batches.js';
import { doorCounts, doorList, processScans, type Scan } from './checkin.js';
import { doorLog, type GatewayRejection, storeRejections } from './door-rejections.js';
import { cancelEvent, createEvent, type EventInput, listVenueEvents, requireEvent } from './events.js';
import { type PublishedKey, TicketKeys } from './keys.js';
import { bindTicketCard, type OrderInput, placeOrder, refundTicket, revokeTicket } from './orders.js';
import { badTicketPage, loadTicketPage, qrPng, qrSvg, ticketPage } from './qr.js';
import { AUDIENCES } from './schema.js';
import { ticketPdf } from './ticket-pdf.js';
import { peekTicket, verifyTicket } from './token.js';

const UUID = {
  type: 'string',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
} as const;
const TOKEN = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,400}$' } as const;
const AMOUNT = { type: 'integer', minimum: 0, maximum: 100_000_000 } as const;
const DATE = { type: 'string', format: 'date-time' } as const;
const NULLABLE_AMOUNT = { type: ['integer', 'null'], minimum: 0, maximum: 100_000_000 } as const;
/** Set by the door for each scan or refusal: what makes an offline upload idempotent. */
const NONCE = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{8,128}$' } as const;
const DOOR = { type: 'string', minLength: 1, maxLength: 64 } as const;

const categorySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'prices'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 120 },
    description: { type: 'string', maxLength: 2000 },
    capacity: { type: ['integer', 'null'], minimum: 0, maximum: 1_000_000 },
    prices: {
      type: 'object',
      additionalProperties: false,
      required: ['full'],
      properties: { full: AMOUNT, reduced: NULLABLE_AMOUNT, member: NULLABLE_AMOUNT },
    },
  },
} as const;

const eventBody = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'startsAt', 'categories'],
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 20_000 },
    imageUrl: { type: ['string', 'null'], maxLength: 2000, pattern: '^https?://' },
    tags: {
      type: 'array',
      maxItems: 20,
      items: { type: 'string', minLength: 1, maxLength: 40, pattern: '^[^<>&"\']*$' },
    },
    location: { type: 'string', maxLength: 500 },
    latitude: { type: ['number', 'null'], minimum: -90, maximum: 90 },
    longitude: { type: ['number', 'null'], minimum: -180, maximum: 180 },
    startsAt: DATE,
    endsAt: DATE,
    timezone: { type: 'string', maxLength: 64 },
    capacity: { type: ['integer', 'null'], minimum: 0, maximum: 1_000_000 },
    asset: { type: 'string', maxLength: 64 },
    visibility: { type: 'string', enum: ['public', 'private'] },
    refundUntilHours: { type: ['integer', 'null'], minimum: 0, maximum: 8760 },
    validFrom: DATE,
    validUntil: DATE,
    categories: { type: 'array', minItems: 1, maxItems: 50, items: categorySchema },
  },
} as const;

const orderBody = {
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    cardUid: UID,
    personId: UUID,
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['categoryId', 'audience', 'quantity'],
        properties: {
          categoryId: UUID,
          audience: { type: 'string', enum: AUDIENCES },
          quantity: { type: 'integer', minimum: 1, maximum: 20 },
        },
      },
    },
  },
  oneOf: [{ required: ['cardUid'] }, { required: ['personId'] }],
} as const;

const scanBody = {
  type: 'object',
  additionalProperties: false,
  required: ['scans'],
  properties: {
    scans: {
      type: 'array',
      minItems: 1,
      maxItems: 500,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['nonce', 'door'],
        properties: {
          nonce: NONCE,
          token: { type: 'string', maxLength: 400 },
          ticketId: UUID,
          cardUid: UID,
          eventId: UUID,
          door: DOOR,
          scannedAt: DATE,
        },
        oneOf: [{ required: ['token'] }, { required: ['ticketId'] }],
      },
    },
  },
} as const;

const isAdmin = (p: Principal): boolean =>
  p.type === 'user' && (p.role === 'federation_admin' || p.role === 'venue_admin');

/** A verifying key as gateways and offline verifiers read it. */
const keyView = (k: PublishedKey) => ({
  keyId: k.keyId,
  publicKey: Buffer.from(k.publicKey).toString('base64url'),
});

/** Body of cancel / refund / revoke: an optional reason, kept with the record. */
const reasonBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { reason: { type: 'string', maxLength: 500 } },
} as const;

export function registerTicketingRoutes(
  app: FastifyInstance,
  db: Db,
  opts: { masterKey: Buffer },
): TicketKeys {
  const keys = new TicketKeys(db, opts.masterKey);
  const staff = requireAuth(db, { gateway: true, roles: ['federation_admin', 'venue_admin', 'cashier'] });
  const admins = requireAuth(db, { roles: ['federation_admin', 'venue_admin'] });
  const fedAdmin = requireAuth(db, { roles: ['federation_admin'] });
  const readers = requireAuth(db, {
    gateway: true,
    roles: ['federation_admin', 'venue_admin', 'cashier', 'auditor'],
  });
  const tags = ['ticketing'];
  const venueParams = { type: 'object', properties: { venueId: VENUE } } as const;
  const eventParams = { type: 'object', properties: { venueId: VENUE, eventId: UUID } } as const;
  const ticketParams = { type: 'object', properties: { venueId: VENUE, ticketId: UUID } } as const;

  const venueOf = (req: FastifyRequest, write: boolean) => routeVenue(db, req, write);
  const write = venueWrite(db);

  app.post(
    '/v1/venues/:venueId/events',
    {
      preHandler: admins,
      schema: {
        tags,
        summary: 'Create an event with its ticket categories',
        params: venueParams,
        body: eventBody,
      },
    },
    async (req, reply) => {
      const venue = await venueOf(req, true);
      const event = await db.tx((tx) => createEvent(tx, venue, req.body as EventInput));
      return reply.code(201).send(event);
    },
  );

  app.get(
    '/v1/venues/:venueId/events',
    {
      preHandler: readers,
      schema: {
        tags,
        params: venueParams,
        querystring: { type: 'object', properties: { past: { type: 'string', enum: ['true', 'false'] } } },
      },
    },
    async (req) => {
      const venue = await venueOf(req, false);
      return {
        events: await listVenueEvents(db, venue.id, {
          past: (req.query as { past?: string }).past === 'true',
        }),
      };
    },
  );

  app.get(
    '/v1/venues/:venueId/events/:eventId',
    { preHandler: readers, schema: { tags, params: eventParams } },
    async (req) => {
      const venue = await venueOf(req, false);
      return requireEvent(db, (req.params as { eventId: string }).eventId, venue.id);
    },
  );

  app.post(
    '/v1/venues/:venueId/events/:eventId/cancel',
    {
      preHandler: admins,
      schema: {
        tags,
        summary: 'Cancel an event: every valid ticket is refunded to its wallet and refused at the door',
        params: eventParams,
        headers: idempotencyHeaders,
        body: reasonBody,
      },
    },
    write(200, ({ tx, engine, venue, params }) => cancelEvent(tx, engine, venue, params.eventId)),
  );

  app.post(
    '/v1/venues/:venueId/events/:eventId/orders',
    {
      preHandler: staff,
      schema: {
        tags,
        summary: 'Buy tickets paid from the wallet balance of a card or a person (never oversold)',
        params: eventParams,
        headers: idempotencyHeaders,
        body: orderBody,
      },
    },
    async (req, reply) => {
      const venue = await venueOf(req, true);
      const { eventId } = req.params as { eventId: string };
      // Outside the transaction: PGlite runs one transaction at a time on its single connection.
      const signer = await keys.signer();
      return idempotentWrite(db, req, reply, venue.id, async (tx, engine) => ({
        status: 201,
        body: await placeOrder(
          tx,
          engine,
          venue,
          eventId,
          req.body as OrderInput,
          signer,
          principalName(req.principal!),
        ),
      }));
    },
  );

  app.post(
    '/v1/venues/:venueId/tickets/:ticketId/refund',
    {
      preHandler: staff,
      schema: {
        tags,
        summary: 'Refund a ticket to its wallet; the ticket is refused at the door from then on',
        params: ticketParams,
        headers: idempotencyHeaders,
        body: reasonBody,
      },
    },
    write(200, ({ tx, engine, venue, params, principal }) =>
      refundTicket(tx, engine, venue, params.ticketId, { admin: isAdmin(principal) }),
    ),
  );

  app.post(
    '/v1/venues/:venueId/tickets/:ticketId/revoke',
    {
      preHandler: admins,
      schema: {
        tags,
        params: ticketParams,
        headers: idempotencyHeaders,
        body: reasonBody,
      },
    },
    write(200, ({ tx, venue, params }) => revokeTicket(tx, venue, params.ticketId)),
  );

  app.post(
    '/v1/venues/:venueId/tickets/:ticketId/card',
    {
      preHandler: staff,
      schema: {
        tags,
        summary: 'Bind a ticket to an NFC card (tap at the door instead of the QR); null unbinds',
        params: ticketParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['cardUid'],
          properties: { cardUid: { anyOf: [UID, { type: 'null' }] } },
        },
      },
    },
    async (req) => {
      const venue = await venueOf(req, true);
      const { ticketId } = req.params as { ticketId: string };
      const { cardUid } = req.body as { cardUid: string | null };
      return withRetry(() => db.tx((tx) => bindTicketCard(tx, venue, ticketId, cardUid)));
    },
  );

  app.post(
    '/v1/venues/:venueId/checkins',
    {
      preHandler: staff,
      schema: {
        tags,
        summary:
          'Door scans: admitted once across all doors; idempotent per nonce (offline uploads); rejections say why',
        params: venueParams,
        body: scanBody,
      },
    },
    async (req) => {
      const venue = await venueOf(req, true);
      const scans = (req.body as { scans: Scan[] }).scans;
      // Keys are read outside the transaction (PGlite: one transaction at a time), reloaded once
      // when a ticket names a key this replica has not seen yet.
      let verifying = await keys.verifyingKeys();
      const unknown = scans
        .map((s) => (s.token ? peekTicket(s.token)?.keyId : undefined))
        .find((k) => k && !verifying.has(k));
      if (unknown) verifying = await keys.keysFor(unknown);
      const results = await withRetry(() => db.tx((tx) => processScans(tx, venue.id, verifying, scans)));
      return {
        results,
        admitted: results.filter((r) => r.status === 'admitted').length,
        rejected: results.filter((r) => r.status === 'rejected').length,
      };
    },
  );

  app.post(
    '/v1/venues/:venueId/door-rejections',
    {
      preHandler: staff,
      schema: {
        tags,
        summary:
          'Refusals decided at the doors by the venue gateway (also offline ones, uploaded later): idempotent per nonce, shown in the counts and the door log',
        params: venueParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['rejections'],
          properties: {
            rejections: {
              type: 'array',
              minItems: 1,
              maxItems: 500,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['nonce', 'reason', 'door', 'scannedAt'],
                properties: {
                  nonce: NONCE,
                  // Open list (the gateway may know reasons this cloud does not): a plain slug.
                  reason: { type: 'string', pattern: '^[a-z][a-z-]{0,39}$' },
                  message: { type: 'string', maxLength: 200 },
                  door: DOOR,
                  scannedAt: DATE,
                  ticketId: UUID,
                  eventId: UUID,
                  cardUid: UID,
                  firstScan: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['at', 'door'],
                    properties: { at: DATE, door: { type: 'string', maxLength: 64 } },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const venue = await venueOf(req, true);
      const list = (req.body as { rejections: GatewayRejection[] }).rejections;
      const results = await withRetry(() => db.tx((tx) => storeRejections(tx, venue.id, list)));
      const conflicts = results.filter((r) => r.status === 'nonce-conflict');
      if (conflicts.length)
        req.log.warn({ nonces: conflicts.map((c) => c.nonce) }, 'door rejection nonce reused');
      return { results };
    },
  );

  app.get(
    '/v1/venues/:venueId/events/:eventId/door-log',
    {
      preHandler: readers,
      schema: {
        tags,
        summary: "The event's door log, newest first: admissions and rejections with their reason and door",
        params: eventParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
            rejected: { type: 'string', enum: ['true', 'false'] },
          },
        },
      },
    },
    async (req) => {
      const venue = await venueOf(req, false);
      const q = req.query as { limit?: string; rejected?: string };
      return {
        entries: await doorLog(db, venue.id, (req.params as { eventId: string }).eventId, {
          limit: q.limit ? Number(q.limit) : undefined,
          rejectedOnly: q.rejected === 'true',
        }),
      };
    },
  );

  app.get(
    '/v1/venues/:venueId/events/:eventId/counts',
    { preHandler: readers, schema: { tags, params: eventParams } },
    async (req) => {
      const venue = await venueOf(req, false);
      return doorCounts(db, venue.id, (req.params as { eventId: string }).eventId);
    },
  );

  app.get(
    '/v1/venues/:venueId/events/:eventId/door-list',
    {
      preHandler: readers,
      schema: {
        tags,
        summary:
          "The event's tickets for the venue gateway (full, or changes since the last cursor) and the verifying keys",
        params: eventParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { since: { type: 'string', pattern: '^[0-9]{1,15}$' } },
        },
      },
    },
    async (req) => {
      const venue = await venueOf(req, false);
      const since = (req.query as { since?: string }).since;
      const list = await doorList(
        db,
        venue.id,
        (req.params as { eventId: string }).eventId,
        since ? Number(since) : null,
      );
      const published = await keys.published();
      return { ...list, keys: published.map(keyView) };
    },
  );

  app.get(
    '/v1/ticketing/keys',
    {
      schema: {
        tags,
        security: [],
        summary: 'Ticket verifying keys (Ed25519, base64url), retired ones included',
      },
    },
    async () => ({
      keys: (await keys.published()).map((k) => ({
        ...keyView(k),
        active: k.active,
        createdAt: k.createdAt,
        retiredAt: k.retiredAt,
      })),
    }),
  );

  app.post(
    '/v1/admin/ticket-keys/rotate',
    { preHandler: fedAdmin, schema: { tags, summary: 'New ticket signing key; older keys keep verifying' } },
    async (_req, reply) => {
      const k = await keys.rotate();
      return reply.code(201).send({ ...keyView(k), createdAt: k.createdAt });
    },
  );

  // Plain QR pages. The token is checked offline first (a forged one never reaches the database).
  const tokenParams = { type: 'object', properties: { token: TOKEN } } as const;
  const checked = async (req: FastifyRequest, reply: FastifyReply) => {
    const { token } = req.params as { token: string };
    const lang = pickLang((req.query as { lang?: string } | undefined)?.lang, req.headers['accept-language']);
    const claims = peekTicket(token);
    const v = claims ? verifyTicket(token, await keys.keysFor(claims.keyId)) : null;
    const data = v?.ok ? await loadTicketPage(db, v.claims.ticketId, token) : null;
    if (!data) {
      reply
        .code(v?.ok ? 404 : 400)
        .header('content-type', 'text/html; charset=utf-8')
        .send(badTicketPage(lang, v?.ok ? DICT[lang].notFound : DICT[lang].badTicket));
      return null;
    }
    reply.header('cache-control', 'private, no-store').header('x-robots-tag', 'noindex');
    return { token, lang, data };
  };
  const pageSchema = {
    tags,
    security: [],
    params: tokenParams,
    querystring: { type: 'object', properties: { lang: { type: 'string', maxLength: 8 } } },
  };

  app.get('/tickets/:token', { schema: pageSchema }, async (req, reply) => {
    const c = await checked(req, reply);
    if (!c) return reply;
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .send(await ticketPage(c.lang, c.token, c.data));
  });
  app.get('/tickets/:token/qr.svg', { schema: pageSchema }, async (req, reply) => {
    const c = await checked(req, reply);
    if (!c) return reply;
    return reply.header('content-type', 'image/svg+xml').send(await qrSvg(c.token));
  });
  app.get('/tickets/:token/qr.png', { schema: pageSchema }, async (req, reply) => {
    const c = await checked(req, reply);
    if (!c) return reply;
    return reply.header('content-type', 'image/png').send(await qrPng(c.token));
  });
  app.get('/tickets/:token/ticket.pdf', { schema: pageSchema }, async (req, reply) => {
    const c = await checked(req, reply);
    if (!c) return reply;
    // A refunded, revoked or cancelled ticket is not printed (its page says why).
    if (c.data.status !== 'valid' || c.data.eventStatus === 'cancelled')
      return reply
        .code(410)
        .header('content-type', 'text/html; charset=utf-8')
        .send(await ticketPage(c.lang, c.token, c.data));
    return reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `inline; filename="ticket-${c.data.ticketId}.pdf"`)
      .send(await ticketPdf(c.lang, c.token, c.data));
  });
  return keys;
}
