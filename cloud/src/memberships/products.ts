// Membership products: created by a venue's admins (scope 'venue') or a federation admin (scope
// 'federation': a member at every venue). Creating one makes sure its badge asset exists.
import { randomUUID } from 'node:crypto';
import { num, type Queryable, type Tx } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';
import type { VenueCtx } from '../ledger/venue.js';
import { type Bracket, checkPricing } from './pricing.js';
import type { PricingKind } from './schema.js';

export interface ProductInput {
  name: string;
  description?: string;
  scope: 'venue' | 'federation';
  pricing: PricingKind;
  price?: number;
  minPrice?: number;
  brackets?: Bracket[];
  asset?: string;
  durationMonths?: number;
  reminderDays?: number[];
  /** Badge asset code (MEMBER:<slug>); default MEMBER:<venue> or MEMBER:<federation>. */
  badgeAsset?: string;
}

export interface Product {
  id: string;
  federationId: string;
  venueId: string;
  scope: 'venue' | 'federation';
  name: string;
  description: string;
  pricing: PricingKind;
  price: number;
  minPrice: number;
  brackets: Bracket[] | null;
  asset: string;
  badgeAsset: string;
  durationMonths: number;
  reminderDays: number[];
  active: boolean;
}

export function productFromRow(r: Record<string, unknown>): Product {
  return {
    id: r.id as string,
    federationId: r.federation_id as string,
    venueId: r.venue_id as string,
    scope: r.scope as 'venue' | 'federation',
    name: r.name as string,
    description: r.description as string,
    pricing: r.pricing as PricingKind,
    price: num(r.price),
    minPrice: num(r.min_price),
    brackets: (r.brackets as Bracket[] | null) ?? null,
    asset: r.asset as string,
    badgeAsset: r.badge_asset as string,
    durationMonths: num(r.duration_months),
    reminderDays: (r.reminder_days as number[]) ?? [],
    active: num(r.active) === 1,
  };
}

export async function createProduct(tx: Tx, venue: VenueCtx, input: ProductInput): Promise<Product> {
  const p = {
    pricing: input.pricing,
    price: input.price ?? 0,
    minPrice: input.minPrice ?? 0,
    brackets: input.pricing === 'sliding' ? (input.brackets ?? []) : null,
  };
  checkPricing(p);
  const asset = input.asset ?? 'EUR';
  if (!venue.assets.has(asset))
    throw new LedgerError('unknown-asset', `asset ${asset} is not usable at ${venue.id}`, 400);
  const badge = input.badgeAsset ?? `MEMBER:${input.scope === 'federation' ? venue.federationId : venue.id}`;
  if (!/^MEMBER:[a-z0-9][a-z0-9-]{0,39}$/.test(badge))
    throw new LedgerError('bad-badge', `badge asset must look like MEMBER:<slug>, got ${badge}`, 400);
  const existing = await tx.query<{ kind: string; venue_id: string | null }>(
    'SELECT kind, venue_id FROM assets WHERE federation_id = $1 AND code = $2',
    [venue.federationId, badge],
  );
  if (existing.rows[0] && existing.rows[0].kind !== 'membership')
    throw new LedgerError('bad-badge', `${badge} exists and is not a membership asset`, 409);
  if (!existing.rows[0]) {
    await tx.query(
      "INSERT INTO assets (federation_id, code, kind, refundable, venue_id) VALUES ($1, $2, 'membership', false, $3)",
      [venue.federationId, badge, input.scope === 'federation' ? null : venue.id],
    );
    // Gateways list the venue's assets in their config.
    await tx.query('UPDATE venues SET config_version = config_version + 1 WHERE federation_id = $1', [
      venue.federationId,
    ]);
  }
  const id = randomUUID();
  const { rows } = await tx.query<Record<string, unknown>>(
    `INSERT INTO membership_products (id, federation_id, venue_id, scope, name, description, pricing, price, min_price,
       brackets, asset, badge_asset, duration_months, reminder_days)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
    [
      id,
      venue.federationId,
      venue.id,
      input.scope,
      input.name,
      input.description ?? '',
      p.pricing,
      p.price,
      p.minPrice,
      p.brackets === null ? null : JSON.stringify(p.brackets),
      asset,
      badge,
      input.durationMonths ?? 12,
      JSON.stringify(input.reminderDays ?? [30, 7]),
    ],
  );
  return productFromRow(rows[0]);
}

export async function requireProduct(q: Queryable, productId: string): Promise<Product> {
  const { rows } = await q.query<Record<string, unknown>>('SELECT * FROM membership_products WHERE id = $1', [
    productId,
  ]);
  if (!rows[0]) throw new LedgerError('unknown-product', `no membership product ${productId}`, 404);
  return productFromRow(rows[0]);
}

/** Products on sale at a venue: its own and its federation's. */
export async function productsAt(
  q: Queryable,
  venue: Pick<VenueCtx, 'id' | 'federationId'>,
): Promise<Product[]> {
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT * FROM membership_products WHERE active = 1 AND federation_id = $1 AND (scope = 'federation' OR venue_id = $2)
     ORDER BY created_at, id`,
    [venue.federationId, venue.id],
  );
  return rows.map(productFromRow);
}
