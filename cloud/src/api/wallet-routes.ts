// Wallet lifecycle routes (all writes idempotent through the Idempotency-Key header):
//   POST /v1/venues/:venueId/refunds                        request a refund (quote frozen for review)
//   GET  /v1/venues/:venueId/refunds/:refundId
//   POST /v1/venues/:venueId/refunds/:refundId/approve      pay out (admins) → transfers + payout record
//   POST /v1/venues/:venueId/refunds/:refundId/reject
//   POST /v1/venues/:venueId/cards/:uid/replace             lost card: block + move balances
//   POST /v1/venues/:venueId/people                         register a person (federation-wide)
//   POST /v1/venues/:venueId/wallets/merge                  anonymous card wallet → person's wallet
//   POST /v1/venues/:venueId/time-credits                   venue admin credits volunteer minutes
//   GET  /v1/venues/:venueId/cards/:uid/reissue-preview     returned card: per asset paid out / voided / kept
//   POST /v1/venues/:venueId/cards/:uid/reissue             returned card: settle, close, fresh wallet
//   GET|PUT|DELETE /v1/venues/:venueId/time-voucher-rule    hours → vouchers rule (admins write)
//   POST /v1/venues/:venueId/time-vouchers                  convert a holder's hours into vouchers
//   GET  /v1/venues/:venueId/closed-wallets (+ …/:walletId/settle)  see closed-wallet-routes.ts
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/connect.js';
import {
  approveRefund,
  createPerson,
  creditTime,
  getRefund,
  mergeIntoPerson,
  rejectRefund,
  replaceCard,
  requestRefund,
} from '../ledger/lifecycle.js';
import { reissueCard, reissuePreview } from '../ledger/reissue.js';
import {
  convertTime,
  getRule,
  normaliseRule,
  setRule,
  type TimeVoucherRule,
} from '../ledger/time-vouchers.js';
import { walletPath } from '../public/wallet-link.js';
import { principalName, requireAuth } from './auth.js';
import { registerClosedWalletRoutes } from './closed-wallet-routes.js';
import { idempotencyHeaders } from './idempotency.js';
import { routeVenue, venueWrite } from './route-venue.js';
import { assetAmounts, errorSchema, payoutFields, UID, VENUE } from './schemas.js';

const UUID = { type: 'string', pattern: '^[0-9a-f-]{36}$' } as const;
const quoteSchema = {
  type: 'object',
  properties: { cardUid: { type: 'string' }, payout: assetAmounts, kept: assetAmounts, voided: assetAmounts },
} as const;
const refundView = {
  type: 'object',
  properties: {
    refundId: { type: 'string' },
    venueId: { type: 'string' },
    cardUid: { type: 'string' },
    status: { type: 'string', enum: ['requested', 'paid', 'rejected'] },
    quote: quoteSchema,
    requestedBy: { type: 'string' },
    approvedBy: { type: ['string', 'null'] },
    payoutMethod: { type: ['string', 'null'] },
    payoutReference: { type: ['string', 'null'] },
    payout: {
      type: ['object', 'null'],
      properties: { ...quoteSchema.properties, logSeqs: { type: 'array', items: { type: 'integer' } } },
    },
  },
} as const;
const moveResult = {
  type: 'object',
  additionalProperties: true,
  properties: {
    moved: assetAmounts,
    balances: assetAmounts,
    logSeqs: { type: 'array', items: { type: 'integer' } },
  },
} as const;

