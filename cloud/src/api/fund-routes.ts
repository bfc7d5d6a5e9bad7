// The cooperative fund over HTTP (federation scope, no venue tenant):
//   POST /v1/fund/disbursements   federation admin: fund → venue transfer, Idempotency-Key required
//   GET  /v1/fund                 federation admin / auditor: balance, in (dormant reclaims), out
//                                 (disbursements) per asset, latest disbursements with their log seq
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/connect.js';
import { DISBURSEMENT_PURPOSES, type DisbursementRequest, disburse, fundReport } from '../ledger/fund.js';
import { requireAuth } from './auth.js';
import { idempotencyHeaders, idempotentWrite } from './idempotency.js';
import { limitQuery, listLimit } from './list-limit.js';
import { errorSchema, VENUE } from './schemas.js';

const disbursementView = {
  type: 'object',
  properties: {
    disbursementId: { type: 'string' },
    venueId: { type: 'string' },
    asset: { type: 'string' },
    amount: { type: 'integer' },
    purpose: { type: 'string' },
    memo: { type: 'string' },
    logSeq: { type: 'integer' },
    fundBalance: { type: 'integer' },
    at: { type: 'string' },
  },
} as const;

export function registerFundRoutes(app: FastifyInstance, db: Db): void {
  const fedAdmin = requireAuth(db, { roles: ['federation_admin'] });
  const fedReaders = requireAuth(db, { roles: ['federation_admin', 'auditor'] });
  const tags = ['fund'];

  app.post(
    '/v1/fund/disbursements',
    {
      preHandler: fedAdmin,
      schema: {
        tags,
        summary:
          'Disburse from the cooperative fund to a member venue or a venue joining the network (a logged transfer)',
        headers: idempotencyHeaders,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['venueId', 'amount', 'purpose', 'memo'],
          properties: {
            venueId: VENUE,
            amount: { type: 'integer', minimum: 1, maximum: 1_000_000_000_00 },
            asset: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{0,31}$' },
            purpose: { type: 'string', enum: [...DISBURSEMENT_PURPOSES] },
            /** Kept in the fund report only, never in the public log. */
            memo: { type: 'string', minLength: 1, maxLength: 500 },
          },
        },
        response: { 201: disbursementView, ...errorSchema },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      const b = req.body as Omit<DisbursementRequest, 'by' | 'asset'> & { asset?: string };
      const by = p.type === 'user' ? p.userId : p.gatewayId;
      req.log.info({ venueId: b.venueId, amount: b.amount, purpose: b.purpose }, 'fund disbursement');
      return idempotentWrite(db, req, reply, `fund:${p.federationId}`, async (tx, engine) => ({
        status: 201,
        body: await disburse(tx, engine, p.federationId, { ...b, asset: b.asset ?? 'EUR', by }),
      }));
    },
  );

  app.get(
    '/v1/fund',
    {
      preHandler: fedReaders,
      schema: {
        tags,
        summary: 'Cooperative fund report: balance, reclaimed in, disbursed out, latest disbursements',
        querystring: limitQuery,
        response: {
          200: {
            type: 'object',
            properties: {
              federationId: { type: 'string' },
              assets: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    asset: { type: 'string' },
                    account: { type: ['string', 'null'] },
                    balance: { type: 'integer' },
                    reclaimedIn: { type: 'integer' },
                    disbursedOut: { type: 'integer' },
                    other: { type: 'integer' },
                  },
                },
              },
              disbursements: { type: 'array', items: disbursementView },
            },
          },
          ...errorSchema,
        },
      },
    },
    async (req) => fundReport(db, req.principal!.federationId, listLimit(req)),
  );
}
