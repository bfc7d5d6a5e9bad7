// Rental catalog: kits (a box of terminals with its accessories) with a price per day and a deposit.
import type { Queryable } from '../db/connect.js';
import { num } from '../db/connect.js';
import { isUniqueViolation, RentalError } from './errors.js';

export interface Kit {
  kitId: string;
  federationId: string;
  name: string;
  description: string;
  currency: string;
  pricePerDay: number;
  deposit: number;
  active: boolean;
  /** Devices in the kit that can be rented (not retired). */
  devices: number;
}

interface Row {
  id: string;
  federation_id: string;
  name: string;
  description: string;
  currency: string;
  price_per_day: unknown;
  deposit: unknown;
  active: boolean;
  devices: unknown;
}

const SELECT = `SELECT k.id, k.federation_id, k.name, k.description, k.currency, k.price_per_day, k.deposit, k.active,
  (SELECT count(*) FROM fleet_devices f WHERE f.kit_id = k.id AND f.status <> 'retired') AS devices FROM rental_kits k`;

const toKit = (r: Row): Kit => ({
  kitId: r.id,
  federationId: r.federation_id,
  name: r.name,
  description: r.description,
  currency: r.currency,
  pricePerDay: num(r.price_per_day),
  deposit: num(r.deposit),
  active: r.active,
  devices: num(r.devices),
});

export interface NewKit {
  kitId: string;
  name: string;
  description?: string;
  currency?: string;
  pricePerDay: number;
  deposit: number;
}

export async function addKit(q: Queryable, federationId: string, k: NewKit): Promise<Kit> {
  try {
    await q.query(
      'INSERT INTO rental_kits (id, federation_id, name, description, currency, price_per_day, deposit) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [k.kitId, federationId, k.name, k.description ?? '', k.currency ?? 'EUR', k.pricePerDay, k.deposit],
    );
  } catch (err) {
    if (isUniqueViolation(err)) throw new RentalError('kit-exists', `kit ${k.kitId} already exists`, 409);
    throw err;
  }
  return getKit(q, federationId, k.kitId);
}

export async function getKit(
  q: Queryable,
  federationId: string | null,
  kitId: string,
  lock = false,
): Promise<Kit> {
  const { rows } = await q.query<Row>(`${SELECT} WHERE k.id = $1${lock ? ' FOR UPDATE OF k' : ''}`, [kitId]);
  const r = rows[0];
  if (!r || (federationId !== null && r.federation_id !== federationId))
    throw new RentalError('unknown-kit', `no kit ${kitId}`, 404);
  return toKit(r);
}

export async function listKits(
  q: Queryable,
  federationId: string,
  opts: { activeOnly?: boolean } = {},
): Promise<Kit[]> {
  const { rows } = await q.query<Row>(
    `${SELECT} WHERE k.federation_id = $1 AND (k.active OR NOT $2) ORDER BY k.name, k.id`,
    [federationId, opts.activeOnly ?? false],
  );
  return rows.map(toKit);
}

export interface KitPatch {
  name?: string;
  description?: string;
  pricePerDay?: number;
  deposit?: number;
  active?: boolean;
}

/** Price changes apply to new bookings only: a booking keeps the prices it was made with. */
export async function updateKit(
  q: Queryable,
  federationId: string,
  kitId: string,
  p: KitPatch,
): Promise<Kit> {
  const r = await q.query(
    `UPDATE rental_kits SET name = coalesce($3, name), description = coalesce($4, description),
       price_per_day = coalesce($5, price_per_day), deposit = coalesce($6, deposit), active = coalesce($7, active)
     WHERE id = $1 AND federation_id = $2`,
    [
      kitId,
      federationId,
      p.name ?? null,
      p.description ?? null,
      p.pricePerDay ?? null,
      p.deposit ?? null,
      p.active ?? null,
    ],
  );
  if (!r.count) throw new RentalError('unknown-kit', `no kit ${kitId}`, 404);
  return getKit(q, federationId, kitId);
}
