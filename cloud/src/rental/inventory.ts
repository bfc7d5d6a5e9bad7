// Fleet inventory: the federation's terminals, their status and location, and the wipe-at-next-boot
// flag set when a rental ends.
import type { Queryable } from '../db/connect.js';
import type { FleetStatus } from '../db/schema.js';
import { isUniqueViolation, RentalError } from './errors.js';

export interface FleetDevice {
  deviceId: string;
  board: string;
  serial: string;
  firmwareVersion: string;
  status: FleetStatus;
  location: string;
  kitId: string | null;
  wipePending: boolean;
}

export interface NewFleetDevice {
  deviceId: string;
  board: string;
  serial: string;
  firmwareVersion: string;
  location?: string;
  kitId?: string | null;
  status?: 'available' | 'repair';
}

interface Row {
  id: string;
  federation_id: string;
  board: string;
  serial: string;
  firmware_version: string;
  status: FleetStatus;
  location: string;
  kit_id: string | null;
  wipe_pending: boolean;
}

export const FLEET_COLUMNS =
  'id, federation_id, board, serial, firmware_version, status, location, kit_id, wipe_pending';

export const toDevice = (r: Row): FleetDevice => ({
  deviceId: r.id,
  board: r.board,
  serial: r.serial,
  firmwareVersion: r.firmware_version,
  status: r.status,
  location: r.location,
  kitId: r.kit_id,
  wipePending: r.wipe_pending,
});

async function assertKit(
  q: Queryable,
  federationId: string,
  kitId: string | null | undefined,
): Promise<void> {
  if (!kitId) return;
  const { rows } = await q.query('SELECT 1 FROM rental_kits WHERE id = $1 AND federation_id = $2', [
    kitId,
    federationId,
  ]);
  if (!rows[0]) throw new RentalError('unknown-kit', `no kit ${kitId}`, 404);
}

export async function addDevice(q: Queryable, federationId: string, d: NewFleetDevice): Promise<FleetDevice> {
  await assertKit(q, federationId, d.kitId);
  try {
    const { rows } = await q.query<Row>(
      `INSERT INTO fleet_devices (id, federation_id, board, serial, firmware_version, status, location, kit_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${FLEET_COLUMNS}`,
      [
        d.deviceId,
        federationId,
        d.board,
        d.serial,
        d.firmwareVersion,
        d.status ?? 'available',
        d.location ?? 'warehouse',
        d.kitId ?? null,
      ],
    );
    return toDevice(rows[0]);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const dup = await q.query<{ id: string }>('SELECT id FROM fleet_devices WHERE id = $1', [d.deviceId]);
    if (dup.rows[0])
      throw new RentalError('device-exists', `device ${d.deviceId} is already in the inventory`, 409);
    throw new RentalError('serial-exists', `serial number ${d.serial} is already in the inventory`, 409);
  }
}

export async function getDevice(
  q: Queryable,
  federationId: string,
  deviceId: string,
  lock = false,
): Promise<FleetDevice> {
  const { rows } = await q.query<Row>(
    `SELECT ${FLEET_COLUMNS} FROM fleet_devices WHERE id = $1 AND federation_id = $2${lock ? ' FOR UPDATE' : ''}`,
    [deviceId, federationId],
  );
  if (!rows[0]) throw new RentalError('unknown-device', `no device ${deviceId} in the inventory`, 404);
  return toDevice(rows[0]);
}

export async function listDevices(
  q: Queryable,
  federationId: string,
  filter: { status?: FleetStatus; kitId?: string; board?: string } = {},
): Promise<FleetDevice[]> {
  const { rows } = await q.query<Row>(
    `SELECT ${FLEET_COLUMNS} FROM fleet_devices
     WHERE federation_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR kit_id = $3)
       AND ($4::text IS NULL OR board = $4)
     ORDER BY id`,
    [federationId, filter.status ?? null, filter.kitId ?? null, filter.board ?? null],
  );
  return rows.map(toDevice);
}

