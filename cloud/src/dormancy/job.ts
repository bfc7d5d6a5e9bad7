// The dormancy job: `runDormancy(db, now)` sends due reminders and, once a wallet is dormant,
// moves one period's share of its balance to the federation's cooperative fund (a transfer like any
// other, hence a log entry) and queues a notice. Idempotent per period: the (wallet, cycle, kind,
// step) row in dormancy_events is inserted in the same transaction as the transfer, so running the
// job twice for one period reclaims once. Each wallet is handled in its own transaction holding the
// log lock, and its last activity is re-read under it: a spend racing the job either lands before
// (new cycle, nothing reclaimed) or after (normal spend on the reduced balance).
//
// Money is never taken silently: wallets without a contact email are not reclaimed, and a
// reclaim needs a reminder sent by an earlier run.
import { randomUUID } from 'node:crypto';
import { type Db, num, type Tx } from '../db/connect.js';
import { PostingEngine } from '../ledger/engine.js';
import { LedgerError } from '../ledger/types.js';
import { withRetry } from '../sync/batches.js';
import {
  type CycleState,
  cumulativeTarget,
  currentPeriod,
  type DormancyPolicy,
  dormantAt,
  periodStart,
  policyFromRow,
  reclaimedIn,
  reminderAt,
  schedule,
} from './policy.js';

export const RECLAIM_KIND = 'dormancy-reclaim';
export const fundAccount = (federationId: string) => ({ system: `fund:${federationId}` });

export interface DormancyRunResult {
  reminders: number;
  reclaims: { walletId: number; step: number; amount: number; logSeqs: number[] }[];
  skippedNoContact: number;
}

/** Last activity (epoch ms) of a wallet: its latest transfer that is not a dormancy reclaim. */
export async function lastActivity(q: Tx | Db, walletId: number): Promise<number | null> {
  const { rows } = await q.query<{ last: unknown }>(
    `SELECT max(t.at) AS last FROM accounts a
       JOIN LATERAL (
         SELECT at FROM transfers WHERE debit = a.id AND kind <> $2
         UNION ALL SELECT at FROM transfers WHERE credit = a.id AND kind <> $2
       ) t ON true
     WHERE a.wallet_id = $1`,
    [walletId, RECLAIM_KIND],
  );
  return rows[0]?.last === null || rows[0]?.last === undefined ? null : num(rows[0].last);
}

/** The current cycle of a wallet (null when it never moved money). */
export async function cycleState(
  q: Tx | Db,
  p: DormancyPolicy,
  walletId: number,
  knownLast?: number | null,
): Promise<CycleState | null> {
  const last = knownLast === undefined ? await lastActivity(q, walletId) : knownLast;
  if (last === null) return null;
  const bal = await q.query<{ balance: unknown }>(
    'SELECT balance FROM accounts WHERE wallet_id = $1 AND asset = $2',
    [walletId, p.asset],
  );
  const ev = await q.query<{ kind: string; step: number; amount: unknown }>(
    'SELECT kind, step, amount FROM dormancy_events WHERE wallet_id = $1 AND since = $2 ORDER BY step',
    [walletId, last],
  );
  return {
    lastActivity: last,
    balance: bal.rows[0] ? num(bal.rows[0].balance) : 0,
    remindersSent: ev.rows.filter((e) => e.kind === 'reminder').map((e) => num(e.step)),
    reclaims: ev.rows
      .filter((e) => e.kind === 'reclaim')
      .map((e) => ({ step: num(e.step), amount: num(e.amount) })),
  };
}

const euros = (minor: number, asset: string): string => `${(minor / 100).toFixed(2)} ${asset}`;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function scheduleText(p: DormancyPolicy, c: CycleState): string {
  return schedule(p, c)
    .filter((s) => s.kind === 'reclaim' && !s.done)
    .slice(0, 12)
    .map(
      (s) =>
        `  ${s.at.slice(0, 10)}: ${euros(s.amount!, p.asset)} to the cooperative fund, ${euros(s.balanceAfter!, p.asset)} left`,
    )
    .join('\n');
}

