// Time currency → drink vouchers by a venue rule: every `minutes` of TIME a holder hands in gives
// `giftAmount` of the venue's voucher asset (GIFT:<venue> by default), in whole units only, at most
// `capUnits` units per holder in any rolling `periodDays` window. A conversion is ONE operation of
// two transfers (TIME holder → venue:<v>, voucher issuance:<v> → holder), so both land or neither;
// the cap is counted under the log lock every ledger writer holds, so concurrent conversions cannot
// both slip under it.
import { num, type Queryable, type Tx } from '../db/connect.js';
import type { PostingEngine } from './engine.js';
import { positive, post, requireCardWallet, walletBalances } from './lifecycle.js';
import { type AssetAmount, LedgerError } from './types.js';
import { sys, type VenueCtx } from './venue.js';

export const TIME_ASSET = 'TIME';
export const VOUCHER_KIND = 'time-voucher';
const DAY = 86_400_000;

export interface TimeVoucherRule {
  /** Minutes of TIME per unit (60 = one hour). */
  minutes: number;
  /** Amount of `asset` (its minor units) given per unit. */
  giftAmount: number;
  /** The venue's own voucher asset (kind gift or loyalty). */
  asset: string;
  /** Units a holder may convert in any `periodDays` window; null = no cap. */
  capUnits: number | null;
  periodDays: number;
}

/** Validates a rule for this venue (defaults: asset GIFT:<venue>, no cap, 7-day window). */
export function normaliseRule(venue: VenueCtx, raw: Partial<TimeVoucherRule>): TimeVoucherRule {
  const rule: TimeVoucherRule = {
    minutes: raw.minutes as number,
    giftAmount: raw.giftAmount as number,
    asset: raw.asset ?? `GIFT:${venue.id}`,
    capUnits: raw.capUnits ?? null,
    periodDays: raw.periodDays ?? 7,
  };
  const int = (x: unknown, min: number, max: number) =>
    Number.isSafeInteger(x) && (x as number) >= min && (x as number) <= max;
  if (!int(rule.minutes, 1, 24 * 60))
    throw new LedgerError('bad-rule', 'minutes per unit must be an integer from 1 to 1440', 400);
  if (!int(rule.giftAmount, 1, 1_000_000))
    throw new LedgerError('bad-rule', 'giftAmount must be a positive integer (minor units)', 400);
  if (rule.capUnits !== null && !int(rule.capUnits, 1, 10_000))
    throw new LedgerError('bad-rule', 'capUnits must be a positive integer or null', 400);
  if (!int(rule.periodDays, 1, 366))
    throw new LedgerError('bad-rule', 'periodDays must be an integer from 1 to 366', 400);
  const a = venue.assets.get(rule.asset);
  if (!a || a.venueId !== venue.id || (a.kind !== 'gift' && a.kind !== 'loyalty'))
    throw new LedgerError(
      'bad-rule',
      `${rule.asset} is not a voucher asset of ${venue.id} (its own gift or loyalty asset)`,
      400,
    );
  return rule;
}

export async function getRule(q: Queryable, venueId: string): Promise<TimeVoucherRule | null> {
  const { rows } = await q.query<{ rule: TimeVoucherRule | null }>(
    "SELECT policy->'timeVoucher' AS rule FROM venues WHERE id = $1",
    [venueId],
  );
  const r = rows[0]?.rule;
  if (!r) return null;
  return {
    minutes: r.minutes,
    giftAmount: r.giftAmount,
    asset: r.asset,
    capUnits: r.capUnits ?? null,
    periodDays: r.periodDays ?? 7,
  };
}

/** Sets (or with null, removes) the rule: one jsonb key, the rest of the policy untouched. */
export async function setRule(q: Queryable, venue: VenueCtx, rule: TimeVoucherRule | null): Promise<void> {
  if (rule)
    await q.query("UPDATE venues SET policy = jsonb_set(policy, '{timeVoucher}', $2::jsonb) WHERE id = $1", [
      venue.id,
      JSON.stringify(rule),
    ]);
  else await q.query("UPDATE venues SET policy = policy - 'timeVoucher' WHERE id = $1", [venue.id]);
}

