// Closed wallets holding money again (src/ledger/closed-wallets.ts), at the venue that re-issued
// their card:
//   GET  /v1/venues/:venueId/closed-wallets                      what each holds, what settling does
//   POST /v1/venues/:venueId/closed-wallets/:walletId/settle     pay out / void per policy (admins)
// Same tenant rules as the other wallet lifecycle routes; the write is idempotent (Idempotency-Key).
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/connect.js';
import {
  type ClosedWalletSettlement,
  listClosedWallets,
  settleClosedWallet,
} from '../ledger/closed-wallets.js';
import type { AssetAmount } from '../ledger/types.js';
import { principalName, requireAuth } from './auth.js';
import { idempotencyHeaders, idempotentWrite } from './idempotency.js';
import { limitQuery, listLimit } from './list-limit.js';
import { routeVenue } from './route-venue.js';
import { ASSET, assetAmounts, errorSchema, payoutFields, VENUE } from './schemas.js';

/** Wallet ids are bigserial: digits only, within JavaScript's safe integers. */
const WALLET = { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } as const;
const split = { payout: assetAmounts, kept: assetAmounts, voided: assetAmounts } as const;
const closedWallet = {
  type: 'object',
  properties: {
    walletId: { type: 'integer' },
    cardUid: { type: 'string' },
    reissueId: { type: 'string' },
    reissuedAt: { type: 'string' },
    balances: assetAmounts,
    accounts: { type: 'array', items: { type: 'string' } },
    ...split,
    settleable: { type: 'boolean' },
  },
} as const;

export function registerClosedWalletRoutes(app: FastifyInstance, db: Db): void {
  const admins = requireAuth(db, { roles: ['federation_admin', 'venue_admin'] });
  const readers = requireAuth(db, { roles: ['federation_admin', 'venue_admin', 'cashier', 'auditor'] });
  const tags = ['wallets'];

  app.get(
    '/v1/venues/:venueId/closed-wallets',
    {
      preHandler: readers,
      schema: {
        tags,
        summary:
          "Wallets this venue closed by re-issuing their card that hold money again (a former holder's top-up synced late), with what settling would pay out, void or keep",
        params: { type: 'object', properties: { venueId: VENUE } },
        querystring: limitQuery,
        response: {
          200: {
            type: 'object',
            properties: { venueId: { type: 'string' }, wallets: { type: 'array', items: closedWallet } },
          },
          ...errorSchema,
        },
      },
    },
    async (req) => {
      const venue = await routeVenue(db, req, false);
      return { venueId: venue.id, wallets: await listClosedWallets(db, venue, listLimit(req)) };
    },
  );

  app.post(
    '/v1/venues/:venueId/closed-wallets/:walletId/settle',
    {
      preHandler: admins,
      schema: {
        tags,
        summary:
          'Settle a closed wallet like its re-issue: refundable assets paid out (paid refund record), the others voided or kept per venue policy',
        params: { type: 'object', properties: { venueId: VENUE, walletId: WALLET } },
        headers: idempotencyHeaders,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...payoutFields,
            expectedPayout: {
              type: 'array',
              maxItems: 20,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['asset', 'amount'],
                properties: { asset: ASSET, amount: { type: 'integer', minimum: 1, maximum: 1e12 } },
              },
            },
            reason: { type: 'string', maxLength: 500 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              walletId: { type: 'integer' },
              cardUid: { type: 'string' },
              reissueId: { type: 'string' },
              ...split,
              refundId: { type: 'string' },
              payoutMethod: { type: ['string', 'null'] },
              payoutReference: { type: ['string', 'null'] },
              balances: assetAmounts,
              logSeqs: { type: 'array', items: { type: 'integer' } },
            },
          },
          ...errorSchema,
        },
      },
    },
    async (req, reply) => {
      const { venueId, walletId } = req.params as { venueId: string; walletId: string };
      const venue = await routeVenue(db, req, true);
      const body = req.body as {
        payoutMethod?: string;
        payoutReference?: string;
        expectedPayout?: AssetAmount[];
        reason?: string;
      };
      const out: { done?: ClosedWalletSettlement } = {};
      const sent = await idempotentWrite(db, req, reply, venue.id, async (tx, engine) => {
        out.done = await settleClosedWallet(tx, engine, venue, Number(walletId), {
          by: principalName(req.principal!),
          payoutMethod: body.payoutMethod,
          payoutReference: body.payoutReference,
          expectedPayout: body.expectedPayout,
        });
        return { status: 200, body: out.done };
      });
      // Logged once committed (a retried transaction runs the settle again); a replay runs nothing.
      const r = out.done;
      if (r)
        req.log.info(
          {
            venueId,
            walletId: r.walletId,
            refundId: r.refundId,
            payout: r.payout,
            voided: r.voided,
            reason: body.reason,
          },
          'closed wallet settled',
        );
      return sent;
    },
  );
}