async function queueEmail(
  tx: Tx,
  to: string,
  subject: string,
  body: string,
  kind: string,
  walletId: number,
): Promise<void> {
  await tx.query(
    'INSERT INTO email_outbox (to_address, subject, body, kind, wallet_id) VALUES ($1, $2, $3, $4, $5)',
    [to, subject, body, kind, walletId],
  );
}

export async function runDormancy(db: Db, now: number = Date.now()): Promise<DormancyRunResult> {
  const out: DormancyRunResult = { reminders: 0, reclaims: [], skippedNoContact: 0 };
  const policies = (
    await db.query<Record<string, unknown>>('SELECT * FROM dormancy_policies ORDER BY federation_id')
  ).rows.map(policyFromRow);
  for (const p of policies) {
    const earliestReminder = Math.max(...p.reminderDays) * 86_400_000;
    // Candidates (wallets holding more than the floor) with their last activity, in one statement:
    // two scans of transfers per federation and run, not one per wallet. The log head read in the
    // same snapshot lets processWallet check, under the log lock, only transfers written since.
    const { rows } = await db.query<{
      wallet_id: unknown;
      email: string | null;
      last: unknown;
      head: unknown;
    }>(
      `WITH cand AS (
         SELECT w.id AS wallet_id, pe.email FROM wallets w
           JOIN accounts a ON a.wallet_id = w.id AND a.asset = $2
           LEFT JOIN people pe ON pe.id = w.person_id
         WHERE w.federation_id = $1 AND w.merged_into IS NULL AND a.balance > $3),
       acc AS (SELECT a.id, a.wallet_id FROM accounts a JOIN cand c ON c.wallet_id = a.wallet_id),
       act AS (
         SELECT acc.wallet_id, max(x.at) AS last FROM (
           SELECT t.debit AS account, t.at FROM transfers t WHERE t.kind <> $4 AND t.debit IN (SELECT id FROM acc)
           UNION ALL
           SELECT t.credit, t.at FROM transfers t WHERE t.kind <> $4 AND t.credit IN (SELECT id FROM acc)
         ) x JOIN acc ON acc.id = x.account GROUP BY acc.wallet_id)
       SELECT c.wallet_id, c.email, act.last, (SELECT seq FROM log_head WHERE id = 1) AS head
       FROM cand c LEFT JOIN act ON act.wallet_id = c.wallet_id ORDER BY c.wallet_id`,
      [p.federationId, p.asset, p.floor, RECLAIM_KIND],
    );
    for (const r of rows) {
      const walletId = num(r.wallet_id);
      if (!r.email) {
        out.skippedNoContact++;
        continue;
      }
      if (r.last === null) continue;
      const last = num(r.last);
      if (now < dormantAt(p, last) - earliestReminder) continue;
      const head = r.head === null ? 0 : num(r.head);
      await withRetry(() => db.tx((tx) => processWallet(tx, p, walletId, r.email!, last, head, now, out)));
    }
  }
  return out;
}

