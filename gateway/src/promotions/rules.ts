/**
 * Promotion rules: what a venue defines (in the cloud, or on the gateway's admin screen when
 * offline) and the gateway applies at payment time. Amounts are integer minor units; a
 * percentage is a number with at most two decimals (12.5 = 12.5 %).
 *
 * - `history`: bought `bought` at least `times` times (units, summed over past sales at this
 *   venue) in the last `days` days → `pct` % off `target`.
 * - `happy-hour`: during its windows (ISO weekday 1 = Monday … 7 = Sunday, local time of the
 *   venue, `from` inclusive, `to` exclusive; `to` ≤ `from` crosses midnight and belongs to the
 *   day it starts on), a fixed price per product and/or a % off per category.
 * - `partner`: holders of a valid membership of another venue, named by its product (`product`)
 *   or its badge asset (`badge`), get `pct` % off, optionally only on some categories or products.
 *   The membership periods decide (the cloud ships them, see membership-cache.ts), not the badge
 *   balance; a badge the cloud names no membership for is read from the card's balance.
 */

// One definition, the cloud's (it stores the rules and checks them on its routes); the gateway
// applies them and checks the ones it receives.
export {
  type HappyHourRule,
  type HistoryRule,
  type PartnerRule,
  type PromotionRule,
  partnerKey,
  RULE_SCHEMA,
  ruleProblem,
  type Window,
} from '@tibillet/cloud/promotion-rules';

import type { PromotionRule } from '@tibillet/cloud/promotion-rules';

const HHMM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
const text = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 80;
const percent = (v: unknown) => typeof v === 'number' && v > 0 && v <= 100;
const int = (v: unknown, min: number, max: number) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const texts = (v: unknown) => v === undefined || (Array.isArray(v) && v.every(text));

/**
 * The shape the engine relies on, for rules that did not come through a route's schema (a config
 * document from the cloud, a saved config): a rule failing it is left out rather than break taps.
 */
export function isRule(x: unknown): x is PromotionRule {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  if (!text(r.id) || !text(r.name) || !texts(r.pos)) return false;
  if (r.active !== undefined && typeof r.active !== 'boolean') return false;
  switch (r.kind) {
    case 'history':
      return (
        text(r.bought) && text(r.target) && int(r.times, 1, 1000) && int(r.days, 1, 366) && percent(r.pct)
      );
    case 'partner':
      return (
        (r.badge === undefined || text(r.badge)) &&
        (r.product === undefined || text(r.product)) &&
        (r.badge !== undefined || r.product !== undefined) &&
        percent(r.pct) &&
        texts(r.categories) &&
        texts(r.skus)
      );
    case 'happy-hour':
      return (
        Array.isArray(r.windows) &&
        r.windows.length > 0 &&
        r.windows.every(
          (w: { days?: unknown; from?: unknown; to?: unknown }) =>
            Array.isArray(w?.days) &&
            w.days.every((d) => int(d, 1, 7)) &&
            typeof w.from === 'string' &&
            HHMM.test(w.from) &&
            typeof w.to === 'string' &&
            HHMM.test(w.to),
        ) &&
        (r.prices === undefined ||
          (Array.isArray(r.prices) &&
            r.prices.every(
              (p: { sku?: unknown; price?: unknown }) => text(p?.sku) && int(p?.price, 0, 1e8),
            ))) &&
        (r.categories === undefined ||
          (Array.isArray(r.categories) &&
            r.categories.every(
              (c: { category?: unknown; pct?: unknown }) => text(c?.category) && percent(c?.pct),
            )))
      );
    default:
      return false;
  }
}
