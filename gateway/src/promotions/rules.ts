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
 * - `partner`: holders of the badge asset `badge` (membership of another venue) get `pct` % off,
 *   optionally only on some categories or products.
 */

export interface Window {
  days: number[];
  from: string;
  to: string;
}

interface RuleBase {
  id: string;
  name: string;
  /** false: kept but not applied. Default true. */
  active?: boolean;
  /** Only at these points of sale (ids); absent = everywhere. */
  pos?: string[];
  /** Where the rule was defined: the cloud's rules are replaced by each config download, local ones stay. */
  source?: 'cloud' | 'local';
}

export interface HistoryRule extends RuleBase {
  kind: 'history';
  bought: string;
  times: number;
  days: number;
  target: string;
  pct: number;
}

export interface HappyHourRule extends RuleBase {
  kind: 'happy-hour';
  windows: Window[];
  prices?: { sku: string; price: number }[];
  categories?: { category: string; pct: number }[];
}

export interface PartnerRule extends RuleBase {
  kind: 'partner';
  badge: string;
  pct: number;
  categories?: string[];
  skus?: string[];
}

export type PromotionRule = HistoryRule | HappyHourRule | PartnerRule;

const id = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' } as const;
const sku = { type: 'string', minLength: 1, maxLength: 64 } as const;
// Percentages are rounded to basis points by the engine (no multipleOf: 0.07 / 0.01 is not an integer in floats).
const pct = { type: 'number', exclusiveMinimum: 0, maximum: 100 } as const;
const hhmm = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' } as const;
const common = {
  id,
  name: { type: 'string', minLength: 1, maxLength: 80 },
  active: { type: 'boolean' },
  pos: { type: 'array', maxItems: 50, items: id },
  source: { enum: ['cloud', 'local'] },
} as const;

const HISTORY = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'kind', 'bought', 'times', 'days', 'target', 'pct'],
  properties: {
    ...common,
    kind: { const: 'history' },
    bought: sku,
    times: { type: 'integer', minimum: 1, maximum: 1000 },
    days: { type: 'integer', minimum: 1, maximum: 366 },
    target: sku,
    pct,
  },
} as const;
const HAPPY_HOUR = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'kind', 'windows'],
  anyOf: [{ required: ['prices'] }, { required: ['categories'] }],
  properties: {
    ...common,
    kind: { const: 'happy-hour' },
    windows: {
      type: 'array',
      minItems: 1,
      maxItems: 28,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['days', 'from', 'to'],
        properties: {
          days: {
            type: 'array',
            minItems: 1,
            maxItems: 7,
            uniqueItems: true,
            items: { type: 'integer', minimum: 1, maximum: 7 },
          },
          from: hhmm,
          to: hhmm,
        },
      },
    },
    prices: {
      type: 'array',
      maxItems: 200,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['sku', 'price'],
        properties: { sku, price: { type: 'integer', minimum: 0, maximum: 100000000 } },
      },
    },
    categories: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['category', 'pct'],
        properties: { category: { type: 'string', minLength: 1, maxLength: 40 }, pct },
      },
    },
  },
} as const;
const PARTNER = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'kind', 'badge', 'pct'],
  properties: {
    ...common,
    kind: { const: 'partner' },
    badge: { type: 'string', minLength: 1, maxLength: 64 },
    pct,
    categories: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 40 } },
    skus: { type: 'array', maxItems: 200, items: sku },
  },
} as const;

const when = (kind: string, then: object) => ({ if: { properties: { kind: { const: kind } } }, then });

/**
 * JSON schema of one rule (fastify/ajv). Branches by `kind` with if/then rather than oneOf:
 * fastify's ajv removes additional properties, and oneOf would strip them while trying the
 * wrong branches. The cloud keeps a copy (cloud/src/promotions/rule-schema.ts).
 */
export const RULE_SCHEMA = {
  type: 'object',
  required: ['id', 'name', 'kind'],
  properties: { kind: { enum: ['history', 'happy-hour', 'partner'] } },
  allOf: [when('history', HISTORY), when('happy-hour', HAPPY_HOUR), when('partner', PARTNER)],
} as const;

/** What JSON schema cannot say: a window must not be empty. */
export function ruleProblem(r: PromotionRule): string | undefined {
  if (r.kind === 'happy-hour')
    for (const w of r.windows) if (w.from === w.to) return `window ${w.from}-${w.to} is empty`;
  return undefined;
}

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
      return text(r.badge) && percent(r.pct) && texts(r.categories) && texts(r.skus);
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