export function registerWalletRoutes(app: FastifyInstance, db: Db, masterKey: Buffer): void {
  const staff = requireAuth(db, { gateway: true, roles: ['federation_admin', 'venue_admin', 'cashier'] });
  const admins = requireAuth(db, { roles: ['federation_admin', 'venue_admin'] });
  const readers = requireAuth(db, { roles: ['federation_admin', 'venue_admin', 'cashier', 'auditor'] });
  const tags = ['wallets'];
  const venueParams = { type: 'object', properties: { venueId: VENUE } } as const;
  const refundParams = { type: 'object', properties: { venueId: VENUE, refundId: UUID } } as const;
  // Late money on wallets closed by a re-issue: listed and settled at the venue that re-issued.
  registerClosedWalletRoutes(app, db);

  const write = venueWrite(db);

  app.post(
    '/v1/venues/:venueId/refunds',
    {
      preHandler: staff,
      schema: {
        tags,
        summary: 'Request a refund of a card: the quote (paid out / voided / kept) is frozen for approval',
        params: venueParams,
        headers: idempotencyHeaders,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['cardUid'],
          properties: { cardUid: UID },
        },
        response: { 201: refundView, ...errorSchema },
      },
    },
    write<{ cardUid: string }>(201, ({ tx, engine, venue, body, principal }) =>
      requestRefund(tx, engine, venue, body.cardUid, principalName(principal)),
    ),
  );

  app.get(
    '/v1/venues/:venueId/refunds/:refundId',
    {
      preHandler: readers,
      schema: { tags, params: refundParams, response: { 200: refundView, ...errorSchema } },
    },
    async (req) => {
      const venue = await routeVenue(db, req, false);
      return db.tx((tx) => getRefund(tx, venue, (req.params as { refundId: string }).refundId));
    },
  );

  app.post(
    '/v1/venues/:venueId/refunds/:refundId/approve',
    {
      preHandler: admins,
      schema: {
        tags,
        summary:
          'Approve a refund: refundable balances are paid out, non-refundable ones kept or voided per venue policy',
        params: refundParams,
        headers: idempotencyHeaders,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['payoutMethod'],
          properties: {
            ...payoutFields,
          },
        },
        response: { 200: refundView, ...errorSchema },
      },
    },
    write<{ payoutMethod: string; payoutReference?: string }>(
      200,
      ({ tx, engine, venue, body, params, principal }) =>
        approveRefund(tx, engine, venue, params.refundId, { approvedBy: principalName(principal), ...body }),
    ),
  );

  app.post(
    '/v1/venues/:venueId/refunds/:refundId/reject',
    {
      preHandler: admins,
      schema: {
        tags,
        params: refundParams,
        headers: idempotencyHeaders,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { reason: { type: 'string', maxLength: 500 } },
        },
        response: { 200: refundView, ...errorSchema },
      },
    },
    write<object>(200, ({ tx, venue, params, principal }) =>
      rejectRefund(tx, venue, params.refundId, principalName(principal)),
    ),
  );

  app.post(
    '/v1/venues/:venueId/cards/:uid/replace',
    {
      preHandler: staff,
      schema: {
        tags,
        summary: 'Lost card: block it and move its balances to a new card',
        params: { type: 'object', properties: { venueId: VENUE, uid: UID } },
        headers: idempotencyHeaders,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['newCardUid'],
          properties: { newCardUid: UID, reason: { type: 'string', maxLength: 500 } },
        },
        response: { 200: moveResult, ...errorSchema },
      },
    },
    write<{ newCardUid: string }>(200, ({ tx, engine, venue, body, params }) =>
      replaceCard(tx, engine, venue, params.uid, body.newCardUid),
    ),
  );

  app.post(
    '/v1/venues/:venueId/people',
    {
      preHandler: staff,
      schema: {
        tags,
        summary: 'Register a person (personal data stays out of the log)',
        params: venueParams,
        headers: idempotencyHeaders,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['displayName'],
          properties: {
            displayName: { type: 'string', minLength: 1, maxLength: 200 },
            email: { type: 'string', maxLength: 200, pattern: '^[^@\\s]+@[^@\\s]+$' },
          },
        },
        response: { 201: { type: 'object', properties: { personId: { type: 'string' } } }, ...errorSchema },
      },
    },
    write<{ displayName: string; email?: string }>(201, ({ tx, venue, body }) =>
      createPerson(tx, venue, body),
    ),
  );

  app.post(
    '/v1/venues/:venueId/wallets/merge',
    {
      preHandler: staff,
      schema: {
        tags,
        summary: "Merge an anonymous card wallet into a person's wallet",
        params: venueParams,
        headers: idempotencyHeaders,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['cardUid', 'personId'],
          properties: { cardUid: UID, personId: UUID },
        },
        response: { 200: moveResult, ...errorSchema },
      },
    },
    write<{ cardUid: string; personId: string }>(200, ({ tx, engine, venue, body }) =>
      mergeIntoPerson(tx, engine, venue, body.cardUid, body.personId),
    ),
  );

  app.post(
    '/v1/venues/:venueId/time-credits',
    {
      preHandler: admins,
      schema: {
        tags,
        summary: 'Credit volunteer time (minutes of TIME) to a card',
        params: venueParams,
        headers: idempotencyHeaders,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['cardUid', 'minutes'],
          properties: {
            cardUid: UID,
            minutes: { type: 'integer', minimum: 1, maximum: 100_000 },
            note: { type: 'string', maxLength: 500 },
          },
        },
        response: { 200: moveResult, ...errorSchema },
      },
    },
    write<{ cardUid: string; minutes: number }>(200, ({ tx, engine, venue, body }) =>
      creditTime(tx, engine, venue, body.cardUid, body.minutes),
    ),
  );

  const cardParams = { type: 'object', properties: { venueId: VENUE, uid: UID } } as const;
  const reissueQuote = {
    ...quoteSchema.properties,
    mode: { type: 'string', enum: ['refunded', 'detached'] },
  } as const;

  app.get(
    '/v1/venues/:venueId/cards/:uid/reissue-preview',
    {
      preHandler: readers,
      schema: {
        tags,
        summary:
          'Returned card: what a reissue would pay out, void (venue policy) and keep in the closed wallet, per asset',
        params: cardParams,
        response: {
          200: {
            type: 'object',
            properties: {
              ...reissueQuote,
              needsAdmin: { type: 'boolean' },
              blocker: {
                type: ['object', 'null'],
                properties: { error: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
          ...errorSchema,
        },
      },
    },
    async (req) => {
      const venue = await routeVenue(db, req, false);
      return reissuePreview(db, venue, (req.params as { uid: string }).uid);
    },
  );

  app.post(
    '/v1/venues/:venueId/cards/:uid/reissue',
    {
      preHandler: requireAuth(db, { roles: ['federation_admin', 'venue_admin', 'cashier'] }),
      schema: {
        tags,
        summary:
          'Returned card: refund it, close and detach its wallet, give the card a fresh empty wallet for its next holder',
        params: cardParams,
        headers: idempotencyHeaders,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...payoutFields,
            reason: { type: 'string', maxLength: 500 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              ...reissueQuote,
              reissueId: { type: 'string' },
              refundId: { type: ['string', 'null'] },
              payoutMethod: { type: ['string', 'null'] },
              payoutReference: { type: ['string', 'null'] },
              closedWalletAccounts: { type: 'array', items: { type: 'string' } },
              logSeqs: { type: 'array', items: { type: 'integer' } },
              walletIssue: { type: 'integer' },
              walletLink: {
                type: 'string',
                description: "The next holder's wallet link (the former one stops working)",
              },
            },
          },
          ...errorSchema,
        },
      },
    },
    write<{ payoutMethod?: string; payoutReference?: string }>(
      200,
      async ({ tx, engine, venue, body, params, principal }) => {
        const r = await reissueCard(tx, engine, venue, params.uid, {
          by: principalName(principal),
          mayPayOut: principal.type === 'user' && principal.role !== 'cashier',
          payoutMethod: body.payoutMethod,
          payoutReference: body.payoutReference,
        });
        return { ...r, walletLink: walletPath(masterKey, r.cardUid, r.walletIssue) };
      },
    ),
  );

  const ruleSchema = {
    type: 'object',
    additionalProperties: false,
    required: ['minutes', 'giftAmount'],
    properties: {
      minutes: { type: 'integer', minimum: 1, maximum: 1440 },
      giftAmount: { type: 'integer', minimum: 1, maximum: 1_000_000 },
      asset: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*:[a-z0-9][a-z0-9-]{0,39}$' },
      capUnits: { type: ['integer', 'null'], minimum: 1, maximum: 10_000 },
      periodDays: { type: 'integer', minimum: 1, maximum: 366 },
    },
  } as const;
  const ruleView = {
    type: 'object',
    properties: {
      venueId: { type: 'string' },
      rule: {
        type: ['object', 'null'],
        properties: {
          minutes: { type: 'integer' },
          giftAmount: { type: 'integer' },
          asset: { type: 'string' },
          capUnits: { type: ['integer', 'null'] },
          periodDays: { type: 'integer' },
        },
      },
    },
  } as const;

  app.get(
    '/v1/venues/:venueId/time-voucher-rule',
    {
      preHandler: staff,
      schema: {
        tags,
        summary: 'The venue rule turning hours into vouchers',
        params: venueParams,
        response: { 200: ruleView, ...errorSchema },
      },
    },
    async (req) => {
      const venue = await routeVenue(db, req, false);
      return { venueId: venue.id, rule: await getRule(db, venue.id) };
    },
  );

  app.put(
    '/v1/venues/:venueId/time-voucher-rule',
    {
      preHandler: admins,
      schema: {
        tags,
        summary: 'Set the hours → vouchers rule (e.g. 60 min → 500 of GIFT, at most 4 blocks per 7 days)',
        params: venueParams,
        body: ruleSchema,
        response: { 200: ruleView, ...errorSchema },
      },
    },
    async (req) => {
      const venue = await routeVenue(db, req, true);
      const rule = normaliseRule(venue, req.body as Partial<TimeVoucherRule>);
      await setRule(db, venue, rule);
      req.log.info({ venueId: venue.id, rule }, 'time voucher rule set');
      return { venueId: venue.id, rule };
    },
  );

  app.delete(
    '/v1/venues/:venueId/time-voucher-rule',
    {
      preHandler: admins,
      schema: {
        tags,
        summary: 'Remove the hours → vouchers rule',
        params: venueParams,
        response: { 200: ruleView, ...errorSchema },
      },
    },
    async (req) => {
      const venue = await routeVenue(db, req, true);
      await setRule(db, venue, null);
      req.log.info({ venueId: venue.id }, 'time voucher rule removed');
      return { venueId: venue.id, rule: null };
    },
  );

  app.post(
    '/v1/venues/:venueId/time-vouchers',
    {
      preHandler: staff,
      schema: {
        tags,
        summary: "Convert a holder's hours (TIME) into the venue's vouchers, by its rule",
        params: venueParams,
        headers: idempotencyHeaders,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['cardUid', 'minutes'],
          properties: { cardUid: UID, minutes: { type: 'integer', minimum: 1, maximum: 100_000 } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              cardUid: { type: 'string' },
              units: { type: 'integer' },
              minutes: { type: 'integer' },
              asset: { type: 'string' },
              amount: { type: 'integer' },
              capRemaining: { type: ['integer', 'null'] },
              balances: assetAmounts,
              logSeqs: { type: 'array', items: { type: 'integer' } },
            },
          },
          ...errorSchema,
        },
      },
    },
    write<{ cardUid: string; minutes: number }>(200, ({ tx, engine, venue, body }) =>
      convertTime(tx, engine, venue, body.cardUid, body.minutes),
    ),
  );
}
