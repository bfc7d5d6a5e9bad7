// The cooperative fund: dormant reclaims flow in (dormancy/job.ts), disbursements to member venues
// and to venues joining the network flow out, each one transfer `fund:<federation>` → `venue:<v>`
// of kind `fund-disbursement`, hence one public log entry. The venue account is the one the
// inter-venue settlement pays out, so a disbursement reaches the venue at the next settlement. The
// fund is an ordinary (non-negative) system account: the engine refuses an overdraft. Purpose and
// memo stay in `fund_disbursements`, never in the log.
import { randomUUID } from 'node:crypto';
import { num, type Queryable, type Tx } from '../db/connect.js';
import { fundAccount } from '../dormancy/job.js';
import type { PostingEngine } from './engine.js';
import { LedgerError } from './types.js';
import { sys } from './venue.js';

export const DISBURSEMENT_KIND = 'fund-disbursement';
export const DISBURSEMENT_PURPOSES = ['member-venue', 'new-venue'] as const;
export type DisbursementPurpose = (typeof DISBURSEMENT_PURPOSES)[number];

export interface DisbursementRequest {
  venueId: string;
  asset: string;
  amount: number;
  purpose: DisbursementPurpose;
  memo: string;
  by: string;
}

export interface Disbursement {
  disbursementId: string;
  venueId: string;
  asset: string;
  amount: number;
  purpose: DisbursementPurpose;
  memo: string;
  logSeq: number;
  /** Fund balance of the asset after this disbursement. */
  fundBalance: number;
  at: string;
}

export async function disburse(
  tx: Tx,
  engine: PostingEngine,
  federationId: string,
  r: DisbursementRequest,
): Promise<Disbursement> {
  if (!Number.isSafeInteger(r.amount) || r.amount <= 0)
    throw new LedgerError('bad-amount', 'amount must be a positive integer (minor units)', 400);
  // Tenant isolation: a venue of another federation is reported exactly like a missing one.
  const v = await tx.query<{ id: string }>('SELECT id FROM venues WHERE id = $1 AND federation_id = $2', [
    r.venueId,
    federationId,
  ]);
  if (!v.rows[0]) throw new LedgerError('unknown-venue', `unknown venue ${r.venueId}`, 404);
  const a = await tx.query<{ code: string }>(
    'SELECT code FROM assets WHERE federation_id = $1 AND code = $2 AND venue_id IS NULL',
    [federationId, r.asset],
  );
  if (!a.rows[0])
    throw new LedgerError('unknown-asset', `${r.asset} is not a federation-wide asset of the fund`, 400);
  const at = Date.now();
  const fund = fundAccount(federationId);
  const [res] = await engine.apply([
    {
      id: `fd-${randomUUID()}`,
      venueId: r.venueId,
      kind: DISBURSEMENT_KIND,
      bodyHash: Buffer.alloc(32),
      at,
      postings: [
        { asset: r.asset, from: fund, to: sys.venue(r.venueId), amount: r.amount, kind: DISBURSEMENT_KIND },
      ],
    },
  ]);
  if (res.status !== 'applied')
    throw res.reason === 'insufficient-funds'
      ? new LedgerError(
          'insufficient-funds',
          `the cooperative fund holds ${await fundBalance(tx, federationId, r.asset)} ${r.asset}, less than ${r.amount}`,
          409,
        )
      : new LedgerError(res.reason ?? 'rejected', res.detail ?? 'disbursement refused', 409);
  const logSeq = res.seqs![0];
  const id = randomUUID();
  await tx.query(
    `INSERT INTO fund_disbursements (id, federation_id, venue_id, asset, amount, purpose, memo, log_seq, by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [id, federationId, r.venueId, r.asset, r.amount, r.purpose, r.memo, logSeq, r.by],
  );
  return {
    disbursementId: id,
    venueId: r.venueId,
    asset: r.asset,
    amount: r.amount,
    purpose: r.purpose,
    memo: r.memo,
    logSeq,
    fundBalance: await fundBalance(tx, federationId, r.asset),
    at: new Date(at).toISOString(),
  };
}

async function fundBalance(q: Queryable, federationId: string, asset: string): Promise<number> {
  const { rows } = await q.query<{ balance: unknown }>(
    'SELECT balance FROM accounts WHERE system = $1 AND asset = $2',
    [fundAccount(federationId).system, asset],
  );
  return rows[0] ? num(rows[0].balance) : 0;
}

export interface FundAssetReport {
  asset: string;
  /** Log account id of the fund (`a<id>`), to find its entries in the public log. */
  account: string | null;
  balance: number;
  reclaimedIn: number;
  disbursedOut: number;
  /** balance − (in − out): any movement neither a reclaim nor a disbursement (0 when consistent). */
  other: number;
}

export interface FundReport {
  federationId: string;
  assets: FundAssetReport[];
  disbursements: Omit<Disbursement, 'fundBalance'>[];
}

/**
 * In/out/balance per asset and the latest disbursements. Totals come from the reclaim and
 * disbursement records (no scan of the transfers table); `other` shows any mismatch with the
 * account balance, which the ledger itself keeps.
 */
export async function fundReport(q: Queryable, federationId: string, limit = 100): Promise<FundReport> {
  const acc = await q.query<{ id: unknown; asset: string; balance: unknown }>(
    'SELECT id, asset, balance FROM accounts WHERE system = $1 ORDER BY asset',
    [fundAccount(federationId).system],
  );
  const ins = await q.query<{ asset: string; total: unknown }>(
    `SELECT e.asset, sum(e.amount) AS total FROM dormancy_events e JOIN wallets w ON w.id = e.wallet_id
     WHERE e.kind = 'reclaim' AND w.federation_id = $1 GROUP BY e.asset`,
    [federationId],
  );
  const outs = await q.query<{ asset: string; total: unknown }>(
    'SELECT asset, sum(amount) AS total FROM fund_disbursements WHERE federation_id = $1 GROUP BY asset',
    [federationId],
  );
  const list = await q.query<Record<string, unknown>>(
    `SELECT id, venue_id, asset, amount, purpose, memo, log_seq, created_at FROM fund_disbursements
     WHERE federation_id = $1 ORDER BY created_at DESC, log_seq DESC LIMIT $2`,
    [federationId, limit],
  );
  const byAsset = new Map<string, FundAssetReport>();
  const line = (asset: string) => {
    let l = byAsset.get(asset);
    if (!l) {
      l = { asset, account: null, balance: 0, reclaimedIn: 0, disbursedOut: 0, other: 0 };
      byAsset.set(asset, l);
    }
    return l;
  };
  for (const r of acc.rows)
    Object.assign(line(r.asset), { account: `a${num(r.id)}`, balance: num(r.balance) });
  for (const r of ins.rows) if (r.asset) line(r.asset).reclaimedIn = num(r.total);
  for (const r of outs.rows) line(r.asset).disbursedOut = num(r.total);
  for (const l of byAsset.values()) l.other = l.balance - (l.reclaimedIn - l.disbursedOut);
  return {
    federationId,
    assets: [...byAsset.values()].sort((x, y) => (x.asset < y.asset ? -1 : 1)),
    disbursements: list.rows.map((r) => ({
      disbursementId: r.id as string,
      venueId: r.venue_id as string,
      asset: r.asset as string,
      amount: num(r.amount),
      purpose: r.purpose as DisbursementPurpose,
      memo: r.memo as string,
      logSeq: num(r.log_seq),
      at: new Date(r.created_at as string | Date).toISOString(),
    })),
  };
}