async function processWallet(
  tx: Tx,
  p: DormancyPolicy,
  walletId: number,
  email: string,
  last: number,
  scannedSeq: number,
  now: number,
  out: DormancyRunResult,
): Promise<void> {
  const engine = await PostingEngine.begin(tx);
  // Activity since the scan (a spend racing the job): not dormant; the next run starts a new cycle.
  const recent = await tx.query(
    `SELECT 1 FROM transfers t JOIN accounts a ON a.id = t.debit OR a.id = t.credit
     WHERE t.id > $2 AND a.wallet_id = $1 AND t.kind <> $3 LIMIT 1`,
    [walletId, scannedSeq, RECLAIM_KIND],
  );
  if (recent.rows.length) return;
  const c = await cycleState(tx, p, walletId, last);
  if (!c || c.balance <= p.floor) return;
  const since = c.lastActivity;

  // Reminders: record every due one; one email for the latest (older ones are stale).
  const due = p.reminderDays
    .map((_d, i) => i)
    .filter((i) => reminderAt(p, since, i) <= now && !c.remindersSent.includes(i));
  let newReminder = false;
  for (const i of due) {
    const ins = await tx.query(
      `INSERT INTO dormancy_events (wallet_id, since, kind, step, at) VALUES ($1, $2, 'reminder', $3, $4)
       ON CONFLICT DO NOTHING RETURNING id`,
      [walletId, since, i, now],
    );
    if (ins.rows.length) {
      newReminder = true;
      c.remindersSent.push(i);
    }
  }
  if (newReminder) {
    out.reminders++;
    const d = dormantAt(p, since);
    await queueEmail(
      tx,
      email,
      `Your TiBillet wallet: ${euros(c.balance, p.asset)} unused since ${day(since)}`,
      [
        `Your wallet holds ${euros(c.balance, p.asset)} and has not been used since ${day(since)}.`,
        d > now
          ? `From ${day(d)}, if it is still unused, part of it will return to the cooperative fund every ${p.periodDays} days:`
          : `It is now dormant; part of it will return to the cooperative fund every ${p.periodDays} days:`,
        scheduleText(p, c),
        `${euros(p.floor, p.asset)} always stays on your wallet. Any payment, top-up or refund stops this.`,
      ].join('\n'),
      'dormancy-reminder',
      walletId,
    );
  }

  // Reclaim for the current period, once, and only after a reminder from an earlier run.
  const k = currentPeriod(p, since, now);
  if (k < 0 || c.reclaims.some((r) => r.step === k)) return;
  const remindedBefore = await tx.query(
    "SELECT 1 FROM dormancy_events WHERE wallet_id = $1 AND since = $2 AND kind = 'reminder' AND at < $3 LIMIT 1",
    [walletId, since, now],
  );
  if (!remindedBefore.rows.length) return;
  const reclaimed = reclaimedIn(c);
  const b0 = c.balance + reclaimed;
  const amount = Math.min(cumulativeTarget(p, b0, k) - reclaimed, c.balance - p.floor);
  const ins = await tx.query(
    `INSERT INTO dormancy_events (wallet_id, since, kind, step, asset, amount, at) VALUES ($1, $2, 'reclaim', $3, $4, $5, $6)
     ON CONFLICT DO NOTHING RETURNING id`,
    [walletId, since, k, p.asset, Math.max(0, amount), now],
  );
  if (!ins.rows.length || amount <= 0) return;
  const [res] = await engine.apply([
    {
      id: `dm-${randomUUID()}`,
      venueId: null,
      kind: RECLAIM_KIND,
      bodyHash: Buffer.alloc(32),
      at: now,
      postings: [
        {
          asset: p.asset,
          from: { wallet: walletId },
          to: fundAccount(p.federationId),
          amount,
          kind: RECLAIM_KIND,
        },
      ],
    },
  ]);
  if (res.status !== 'applied')
    throw new LedgerError(res.reason ?? 'rejected', res.detail ?? 'dormancy reclaim refused', 409);
  const seqs = res.seqs ?? [];
  await tx.query('UPDATE dormancy_events SET log_seqs = $2 WHERE id = $1', [
    num(ins.rows[0] && (ins.rows[0] as { id: unknown }).id),
    JSON.stringify(seqs),
  ]);
  out.reclaims.push({ walletId, step: k, amount, logSeqs: seqs });
  const after: CycleState = {
    ...c,
    balance: c.balance - amount,
    reclaims: [...c.reclaims, { step: k, amount }],
  };
  const next = scheduleText(p, after);
  await queueEmail(
    tx,
    email,
    `Your TiBillet wallet: ${euros(amount, p.asset)} returned to the cooperative fund`,
    [
      `Your wallet has not been used since ${day(since)}. Today ${euros(amount, p.asset)} moved to the cooperative fund`,
      `(public log entry #${seqs.join(', #')}). ${euros(after.balance, p.asset)} remain on your wallet.`,
      next
        ? `Next steps if it stays unused:\n${next}`
        : 'Nothing more will be moved: the rest stays on your wallet.',
      `Any payment, top-up or refund stops this. Next period starts ${day(periodStart(p, since, k + 1))}.`,
    ].join('\n'),
    'dormancy-notice',
    walletId,
  );
}
