/**
 * What the admin screen accepts as the membership a partner rule names. Stricter than the shared
 * rule schema (which the cloud's documents also pass): exactly one of `product` or `badge`, an id
 * made of id characters only, so a value typed here is never markup and always matches a key the
 * cloud ships (`product:<id>` or a badge asset).
 */
import type { PromotionRule } from '../promotions/rules.js';

export const PARTNER_KEY_MAX = 64;
/** For the form's pattern attribute too (valid with the `v` flag browsers use for it). */
export const PARTNER_KEY_CHARS = '[A-Za-z0-9_.:\\-]+';
const CHARS = new RegExp(`^${PARTNER_KEY_CHARS}$`);

const FIELDS = { product: 'the membership product', badge: 'the badge' } as const;

/**
 * Why the admin screen refuses this partner rule's product/badge, if it does. `stored` is the rule
 * already saved under that id: re-sending its own unchanged key (the on/off button on a cloud rule,
 * which may name both) is not re-judged.
 */
export function partnerInputProblem(body: unknown, stored?: PromotionRule): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const r = body as Record<string, unknown>;
  if (r.kind !== 'partner') return undefined;
  if (stored?.kind === 'partner' && stored.product === r.product && stored.badge === r.badge)
    return undefined;
  const given = (['product', 'badge'] as const).filter((k) => r[k] !== undefined);
  if (given.length === 2) return 'a partner rule names either a membership product or a badge, not both';
  if (given.length === 0)
    return "a partner rule needs the partner's membership product (product) or its badge (badge)";
  const k = given[0];
  const v = r[k];
  if (typeof v !== 'string') return `${FIELDS[k]} must be text`;
  if (v.trim() === '') return `${FIELDS[k]} is empty`;
  if (v.length > PARTNER_KEY_MAX) return `${FIELDS[k]} is too long (at most ${PARTNER_KEY_MAX} characters)`;
  if (!CHARS.test(v))
    return `${FIELDS[k]} may only hold letters, digits and _ . : - (an id, e.g. MEMBER:cafe)`;
  return undefined;
}
