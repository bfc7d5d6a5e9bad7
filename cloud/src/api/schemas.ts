// Shared JSON Schema fragments.
export const ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
export const UID = { type: 'string', pattern: '^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$' } as const;
export const VENUE = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,39}$' } as const;
/** How a refund is paid out, and the payment's reference (refund approval, re-issue, closed wallet). */
export const payoutFields = {
  payoutMethod: { type: 'string', enum: ['cash', 'bank-transfer', 'card-refund'] },
  payoutReference: { type: 'string', minLength: 1, maxLength: 200 },
} as const;
/** An asset code: EUR, TIME, or a kind and the venue it belongs to (LOC:bar, GIFT:cafe…). */
export const ASSET = {
  type: 'string',
  pattern: '^(EUR|TIME|(LOC|GIFT|LOYAL|MEMBER):[a-z0-9][a-z0-9-]{0,39})$',
} as const;
export const assetAmounts = {
  type: 'array',
  items: { type: 'object', properties: { asset: { type: 'string' }, amount: { type: 'integer' } } },
} as const;
const error = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;
export const errorSchema = {
  400: error,
  401: error,
  403: error,
  404: error,
  409: error,
  413: error,
} as const;

/** Body of a login by email and password (admins, artists); `extra` adds optional fields. */
export function credentialsBody(extra: Record<string, object> = {}) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password'],
    properties: {
      email: { type: 'string', maxLength: 200 },
      password: { type: 'string', maxLength: 200 },
      ...extra,
    },
  } as const;
}
