// Promotion rules per venue: read, write, and the part of the gateway's config download they make.
import type { Db, Queryable } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';
import { type PromotionRule, ruleProblem } from './rule-schema.js';

export const MAX_RULES = 200;

export interface PromotionsDoc {
  promotions: PromotionRule[];
  timeZone?: string;
}

export function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export async function listRules(q: Queryable, venueId: string): Promise<PromotionRule[]> {
  const { rows } = await q.query<{ rule: PromotionRule | string }>(
    'SELECT rule FROM promotion_rules WHERE venue_id = $1 ORDER BY id',
    [venueId],
  );
  return rows.map((r) => (typeof r.rule === 'string' ? (JSON.parse(r.rule) as PromotionRule) : r.rule));
}

/** Skus a rule names that no point of sale of the venue sells. */
function unknownSkus(rule: PromotionRule, pointsOfSale: unknown[]): string[] {
  const skus = new Set(
    pointsOfSale.flatMap((p) =>
      Array.isArray((p as { products?: unknown }).products)
        ? ((p as { products: { sku?: unknown }[] }).products
            .map((x) => x.sku)
            .filter((s) => typeof s === 'string') as string[])
        : [],
    ),
  );
  const named =
    rule.kind === 'history'
      ? [rule.bought, rule.target]
      : rule.kind === 'happy-hour'
        ? (rule.prices ?? []).map((p) => p.sku)
        : (rule.skus ?? []);
  return named.filter((s) => !skus.has(s));
}

/** Creates or replaces a rule; returns whether it was new. Refused rules change nothing. */
export async function putRule(
  q: Db,
  venue: { id: string; pointsOfSale: unknown[] },
  rule: PromotionRule,
  by: string,
): Promise<{ created: boolean }> {
  const problem = ruleProblem(rule);
  if (problem) throw new LedgerError('bad-rule', problem, 400);
  const unknown = unknownSkus(rule, venue.pointsOfSale);
  if (unknown.length > 0)
    throw new LedgerError('unknown-sku', `unknown products: ${unknown.join(', ')}`, 400);
  const { source: _source, ...stored } = rule;
  return q.tx(async (tx) => {
    // Serialises writers of one venue, so the rule count cannot be overrun by concurrent requests.
    await tx.query('SELECT id FROM venues WHERE id = $1 FOR UPDATE', [venue.id]);
    const { rows } = await tx.query<{ n: string; here: boolean }>(
      'SELECT count(*)::text AS n, bool_or(id = $2) AS here FROM promotion_rules WHERE venue_id = $1',
      [venue.id, rule.id],
    );
    const here = rows[0]?.here === true;
    if (!here && Number(rows[0]?.n ?? 0) >= MAX_RULES)
      throw new LedgerError('too-many', `at most ${MAX_RULES} promotion rules per venue`, 409);
    await tx.query(
      `INSERT INTO promotion_rules (venue_id, id, rule, updated_by, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (venue_id, id) DO UPDATE SET rule = excluded.rule, updated_by = excluded.updated_by, updated_at = now()`,
      [venue.id, rule.id, JSON.stringify(stored), by],
    );
    return { created: !here };
  });
}

export async function deleteRule(q: Queryable, venueId: string, id: string): Promise<void> {
  const r = await q.query('DELETE FROM promotion_rules WHERE venue_id = $1 AND id = $2', [venueId, id]);
  if (r.count === 0) throw new LedgerError('unknown-rule', `no promotion ${id}`, 404);
}

export async function setTimeZone(q: Queryable, venueId: string, timeZone: string): Promise<void> {
  if (!validTimeZone(timeZone)) throw new LedgerError('bad-time-zone', `unknown time zone ${timeZone}`, 400);
  await q.query(
    `INSERT INTO promotion_settings (venue_id, time_zone) VALUES ($1, $2)
     ON CONFLICT (venue_id) DO UPDATE SET time_zone = excluded.time_zone, updated_at = now()`,
    [venueId, timeZone],
  );
}

/** What the venue's gateway gets in its config download. */
export async function promotionsDoc(q: Queryable, venueId: string): Promise<PromotionsDoc> {
  const promotions = await listRules(q, venueId);
  const { rows } = await q.query<{ time_zone: string }>(
    'SELECT time_zone FROM promotion_settings WHERE venue_id = $1',
    [venueId],
  );
  return rows[0] ? { promotions, timeZone: rows[0].time_zone } : { promotions };
}
