// Membership periods and status (pure). The one rule every place applies (cloud orders, holder
// pages, the gateway's door and tills, through the validFrom/validUntil the cloud hands out):
// a member at time t  ⇔  validFrom <= t < validUntil.
export type MembershipState = 'valid' | 'expired' | 'none';

export interface PeriodSpan {
  startsAt: number;
  expiresAt: number;
}

export interface MembershipStatus {
  state: MembershipState;
  /** valid: start of the current run of back-to-back periods; expired: of the last run. */
  validFrom: number | null;
  validUntil: number | null;
}

/** UTC calendar months later, the day clamped to the month's end (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const day = d.getUTCDate();
  const t = new Date(ms);
  t.setUTCDate(1);
  t.setUTCMonth(t.getUTCMonth() + months);
  const last = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
  t.setUTCDate(Math.min(day, last));
  return t.getTime();
}

/**
 * Merges periods into runs (a renewal starts exactly at the old expiry) and says where `now` is.
 * Periods starting in the future only (never the case for a purchase) count as none yet.
 */
export function statusAt(periods: PeriodSpan[], now: number): MembershipStatus {
  const sorted = [...periods].sort((a, b) => a.startsAt - b.startsAt);
  const runs: PeriodSpan[] = [];
  for (const p of sorted) {
    const last = runs[runs.length - 1];
    if (last && p.startsAt <= last.expiresAt) last.expiresAt = Math.max(last.expiresAt, p.expiresAt);
    else runs.push({ ...p });
  }
  const cur = runs.find((r) => r.startsAt <= now && now < r.expiresAt);
  if (cur) return { state: 'valid', validFrom: cur.startsAt, validUntil: cur.expiresAt };
  const past = runs.filter((r) => r.expiresAt <= now).pop();
  if (past) return { state: 'expired', validFrom: past.startsAt, validUntil: past.expiresAt };
  return { state: 'none', validFrom: null, validUntil: null };
}

/**
 * The next period of a product for a wallet: a renewal while the membership runs extends from the
 * old expiry; after it lapsed the new period starts now. Renewing is possible once the current
 * period has less than one duration left (a second click does not buy a third year).
 */
export function nextPeriod(
  currentExpiry: number | null,
  now: number,
  months: number,
): { startsAt: number; expiresAt: number; renewal: boolean } | { tooEarly: true; expiresAt: number } {
  if (currentExpiry !== null && currentExpiry > now) {
    if (currentExpiry > addMonths(now, months)) return { tooEarly: true, expiresAt: currentExpiry };
    return { startsAt: currentExpiry, expiresAt: addMonths(currentExpiry, months), renewal: true };
  }
  return { startsAt: now, expiresAt: addMonths(now, months), renewal: false };
}

/** Refusal codes when a membership is required and missing. */
export function refusalFor(s: MembershipStatus): 'membership-required' | 'membership-expired' | null {
  return s.state === 'valid' ? null : s.state === 'expired' ? 'membership-expired' : 'membership-required';
}