export interface DevicePatch {
  status?: 'available' | 'repair' | 'retired';
  location?: string;
  firmwareVersion?: string;
  kitId?: string | null;
}

/**
 * Manual changes by the fleet manager. `rented` is only ever set by a checkout and left by a
 * return; a device held by a future booking can neither be retired nor moved to another kit.
 */
export async function updateDevice(
  q: Queryable,
  federationId: string,
  deviceId: string,
  patch: DevicePatch,
): Promise<FleetDevice> {
  const cur = await getDevice(q, federationId, deviceId, true);
  if (cur.status === 'rented' && (patch.status !== undefined || patch.kitId !== undefined))
    throw new RentalError('device-rented', `device ${deviceId} is out on a rental: return it first`, 409);
  if (patch.kitId !== undefined) await assertKit(q, federationId, patch.kitId);
  if (patch.status === 'retired' || (patch.kitId !== undefined && patch.kitId !== cur.kitId)) {
    const held = await q.query<{ booking_id: string; p: string }>(
      `SELECT a.booking_id, a.period::text AS p FROM rental_allocations a JOIN rental_bookings b ON b.id = a.booking_id
       WHERE a.device_id = $1 AND a.active AND b.status = 'booked' ORDER BY lower(a.period) LIMIT 3`,
      [deviceId],
    );
    if (held.rows[0])
      throw new RentalError(
        'device-booked',
        `device ${deviceId} is held by booking(s) ${held.rows.map((r) => r.booking_id).join(', ')}: cancel them first`,
        409,
      );
  }
  const { rows } = await q.query<Row>(
    `UPDATE fleet_devices SET status = coalesce($3, status), location = coalesce($4, location),
       firmware_version = coalesce($5, firmware_version), kit_id = CASE WHEN $6 THEN $7 ELSE kit_id END, updated_at = now()
     WHERE id = $1 AND federation_id = $2 RETURNING ${FLEET_COLUMNS}`,
    [
      deviceId,
      federationId,
      patch.status ?? null,
      patch.location ?? null,
      patch.firmwareVersion ?? null,
      patch.kitId !== undefined,
      patch.kitId ?? null,
    ],
  );
  return toDevice(rows[0]);
}

/** What a terminal (through its gateway or the flash tool) must do at boot. */
export async function bootInstructions(
  q: Queryable,
  deviceId: string,
): Promise<{ deviceId: string; wipe: boolean; revoked: boolean; venueId: string | null }> {
  const { rows } = await q.query<{
    wipe_pending: boolean | null;
    venue_id: string | null;
    revoked: boolean | null;
  }>(
    `SELECT f.wipe_pending, d.venue_id, d.revoked_at IS NOT NULL AS revoked
     FROM (SELECT $1::text AS id) x LEFT JOIN fleet_devices f ON f.id = x.id LEFT JOIN devices d ON d.id = x.id`,
    [deviceId],
  );
  const r = rows[0];
  if (r.wipe_pending === null && r.venue_id === null)
    throw new RentalError('unknown-device', `no device ${deviceId}`, 404);
  return {
    deviceId,
    wipe: r.wipe_pending === true,
    revoked: r.revoked === true,
    venueId: r.revoked ? null : r.venue_id,
  };
}

/** The terminal erased its storage: it may be rented again. */
export async function acknowledgeWipe(
  q: Queryable,
  federationId: string,
  deviceId: string,
): Promise<FleetDevice> {
  const { rows } = await q.query<Row>(
    `UPDATE fleet_devices SET wipe_pending = false, updated_at = now() WHERE id = $1 AND federation_id = $2 RETURNING ${FLEET_COLUMNS}`,
    [deviceId, federationId],
  );
  if (!rows[0]) throw new RentalError('unknown-device', `no device ${deviceId} in the inventory`, 404);
  return toDevice(rows[0]);
}
