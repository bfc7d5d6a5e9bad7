// Membership routes (staff and gateways; holders use the /me pages).
//   POST /v1/venues/:venueId/membership-products             create a product (admins)
//   GET  /v1/venues/:venueId/membership-products             products on sale at the venue
//   POST /v1/venues/:venueId/memberships                     buy / renew, paid from the wallet (Idempotency-Key)
//   POST /v1/venues/:venueId/memberships/checkout            buy / renew through the payment provider
//   GET  /v1/venues/:venueId/cards/:uid/membership           a card's status at the venue
//   PUT  /v1/venues/:venueId/events/:eventId/members-only    mark / unmark a members-only event (admins)
//   POST /v1/memberships/reminders                           queue due renewal reminders (federation admins, cron)
//   GET  /v1/venues/:venueId/cards/:uid/membership-periods   a card's periods at the venue (ids, cancellations)
//   POST /v1/venues/:venueId/memberships/:periodId/cancel    cancel, badge back, optional refund (admins, Idempotency-Key)
//   PUT  /v1/venues/:venueId/memberships/:periodId/reminders renewal reminders off / on again (staff, for the holder)
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalName, requireAuth } from '../api/auth.js';
import { IDEMPOTENCY_HEADER, idempotencyHeaders, idempotentWrite } from '../api/idempotency.js';
import { routeVenue } from '../api/route-venue.js';
import { errorSchema, UID, VENUE } from '../api/schemas.js';
import { type Db, num } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';
import type { PaymentProvider } from '../payments/provider.js';
import { resolveBuyerWallet } from '../ticketing/ledger.js';
import {
  cancelMembership,
  periodOwner,
  REFUND_MODES,
  type RefundMode,
  setRenewalReminders,
} from './cancel.js';
import { openMembershipCheckout, settleMembershipCheckouts } from './checkout.js';
import { createProduct, type ProductInput, productsAt, requireProduct } from './products.js';
import { buyMembership } from './purchase.js';
import { queueMembershipReminders } from './reminders.js';
import { membershipsOfCards, periodEnd } from './status.js';

const AMOUNT = { type: 'integer', minimum: 0, maximum: 100_000_000 } as const;
const SLUG = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,39}$' } as const;
const UUID = {
  type: 'string',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
} as const;
const PERSON = { type: 'string', minLength: 1, maxLength: 64 } as const;
const venueParams = { type: 'object', required: ['venueId'], properties: { venueId: VENUE } } as const;

const productBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'scope', 'pricing'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 120 },
    description: { type: 'string', maxLength: 2000 },
    scope: { type: 'string', enum: ['venue', 'federation'] },
    pricing: { type: 'string', enum: ['fixed', 'free', 'sliding'] },
    price: AMOUNT,
    minPrice: AMOUNT,
    brackets: {
      type: 'array',
      maxItems: 12,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'label', 'maxIncome', 'price'],
        properties: {
          id: SLUG,
          label: { type: 'string', minLength: 1, maxLength: 80 },
          maxIncome: { type: ['integer', 'null'], minimum: 0, maximum: 100_000_000_00 },
          price: AMOUNT,
        },
      },
    },
    asset: { type: 'string', maxLength: 48 },
    durationMonths: { type: 'integer', minimum: 1, maximum: 120 },
    reminderDays: { type: 'array', maxItems: 6, items: { type: 'integer', minimum: 1, maximum: 365 } },
    badgeAsset: { type: 'string', maxLength: 48 },
  },
} as const;

const choice = {
  amount: AMOUNT,
  bracket: SLUG,
  income: { type: 'integer', minimum: 0, maximum: 100_000_000_00 },
} as const;

const buyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['productId'],
  oneOf: [{ required: ['cardUid'] }, { required: ['personId'] }],
  properties: { productId: UUID, cardUid: UID, personId: PERSON, ...choice },
} as const;

const periodParams = {
  type: 'object',
  required: ['venueId', 'periodId'],
  properties: { venueId: VENUE, periodId: UUID },
} as const;

const cancelBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: {
    reason: { type: 'string', minLength: 3, maxLength: 500, pattern: '\\S' },
    refund: { type: 'string', enum: REFUND_MODES },
    amount: AMOUNT,
  },
  // An amount goes with refund 'amount', and only with it.
  if: { required: ['refund'], properties: { refund: { const: 'amount' } } },
  // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword, not a thenable.
  then: { required: ['amount'] },
  else: { not: { required: ['amount'] } },
} as const;

export function registerMembershipRoutes(
  app: FastifyInstance,
  db: Db,
  opts: { payments?: PaymentProvider; baseUrl?: string } = {},
): void {
  const tags = ['memberships'];
  const admins = requireAuth(db, { roles: ['federation_admin', 'venue_admin'] });
  const staff = requireAuth(db, { gateway: true, roles: ['federation_admin', 'venue_admin', 'cashier'] });
  const readers = requireAuth(db, {
    gateway: true,
    roles: ['federation_admin', 'venue_admin', 'cashier', 'auditor'],
  });
  const venueOf = (req: FastifyRequest, write: boolean) => routeVenue(db, req, write);
  const onSaleHere = async (venue: { id: string; federationId: string }, productId: string) => {
    const product = await requireProduct(db, productId);
    if (
      product.federationId !== venue.federationId ||
      (product.scope === 'venue' && product.venueId !== venue.id)
    )
      throw new LedgerError(
        'unknown-product',
        `membership product ${productId} is not sold at ${venue.id}`,
        404,
      );
    return product;
  };

  app.post(
    '/v1/venues/:venueId/membership-products',
    {
      preHandler: admins,
      schema: { tags, summary: 'Create a membership product', params: venueParams, body: productBody },
    },
    async (req, reply) => {
      const venue = await venueOf(req, true);
      const body = req.body as ProductInput;
      const p = req.principal!;
      if (body.scope === 'federation' && !(p.type === 'user' && p.role === 'federation_admin'))
        throw new LedgerError(
          'forbidden',
          'federation-wide memberships are created by federation admins',
          403,
        );
      const product = await db.tx((tx) => createProduct(tx, venue, body));
      req.log.info({ productId: product.id, venueId: venue.id }, 'membership product created');
      return reply.code(201).send(product);
    },
  );

  app.get(
    '/v1/venues/:venueId/membership-products',
    { preHandler: readers, schema: { tags, params: venueParams } },
    async (req) => ({ products: await productsAt(db, await venueOf(req, false)) }),
  );

  app.post(
    '/v1/venues/:venueId/memberships',
    {
      preHandler: staff,
      schema: {
        tags,
        summary: 'Buy or renew a membership paid from the wallet (renewal extends from the old expiry)',
        params: venueParams,
        headers: idempotencyHeaders,
        body: buyBody,
        response: { ...errorSchema },
      },
    },
    async (req, reply) => {
      const venue = await venueOf(req, true);
      const body = req.body as {
        productId: string;
        cardUid?: string;
        personId?: string;
        amount?: number;
        bracket?: string;
        income?: number;
      };
      const product = await onSaleHere(venue, body.productId);
      return idempotentWrite(db, req, reply, venue.id, async (tx, engine) => {
        const walletId = await resolveBuyerWallet(tx, venue, body);
        return {
          status: 201,
          body: await buyMembership(tx, engine, product, {
            ...body,
            walletId,
            paidBy: 'wallet',
            createdBy: principalName(req.principal!),
          }),
        };
      });
    },
  );

  app.post(
    '/v1/venues/:venueId/memberships/checkout',
    {
      preHandler: staff,
      schema: {
        tags,
        summary:
          'Buy or renew a membership through the payment provider (settled once the payment is credited)',
        params: venueParams,
        headers: idempotencyHeaders,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['productId', 'cardUid', 'successUrl', 'cancelUrl'],
          properties: {
            productId: UUID,
            cardUid: UID,
            ...choice,
            successUrl: { type: 'string', pattern: '^https?://', maxLength: 2000 },
            cancelUrl: { type: 'string', pattern: '^https?://', maxLength: 2000 },
          },
        },
      },
    },
    async (req, reply) => {
      if (!opts.payments) throw new LedgerError('no-payment-provider', 'no payment provider configured', 409);
      const venue = await venueOf(req, true);
      const body = req.body as { productId: string; cardUid: string; successUrl: string; cancelUrl: string };
      const product = await onSaleHere(venue, body.productId);
      const view = await openMembershipCheckout(db, opts.payments, venue, product, {
        ...body,
        key: req.headers[IDEMPOTENCY_HEADER] as string,
        createdBy: principalName(req.principal!),
      });
      return reply.code(201).send(view);
    },
  );

  app.get(
    '/v1/venues/:venueId/cards/:uid/membership',
    {
      preHandler: readers,
      schema: {
        tags,
        summary: 'Membership status of a card at the venue (the same rule the gateways apply)',
        params: { type: 'object', required: ['venueId', 'uid'], properties: { venueId: VENUE, uid: UID } },
      },
    },
    async (req) => {
      const venue = await venueOf(req, false);
      const { uid } = req.params as { uid: string };
      if (opts.payments) await settleMembershipCheckouts(db, opts.payments.name, { log: req.log });
      const s = (await membershipsOfCards(db, venue, [uid])).get(uid)!;
      return {
        cardUid: uid,
        state: s.state,
        validFrom: s.validFrom === null ? null : new Date(s.validFrom).toISOString(),
        validUntil: s.validUntil === null ? null : new Date(s.validUntil).toISOString(),
      };
    },
  );

  app.put(
    '/v1/venues/:venueId/events/:eventId/members-only',
    {
      preHandler: admins,
      schema: {
        tags,
        summary: 'Members-only event: tickets are sold to members only and the door admits members only',
        params: {
          type: 'object',
          required: ['venueId', 'eventId'],
          properties: { venueId: VENUE, eventId: { type: 'string', maxLength: 64 } },
        },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['membersOnly'],
          properties: { membersOnly: { type: 'boolean' } },
        },
      },
    },
    async (req) => {
      const venue = await venueOf(req, true);
      const { eventId } = req.params as { eventId: string };
      const { membersOnly } = req.body as { membersOnly: boolean };
      const ev = await db.query('SELECT 1 FROM ticket_events WHERE id = $1 AND venue_id = $2', [
        eventId,
        venue.id,
      ]);
      if (!ev.rows.length)
        throw new LedgerError('unknown-event', `unknown event ${eventId} at ${venue.id}`, 404);
      if (membersOnly)
        await db.query(
          'INSERT INTO members_only_events (event_id, venue_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [eventId, venue.id],
        );
      else await db.query('DELETE FROM members_only_events WHERE event_id = $1', [eventId]);
      return { eventId, membersOnly };
    },
  );

  app.get(
    '/v1/venues/:venueId/cards/:uid/membership-periods',
    {
      preHandler: readers,
      schema: {
        tags,
        summary: 'The periods of a card’s wallet for the memberships that count at the venue (ids to cancel)',
        params: { type: 'object', required: ['venueId', 'uid'], properties: { venueId: VENUE, uid: UID } },
      },
    },
    async (req) => {
      const venue = await venueOf(req, false);
      const { uid } = req.params as { uid: string };
      const { rows } = await db.query<Record<string, unknown>>(
        `SELECT m.id, m.product_id, p.name, p.venue_id, m.starts_at, m.expires_at, ${periodEnd('m')} AS ends_at, m.amount,
                m.asset, m.paid_by, m.cancelled_at, m.cancel_reason, m.cancel_refund, m.reminders_off_at
         FROM cards c JOIN membership_periods m ON m.wallet_id = c.wallet_id AND m.voided_at IS NULL
         JOIN membership_products p ON p.id = m.product_id
         WHERE c.uid = $1 AND c.federation_id = $2 AND p.federation_id = $2 AND (p.scope = 'federation' OR p.venue_id = $3)
         ORDER BY m.starts_at, m.id`,
        [uid, venue.federationId, venue.id],
      );
      const at = (v: unknown) => (v === null ? null : new Date(v as string).toISOString());
      return {
        cardUid: uid,
        periods: rows.map((r) => ({
          periodId: r.id,
          productId: r.product_id,
          productName: r.name,
          soldBy: r.venue_id,
          startsAt: at(r.starts_at),
          expiresAt: at(r.expires_at),
          endsAt: at(r.ends_at),
          amount: num(r.amount),
          asset: r.asset,
          paidBy: r.paid_by,
          cancelledAt: at(r.cancelled_at),
          cancelReason: r.cancel_reason,
          cancelRefund: num(r.cancel_refund),
          reminders: r.reminders_off_at === null,
        })),
      };
    },
  );

  app.post(
    '/v1/venues/:venueId/memberships/:periodId/cancel',
    {
      preHandler: admins,
      schema: {
        tags,
        summary:
          'Cancel a membership now (and its advance renewals): badge taken back, optional refund (full, pro rata of unused days, or an amount) to the wallet',
        params: periodParams,
        headers: idempotencyHeaders,
        body: cancelBody,
        response: { ...errorSchema },
      },
    },
    async (req, reply) => {
      const venue = await venueOf(req, true);
      const { periodId } = req.params as { periodId: string };
      const body = req.body as { reason: string; refund?: RefundMode; amount?: number };
      return idempotentWrite(db, req, reply, venue.id, async (tx, engine) => {
        const view = await cancelMembership(tx, engine, {
          periodId,
          venueId: venue.id,
          reason: body.reason.trim(),
          refund: body.refund ?? 'none',
          amount: body.amount,
          cancelledBy: principalName(req.principal!),
        });
        req.log.info(
          {
            periodId,
            venueId: venue.id,
            walletId: view.walletId,
            cancelled: view.periods.length,
            refunded: view.refunded,
            operationId: view.operationId,
          },
          'membership cancelled',
        );
        return { status: 200, body: view };
      });
    },
  );

  app.put(
    '/v1/venues/:venueId/memberships/:periodId/reminders',
    {
      preHandler: requireAuth(db, { roles: ['federation_admin', 'venue_admin', 'cashier'] }),
      schema: {
        tags,
        summary:
          'Renewal reminders off (the membership stays valid to its end) or on again, for the holder of this membership',
        params: periodParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['enabled'],
          properties: { enabled: { type: 'boolean' } },
        },
        response: { ...errorSchema },
      },
    },
    async (req) => {
      const venue = await venueOf(req, true);
      const { periodId } = req.params as { periodId: string };
      const { enabled } = req.body as { enabled: boolean };
      const owner = await periodOwner(db, periodId);
      if (!owner) throw new LedgerError('unknown-membership', `no membership ${periodId}`, 404);
      await onSaleHere(venue, owner.productId).catch((e: unknown) => {
        throw e instanceof LedgerError
          ? new LedgerError('unknown-membership', `no membership ${periodId} at ${venue.id}`, 404)
          : e;
      });
      const r = await setRenewalReminders(db, owner.productId, owner.walletId, enabled);
      req.log.info(
        { periodId: r.periodId, walletId: r.walletId, reminders: enabled },
        'renewal reminders set',
      );
      return r;
    },
  );

  app.post(
    '/v1/memberships/reminders',
    {
      preHandler: requireAuth(db, { roles: ['federation_admin'] }),
      schema: { tags, summary: 'Queue the renewal reminders due now (idempotent; run it from cron)' },
    },
    async (req) => {
      const r = await queueMembershipReminders(db, {
        baseUrl: opts.baseUrl ?? `${req.protocol}://${req.host}`,
      });
      req.log.info(r, 'membership reminders queued');
      return r;
    },
  );

  // A provider webhook may have credited a membership checkout: settle it right away.
  if (opts.payments) {
    const provider = opts.payments;
    const hook = `/v1/payments/${provider.name}/webhook`;
    app.addHook('onResponse', async (req, reply) => {
      if (req.routeOptions.url !== hook || reply.statusCode !== 200) return;
      await settleMembershipCheckouts(db, provider.name, { log: req.log }).catch((err: Error) =>
        req.log.error({ err }, 'membership checkout settlement failed'),
      );
    });
  }
}
