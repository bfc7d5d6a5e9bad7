/**
 * The JSON schema of the lines a cashier rings up, shared by POS orders and room tabs (a tab is a
 * POS order that grows), so both refuse the same carts.
 */

/** `extra`: fields a line may carry besides these (the room's seat); they are checked before the note. */
export const orderLinesSchema = (extra: Record<string, object> = {}) => ({
  type: 'array',
  minItems: 1,
  maxItems: 100,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['sku', 'qty', 'price'],
    properties: {
      sku: { type: 'string', minLength: 1, maxLength: 64 },
      qty: { type: 'integer', minimum: 1, maximum: 999 },
      price: { type: 'integer', minimum: 0, maximum: 100000000 },
      ...extra,
      note: { type: 'string', maxLength: 120 },
    },
  },
});
