// Dormant-wallet policy and schedule. Pure functions: given a policy, a wallet's last activity and
// balance, and what was already reclaimed in this cycle, they say when reminders go out, when each
// reclaim period starts and how much it takes. The job (job.ts) and the holder's preview
// (routes.ts) use the same functions, so what the holder is shown is what will happen.
//
// Rules (docs in the issue, "Dormant wallets"):
// - dormantAt = lastActivity + inactivityDays. Reminders go out reminderDays before it.
// - Reclaim period k (0, 1, 2, ...) starts at dormantAt + k × periodDays. After period k the
//   cumulative amount reclaimed in the cycle is min(B0 − floor, ceil(B0 × ratePercent × (k+1) / 100)),
//   B0 = the balance when the cycle's reclaiming started. A missed run catches up in the next one,
//   never more than that cumulative target; the balance never goes below the floor.
// - Any activity (a transfer of the wallet other than a reclaim) starts a new cycle.
import { num, type Queryable } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';

export const DAY_MS = 86_400_000;

export interface DormancyPolicy {
  federationId: string;
  inactivityDays: number;
  reminderDays: number[];
  periodDays: number;
  ratePercent: number;
  floor: number;
  asset: string;
}

export async function setDormancyPolicy(q: Queryable, p: DormancyPolicy): Promise<void> {
  const reminders = [...new Set(p.reminderDays)].sort((a, b) => b - a);
  if (!reminders.length) throw new LedgerError('bad-policy', 'at least one reminder is required', 400);
  if (reminders.some((d) => !Number.isInteger(d) || d < 0 || d >= p.inactivityDays))
    throw new LedgerError('bad-policy', 'reminder days must be integers in [0, inactivityDays)', 400);
  for (const [k, v] of Object.entries({
    inactivityDays: p.inactivityDays,
    periodDays: p.periodDays,
    ratePercent: p.ratePercent,
  }))
    if (!Number.isInteger(v) || v <= 0)
      throw new LedgerError('bad-policy', `${k} must be a positive integer`, 400);
  if (p.ratePercent > 100) throw new LedgerError('bad-policy', 'ratePercent must be ≤ 100', 400);
  if (!Number.isSafeInteger(p.floor) || p.floor < 0)
    throw new LedgerError('bad-policy', 'floor must be a non-negative integer', 400);
  await q.query(
    `INSERT INTO dormancy_policies (federation_id, inactivity_days, reminder_days, period_days, rate_percent, floor, asset)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (federation_id) DO UPDATE SET inactivity_days = EXCLUDED.inactivity_days, reminder_days = EXCLUDED.reminder_days,
       period_days = EXCLUDED.period_days, rate_percent = EXCLUDED.rate_percent, floor = EXCLUDED.floor, asset = EXCLUDED.asset`,
    [
      p.federationId,
      p.inactivityDays,
      JSON.stringify(reminders),
      p.periodDays,
      p.ratePercent,
      p.floor,
      p.asset,
    ],
  );
}

export async function getDormancyPolicy(q: Queryable, federationId: string): Promise<DormancyPolicy | null> {
  const { rows } = await q.query<Record<string, unknown>>(
    'SELECT * FROM dormancy_policies WHERE federation_id = $1',
    [federationId],
  );
  return rows[0] ? policyFromRow(rows[0]) : null;
}

export function policyFromRow(r: Record<string, unknown>): DormancyPolicy {
  return {
    federationId: r.federation_id as string,
    inactivityDays: num(r.inactivity_days),
    reminderDays: (r.reminder_days as number[]).map(Number).sort((a, b) => b - a),
    periodDays: num(r.period_days),
    ratePercent: num(r.rate_percent),
    floor: num(r.floor),
    asset: r.asset as string,
  };
}

export const dormantAt = (p: DormancyPolicy, lastActivity: number): number =>
  lastActivity + p.inactivityDays * DAY_MS;
export const reminderAt = (p: DormancyPolicy, lastActivity: number, i: number): number =>
  dormantAt(p, lastActivity) - p.reminderDays[i] * DAY_MS;
export const periodStart = (p: DormancyPolicy, lastActivity: number, k: number): number =>
  dormantAt(p, lastActivity) + k * p.periodDays * DAY_MS;

/** The reclaim period `now` falls in, or -1 before dormancy. */
export function currentPeriod(p: DormancyPolicy, lastActivity: number, now: number): number {
  const d = dormantAt(p, lastActivity);
  return now < d ? -1 : Math.floor((now - d) / (p.periodDays * DAY_MS));
}

/** Cumulative amount reclaimed after period k for a cycle that started with balance b0. */
export function cumulativeTarget(p: DormancyPolicy, b0: number, k: number): number {
  const max = Math.max(0, b0 - p.floor);
  return Math.min(max, Math.ceil((b0 * p.ratePercent * (k + 1)) / 100));
}

export interface ScheduleStep {
  kind: 'reminder' | 'reclaim';
  /** ISO time. */
  at: string;
  /** Reclaim: amount moved to the cooperative fund, and the balance left after it. */
  amount?: number;
  balanceAfter?: number;
  done: boolean;
}

export interface CycleState {
  lastActivity: number;
  balance: number;
  remindersSent: number[];
  reclaims: { step: number; amount: number }[];
}

export const reclaimedIn = (c: CycleState): number => c.reclaims.reduce((s, r) => s + r.amount, 0);

/**
 * The cycle's steps, past (done) and future, assuming no activity from now on: reminders, then
 * every reclaim period until the floor is reached.
 */
export function schedule(p: DormancyPolicy, c: CycleState): ScheduleStep[] {
  const out: ScheduleStep[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();
  p.reminderDays.forEach((_d, i) => {
    out.push({
      kind: 'reminder',
      at: iso(reminderAt(p, c.lastActivity, i)),
      done: c.remindersSent.includes(i),
    });
  });
  const reclaimed = reclaimedIn(c);
  const b0 = c.balance + reclaimed;
  let running = b0;
  for (const r of [...c.reclaims].sort((x, y) => x.step - y.step)) {
    running -= r.amount;
    out.push({
      kind: 'reclaim',
      at: iso(periodStart(p, c.lastActivity, r.step)),
      amount: r.amount,
      balanceAfter: running,
      done: true,
    });
  }
  let done = reclaimed;
  const first = c.reclaims.length ? Math.max(...c.reclaims.map((r) => r.step)) + 1 : 0;
  for (let k = first; k < first + 10_000; k++) {
    const amount = cumulativeTarget(p, b0, k) - done;
    if (amount <= 0) break;
    done += amount;
    out.push({
      kind: 'reclaim',
      at: iso(periodStart(p, c.lastActivity, k)),
      amount,
      balanceAfter: b0 - done,
      done: false,
    });
  }
  return out;
}
