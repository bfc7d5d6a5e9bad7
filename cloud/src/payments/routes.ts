// Online top-up through the payment provider: staff (or a gateway) opens a checkout session for a
// card; the provider's webhook, verified by the provider adapter, credits the card's wallet once.
// A webhook event is processed at most once (payment_events, keyed by the provider's event id,
// inserted in the same transaction as the credit), and a session is credited at most once (its
// payments row goes pending → paid). A refused webhook (bad signature, stale timestamp, unknown
// session, amount mismatch) changes nothing.
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { assertVenueAccess, requireAuth } from '../api/auth.js';
import { IDEMPOTENCY_HEADER, idempotencyHeaders } from '../api/idempotency.js';
import { errorSchema, UID, VENUE } from '../api/schemas.js';
import { type Db, num } from '../db/connect.js';
import { resolveCards } from '../ledger/cards.js';
import { PostingEngine } from '../ledger/engine.js';
import { LedgerError } from '../ledger/types.js';
import { requireVenue, sys } from '../ledger/venue.js';
import { checkoutOfRaceWinner } from '../memberships/checkout-race.js';
import { withRetry } from '../sync/batches.js';
import type { PaidSession, PaymentProvider } from './provider.js';

const ASSET = 'EUR';

export function registerPaymentRoutes(app: FastifyInstance, db: Db, provider: PaymentProvider): void {
  const staff = requireAuth(db, { gateway: true, roles: ['federation_admin', 'venue_admin', 'cashier'] });
  const tags = ['payments'];

  app.post(
    '/v1/venues/:venueId/online-topups',
    {
      preHandler: staff,
      schema: {
        tags,
        summary: `Open a ${provider.name} checkout session topping up a card (credited when the provider confirms payment)`,
        params: { type: 'object', properties: { venueId: VENUE } },
        headers: idempotencyHeaders,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['cardUid', 'amount', 'successUrl', 'cancelUrl'],
          properties: {
            cardUid: UID,
            amount: { type: 'integer', minimum: 100, maximum: 100_000 },
            successUrl: { type: 'string', pattern: '^https?://', maxLength: 2000 },
            cancelUrl: { type: 'string', pattern: '^https?://', maxLength: 2000 },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              sessionId: { type: 'string' },
              url: { type: 'string' },
              reference: { type: 'string' },
              status: { type: 'string' },
            },
          },
          ...errorSchema,
        },
      },
    },
    async (req, reply) => {
      const { venueId } = req.params as { venueId: string };
      await assertVenueAccess(db, req.principal!, venueId);
      const venue = await requireVenue(db, venueId);
      const body = req.body as { cardUid: string; amount: number; successUrl: string; cancelUrl: string };
      const key = req.headers[IDEMPOTENCY_HEADER] as string;
      const reference = `tp_${createHash('sha256').update(`${venueId}\u0000${key}`).digest('hex').slice(0, 32)}`;
      const prior = await db.query<{
        id: string;
        url: string;
        card_uid: string;
        amount: unknown;
        status: string;
      }>('SELECT id, url, card_uid, amount, status FROM payments WHERE reference = $1', [reference]);
      const replay = (p: { id: string; url: string; card_uid: string; amount: unknown; status: string }) => {
        if (p.card_uid !== body.cardUid || num(p.amount) !== body.amount)
          throw new LedgerError(
            'idempotency-conflict',
            `Idempotency-Key ${key} was used for another top-up`,
            409,
          );
        reply.header('idempotent-replayed', 'true');
        return reply.code(201).send({ sessionId: p.id, url: p.url, reference, status: p.status });
      };
      if (prior.rows[0]) return replay(prior.rows[0]);
      // The card must be usable here (its first use may create its wallet).
      await db.tx(async (tx) => {
        const card = (await resolveCards(tx, venue, [body.cardUid], new Set([body.cardUid]))).get(
          body.cardUid,
        );
        if (!card)
          throw new LedgerError('unknown-card', `card ${body.cardUid} unknown in this federation`, 404);
        if (card.blocked) throw new LedgerError('card-blocked', `card ${body.cardUid} is blocked`, 409);
      });
      const session = await provider.createCheckout({
        reference,
        amount: body.amount,
        currency: 'eur',
        successUrl: body.successUrl,
        cancelUrl: body.cancelUrl,
      });
      const ins = await db.query(
        `INSERT INTO payments (id, provider, venue_id, card_uid, asset, amount, status, reference, url)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) ON CONFLICT DO NOTHING RETURNING id`,
        [session.sessionId, provider.name, venueId, body.cardUid, ASSET, body.amount, reference, session.url],
      );
      if (!ins.rows.length)
        return checkoutOfRaceWinner(
          async () =>
            (
              await db.query<{ id: string; url: string; card_uid: string; amount: unknown; status: string }>(
                'SELECT id, url, card_uid, amount, status FROM payments WHERE reference = $1',
                [reference],
              )
            ).rows[0],
          replay,
        );
      req.log.info({ sessionId: session.sessionId, venueId, amount: body.amount }, 'checkout session opened');
      return reply
        .code(201)
        .send({ sessionId: session.sessionId, url: session.url, reference, status: 'pending' });
    },
  );

  // The webhook needs the raw body (the signature covers its exact bytes): own JSON parser, scoped.
  void app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: 1024 * 1024 },
      (_req, raw, done) => done(null, raw),
    );
    scope.post(
      `/v1/payments/${provider.name}/webhook`,
      {
        schema: {
          tags,
          security: [],
          summary: `${provider.name} webhook (signature-verified; credits a paid checkout session once)`,
          response: {
            200: {
              type: 'object',
              properties: {
                received: { type: 'boolean' },
                outcome: { type: 'string' },
                logSeqs: { type: 'array', items: { type: 'integer' } },
              },
            },
            ...errorSchema,
          },
        },
      },
      async (req) => {
        const raw = typeof req.body === 'string' ? req.body : '';
        let paid: PaidSession | null;
        try {
          paid = provider.parseWebhook(raw, req.headers);
        } catch (err) {
          req.log.warn({ err: (err as Error).message }, 'payment webhook refused');
          throw err;
        }
        if (!paid) return { received: true, outcome: 'ignored' };
        const p = paid;
        return withRetry(() =>
          db.tx(async (tx) => {
            const engine = await PostingEngine.begin(tx);
            const ev = await tx.query(
              `INSERT INTO payment_events (provider, event_id, session_id, outcome) VALUES ($1, $2, $3, 'credited')
               ON CONFLICT DO NOTHING RETURNING event_id`,
              [provider.name, p.eventId, p.sessionId],
            );
            if (!ev.rows.length) return { received: true, outcome: 'duplicate' };
            const { rows } = await tx.query<{
              venue_id: string;
              card_uid: string;
              amount: unknown;
              status: string;
              reference: string | null;
              asset: string;
            }>(
              'SELECT venue_id, card_uid, amount, status, reference, asset FROM payments WHERE id = $1 AND provider = $2 FOR UPDATE',
              [p.sessionId, provider.name],
            );
            const pay = rows[0];
            if (!pay) throw new LedgerError('unknown-session', `no checkout session ${p.sessionId}`, 404);
            if (
              pay.reference !== p.reference ||
              num(pay.amount) !== p.amount ||
              p.currency.toLowerCase() !== 'eur'
            )
              throw new LedgerError(
                'payment-mismatch',
                `session ${p.sessionId}: reference, amount or currency differs from the checkout`,
                409,
              );
            if (pay.status === 'paid') {
              await tx.query(
                "UPDATE payment_events SET outcome = 'already-paid' WHERE provider = $1 AND event_id = $2",
                [provider.name, p.eventId],
              );
              return { received: true, outcome: 'already-paid' };
            }
            const venue = await requireVenue(tx, pay.venue_id);
            const card = (await resolveCards(tx, venue, [pay.card_uid], new Set([pay.card_uid]))).get(
              pay.card_uid,
            );
            if (!card) throw new LedgerError('unknown-card', `card ${pay.card_uid} unknown`, 404);
            // A card blocked since checkout still receives the money paid (it moves with the card's balances on replacement).
            const [res] = await engine.apply([
              {
                id: `pay-${randomUUID()}`,
                venueId: venue.id,
                kind: 'topup',
                bodyHash: Buffer.alloc(32),
                at: Date.now(),
                postings: [
                  {
                    asset: pay.asset,
                    from: sys.funding(venue.id, 'online'),
                    to: { wallet: card.walletId },
                    amount: p.amount,
                    kind: 'topup',
                  },
                ],
              },
            ]);
            if (res.status !== 'applied')
              throw new LedgerError(res.reason ?? 'rejected', res.detail ?? 'top-up refused', 409);
            await tx.query("UPDATE payments SET status = 'paid' WHERE id = $1", [p.sessionId]);
            req.log.info(
              { sessionId: p.sessionId, eventId: p.eventId, amount: p.amount },
              'online top-up credited',
            );
            return { received: true, outcome: 'credited', logSeqs: res.seqs ?? [] };
          }),
        );
      },
    );
  });
}
