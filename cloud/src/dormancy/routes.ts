// Dormancy over HTTP: the federation admin sets the policy; the holder sees, through the wallet
// link printed on the card (capability URL, see public/wallet-link.ts), the schedule in advance.
import type { FastifyInstance } from 'fastify';
import { requireAuth } from '../api/auth.js';
import { errorSchema } from '../api/schemas.js';
import { type Db, num } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';
import { checkWalletLink } from '../public/wallet-link.js';
import { cycleState } from './job.js';
import { type DormancyPolicy, dormantAt, getDormancyPolicy, schedule, setDormancyPolicy } from './policy.js';

const policyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['inactivityDays', 'reminderDays', 'periodDays', 'ratePercent', 'floor'],
  properties: {
    inactivityDays: { type: 'integer', minimum: 1, maximum: 36500 },
    reminderDays: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: { type: 'integer', minimum: 0, maximum: 36500 },
    },
    periodDays: { type: 'integer', minimum: 1, maximum: 3650 },
    ratePercent: { type: 'integer', minimum: 1, maximum: 100 },
    floor: { type: 'integer', minimum: 0 },
    asset: { type: 'string', pattern: '^[A-Z][A-Z0-9_:-]{0,31}$' },
  },
} as const;

export function registerDormancyRoutes(app: FastifyInstance, db: Db, masterKey: Buffer): void {
  const fedAdmin = requireAuth(db, { roles: ['federation_admin'] });
  const tags = ['dormancy'];

  app.put(
    '/v1/dormancy/policy',
    {
      preHandler: fedAdmin,
      schema: {
        tags,
        summary: 'Set the dormant-wallet policy of the federation',
        body: policyBody,
        response: { ...errorSchema },
      },
    },
    async (req) => {
      const b = req.body as Omit<DormancyPolicy, 'federationId' | 'asset'> & { asset?: string };
      const p: DormancyPolicy = { ...b, asset: b.asset ?? 'EUR', federationId: req.principal!.federationId };
      await setDormancyPolicy(db, p);
      return getDormancyPolicy(db, p.federationId);
    },
  );

  app.get(
    '/v1/dormancy/policy',
    {
      preHandler: requireAuth(db, { roles: ['federation_admin', 'venue_admin', 'cashier', 'auditor'] }),
      schema: { tags },
    },
    async (req) => (await getDormancyPolicy(db, req.principal!.federationId)) ?? { policy: null },
  );

  app.get(
    '/wallet/:uid/:sig/dormancy',
    {
      schema: {
        tags,
        security: [],
        summary: "The holder's dormancy schedule, in advance (wallet link capability)",
        params: {
          type: 'object',
          required: ['uid', 'sig'],
          properties: {
            uid: { type: 'string', pattern: '^[0-9A-Fa-f]{8,20}$' },
            sig: { type: 'string', pattern: '^[0-9a-f]{32}$' },
          },
        },
      },
    },
    async (req) => {
      const { uid, sig } = req.params as { uid: string; sig: string };
      if (!(await checkWalletLink(db, masterKey, uid, sig)))
        throw new LedgerError('not-found', 'unknown wallet link', 404);
      const card = await db.query<{ wallet_id: unknown; federation_id: string }>(
        'SELECT wallet_id, federation_id FROM cards WHERE uid = $1',
        [uid.toUpperCase()],
      );
      const c = card.rows[0];
      if (!c || c.wallet_id === null) throw new LedgerError('not-found', 'unknown wallet link', 404);
      const policy = await getDormancyPolicy(db, c.federation_id);
      if (!policy) return { policy: null, steps: [] };
      const { federationId: _f, ...pub } = policy;
      const state = await cycleState(db, policy, num(c.wallet_id));
      if (!state) return { policy: pub, lastActivity: null, steps: [] };
      return {
        policy: pub,
        asset: policy.asset,
        balance: state.balance,
        lastActivity: new Date(state.lastActivity).toISOString(),
        dormantAt: new Date(dormantAt(policy, state.lastActivity)).toISOString(),
        note: 'Any payment, top-up or refund restarts the inactivity period.',
        steps: state.balance > policy.floor || state.reclaims.length ? schedule(policy, state) : [],
      };
    },
  );
}
