/** Prices a terminal's cart against the point of sale's menu (pure). */
import type { CartLine } from '../types.js';
import type { Product } from '../venue-config.js';

export type Priced =
  | { ok: true; total: number }
  | { ok: false; reason: 'unknown-sku' | 'stale-price' | 'age-check' };

/**
 * The terminal sends the unit price it showed; a price changed since (menu pushed late) is
 * refused rather than silently charged differently. Members may pay either price shown.
 */
export function priceCart(products: Product[], cart: CartLine[], member: boolean): Priced {
  let total = 0;
  for (const line of cart) {
    const p = products.find((x) => x.sku === line.sku);
    if (!p) return { ok: false, reason: 'unknown-sku' };
    if (p.minAge !== undefined && p.minAge > 0) return { ok: false, reason: 'age-check' };
    const unit = member && p.memberPrice !== undefined ? p.memberPrice : p.price;
    if (line.price !== unit && line.price !== p.price) return { ok: false, reason: 'stale-price' };
    total += unit * line.qty;
  }
  return { ok: true, total };
}