export interface ConversionPlan {
  units: number;
  minutes: number;
  amount: number;
}

/** Pure core: whole units only, enough hours, under the cap. Throws a LedgerError otherwise. */
export function planConversion(
  rule: TimeVoucherRule | null,
  minutes: number,
  timeBalance: number,
  usedUnits: number,
): ConversionPlan {
  if (!rule) throw new LedgerError('no-voucher-rule', 'this venue has no time → voucher rule', 409);
  if (!Number.isSafeInteger(minutes) || minutes <= 0)
    throw new LedgerError('bad-amount', 'minutes must be a positive integer', 400);
  if (minutes % rule.minutes !== 0)
    throw new LedgerError(
      'not-whole-units',
      `the rule converts blocks of ${rule.minutes} min: ${minutes} min is not a whole number of blocks`,
      400,
    );
  const units = minutes / rule.minutes;
  if (timeBalance < minutes)
    throw new LedgerError(
      'insufficient-time',
      `the card holds ${timeBalance} min of ${TIME_ASSET}, ${minutes} needed`,
      409,
    );
  if (rule.capUnits !== null && usedUnits + units > rule.capUnits)
    throw new LedgerError(
      'voucher-cap-reached',
      `at most ${rule.capUnits} blocks per ${rule.periodDays} days: ${usedUnits} already converted, ${Math.max(0, rule.capUnits - usedUnits)} left`,
      409,
    );
  return { units, minutes, amount: units * rule.giftAmount };
}

export interface ConversionResult {
  cardUid: string;
  units: number;
  minutes: number;
  asset: string;
  amount: number;
  /** Blocks still convertible in the current window (null: no cap). */
  capRemaining: number | null;
  balances: AssetAmount[];
  logSeqs: number[];
}

export async function convertTime(
  tx: Tx,
  engine: PostingEngine,
  venue: VenueCtx,
  uid: string,
  minutes: number,
  now = Date.now(),
): Promise<ConversionResult> {
  // Re-read under the log lock: a rule changed after the venue context was loaded applies now.
  const rule = await getRule(tx, venue.id);
  if (!rule) throw new LedgerError('no-voucher-rule', `${venue.id} has no time → voucher rule`, 409);
  const card = await requireCardWallet(tx, venue, uid);
  if (card.blocked) throw new LedgerError('card-blocked', `card ${uid} is blocked`, 409);
  const time = (await walletBalances(engine, card.walletId)).find((b) => b.asset === TIME_ASSET)?.amount ?? 0;
  const used = await tx.query<{ u: unknown }>(
    'SELECT coalesce(sum(units), 0) AS u FROM time_voucher_conversions WHERE wallet_id = $1 AND venue_id = $2 AND at > $3',
    [card.walletId, venue.id, now - rule.periodDays * DAY],
  );
  const usedUnits = num(used.rows[0].u);
  const plan = planConversion(rule, minutes, time, usedUnits);
  const w = { wallet: card.walletId };
  const seqs = await post(engine, venue, VOUCHER_KIND, [
    { asset: TIME_ASSET, from: w, to: sys.venue(venue.id), amount: plan.minutes, kind: VOUCHER_KIND },
    { asset: rule.asset, from: sys.issuance(venue.id), to: w, amount: plan.amount, kind: VOUCHER_KIND },
  ]);
  await tx.query(
    `INSERT INTO time_voucher_conversions (venue_id, wallet_id, units, minutes, asset, amount, log_seqs, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [venue.id, card.walletId, plan.units, plan.minutes, rule.asset, plan.amount, JSON.stringify(seqs), now],
  );
  return {
    cardUid: uid,
    units: plan.units,
    minutes: plan.minutes,
    asset: rule.asset,
    amount: plan.amount,
    capRemaining: rule.capUnits === null ? null : rule.capUnits - usedUnits - plan.units,
    balances: positive(await walletBalances(engine, card.walletId)),
    logSeqs: seqs,
  };
}
