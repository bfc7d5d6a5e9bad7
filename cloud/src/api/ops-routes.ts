// Cashier/admin ledger operations over REST. A cashier transaction is a one-item batch through the
// same code path as the gateway sync (same idempotency, same invariants).
import type { FastifyInstance } from 'fastify';
import { type Db, num } from '../db/connect.js';
import { PostingEngine } from '../ledger/engine.js';
import { refundQuote } from '../ledger/refund.js';
import { settlementReport } from '../ledger/settlement.js';
import { LedgerError } from '../ledger/types.js';
import { requireVenue } from '../ledger/venue.js';
import type { PaymentProvider } from '../payments/provider.js';
import { withRetry } from '../sync/batches.js';
import { processItems, type SyncItem } from '../sync/items.js';
import { assertVenueAccess, requireAuth } from './auth.js';
import { UID, VENUE } from './schemas.js';
import { syncItemSchema } from './sync-routes.js';

export function registerOpsRoutes(app: FastifyInstance, db: Db, _opts: { payments?: PaymentProvider }): void {
  const staff = requireAuth(db, { gateway: true, roles: ['federation_admin', 'venue_admin', 'cashier'] });
  const readers = requireAuth(db, { roles: ['federation_admin', 'venue_admin', 'auditor', 'cashier'] });
  const fedReaders = requireAuth(db, { roles: ['federation_admin', 'auditor'] });
  const venueParams = { type: 'object', properties: { venueId: VENUE } } as const;

  app.post(
    '/v1/venues/:venueId/transactions',
    {
      preHandler: staff,
      schema: {
        tags: ['operations'],
        summary: 'Spend, top-up, void or refund (one item)',
        params: venueParams,
        body: syncItemSchema,
      },
    },
    async (req, reply) => {
      const { venueId } = req.params as { venueId: string };
      await assertVenueAccess(db, req.principal!, venueId);
      const venue = await requireVenue(db, venueId);
      const item = req.body as SyncItem;
      const [result] = await withRetry(() =>
        db.tx(async (tx) => processItems(tx, await PostingEngine.begin(tx), venue, [item])),
      );
      const { seqs: _s, ...pub } = result;
      if (pub.status === 'rejected' && pub.reason === 'idempotency-conflict')
        return reply.code(409).send({ error: 'idempotency-conflict', ...pub });
      return pub;
    },
  );

  app.get(
    '/v1/venues/:venueId/cards/:uid/refund-quote',
    {
      preHandler: staff,
      schema: {
        tags: ['operations'],
        summary: 'What a refund would pay out and keep/void, before confirming',
        params: { type: 'object', properties: { venueId: VENUE, uid: UID } },
      },
    },
    async (req) => {
      const { venueId, uid } = req.params as { venueId: string; uid: string };
      await assertVenueAccess(db, req.principal!, venueId);
      return refundQuote(db, await requireVenue(db, venueId), uid);
    },
  );

  app.get(
    '/v1/settlement',
    {
      preHandler: fedReaders,
      schema: { tags: ['reports'], summary: 'Inter-venue EUR settlement: what each venue owes / is owed' },
    },
    async (req) => settlementReport(db, req.principal!.federationId),
  );

  app.get(
    '/v1/venues/:venueId/cards/:uid',
    {
      preHandler: readers,
      schema: { tags: ['operations'], params: { type: 'object', properties: { venueId: VENUE, uid: UID } } },
    },
    async (req) => {
      const { venueId, uid } = req.params as { venueId: string; uid: string };
      await assertVenueAccess(db, req.principal!, venueId, false);
      const venue = await requireVenue(db, venueId);
      const { rows } = await db.query<{
        blocked: boolean;
        printed_number: string | null;
        asset: string | null;
        balance: unknown;
      }>(
        `SELECT c.blocked, c.printed_number, a.asset, a.balance FROM cards c LEFT JOIN accounts a ON a.wallet_id = c.wallet_id
         WHERE c.uid = $1 AND c.federation_id = $2 ORDER BY a.asset`,
        [uid, venue.federationId],
      );
      if (!rows.length) throw new LedgerError('unknown-card', `card ${uid} unknown`, 404);
      return {
        cardUid: uid,
        printedNumber: rows[0].printed_number,
        blocked: rows[0].blocked,
        balances: rows
          .filter((r) => r.asset !== null)
          .map((r) => ({ asset: r.asset!, amount: num(r.balance) })),
      };
    },
  );
}
