/**
 * Promotion rules as the cloud stores them and ships them to gateways (GET /v1/sync/config,
 * `promotions`). The gateway applies them at payment time (gateway/src/promotions/) and takes
 * these types and this schema from here (`@tibillet/cloud/promotion-rules`): one definition.
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

/**
 * Holders of a valid membership of another venue get `pct` % off. The membership is named by its
 * product (`product`: a membership product id of the federation) or by its badge asset (`badge`:
 * every membership product carrying that badge); `product` wins when both are given. Either way
 * the gateway checks the holder's membership periods (cancelled or expired ones do not count),
 * not the badge balance; a `badge` no membership product carries is read from the card's balance.
 */
export interface PartnerRule extends RuleBase {
  kind: 'partner';
  badge?: string;
  product?: string;
  pct: number;
  categories?: string[];
  skus?: string[];
}

export type PromotionRule = HistoryRule | HappyHourRule | PartnerRule;

/** The membership a partner rule names, as the cloud ships its periods: `product:<id>`, else the badge. */
export function partnerKey(r: Pick<PartnerRule, 'badge' | 'product'>): string {
  return r.product !== undefined ? `product:${r.product}` : (r.badge ?? '');
}

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
  required: ['id', 'name', 'kind', 'pct'],
  anyOf: [{ required: ['badge'] }, { required: ['product'] }],
  properties: {
    ...common,
    kind: { const: 'partner' },
    badge: { type: 'string', minLength: 1, maxLength: 64 },
    product: { type: 'string', minLength: 1, maxLength: 64 },
    pct,
    categories: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 40 } },
    skus: { type: 'array', maxItems: 200, items: sku },
  },
} as const;

const when = (kind: string, then: object) => ({ if: { properties: { kind: { const: kind } } }, then });

/**
 * JSON schema of one rule (fastify/ajv). Branches by `kind` with if/then rather than oneOf:
 * fastify's ajv removes additional properties, and oneOf would strip them while trying the
 * wrong branches.
 */
export const RULE_SCHEMA = {
  type: 'object',
  required: ['id', 'name', 'kind'],
  properties: { kind: { enum: ['history', 'happy-hour', 'partner'] } },
  allOf: [when('history', HISTORY), when('happy-hour', HAPPY_HOUR), when('partner', PARTNER)],
} as const;

/** What JSON schema cannot say: a window must not be empty. */
export function ruleProblem(r: PromotionRule): string | undefined {
  // the gateway records what a member price took off a POS order under this id
  if (r.id === 'member-price') return 'the rule id member-price is reserved (member prices)';
  if (r.kind === 'happy-hour')
    for (const w of r.windows) if (w.from === w.to) return `window ${w.from}-${w.to} is empty`;
  return undefined;
}
