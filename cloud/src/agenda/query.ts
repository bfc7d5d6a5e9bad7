// The federated agenda: public upcoming events of every member venue, filtered by venue, tag,
// federation, date range and distance. Private events never appear here.
import type { Queryable } from '../db/connect.js';
import { type EventView, eventViews } from '../ticketing/events.js';

export interface AgendaFilter {
  venue?: string;
  tag?: string;
  federation?: string;
  /** ISO dates; default from = now. */
  from?: string;
  to?: string;
  limit?: number;
  /** Events within `km` of a point (events without coordinates are left out). */
  near?: { lat: number; lon: number; km: number };
}

const EARTH_KM = 6371;
/** Latitude/longitude box around a point: lets an index narrow before the exact distance. */
export function boundingBox(n: { lat: number; lon: number; km: number }) {
  const dLat = (n.km / EARTH_KM) * (180 / Math.PI);
  const cos = Math.cos((n.lat * Math.PI) / 180);
  const dLon = cos < 1e-6 ? 180 : Math.min(180, dLat / cos);
  return { latMin: n.lat - dLat, latMax: n.lat + dLat, lonMin: n.lon - dLon, lonMax: n.lon + dLon };
}

export const MAX_AGENDA = 200;

/** Length of the longest public event (ms): one step down an index. */
async function longestEvent(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ ms: unknown }>(
    `SELECT coalesce(extract(epoch FROM max(ends_at - starts_at)) * 1000, 0)::float8 AS ms
     FROM ticket_events WHERE visibility = 'public'`,
  );
  return Number(rows[0]?.ms ?? 0);
}

export async function listAgenda(q: Queryable, f: AgendaFilter = {}): Promise<EventView[]> {
  const from = f.from ? new Date(f.from) : new Date();
  const to = f.to ? new Date(f.to) : null;
  // Redundant bound (no event lasts longer than the longest one), passed as a value so that the
  // planner walks the date-ordered index from just before `from`, not from the first event ever.
  const startsAfter = new Date(from.getTime() - (await longestEvent(q)) - 1000);
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT e.id, e.venue_id, v.name AS venue_name, e.title, e.description, e.image_url, e.tags, e.location,
       e.latitude, e.longitude, e.starts_at, e.ends_at, e.timezone, e.capacity, e.sold, e.asset, e.visibility, e.status,
       e.refund_until_hours, e.valid_from, e.valid_until
     FROM ticket_events e JOIN venues v ON v.id = e.venue_id
     WHERE e.visibility = 'public' AND e.ends_at >= $1
       AND e.starts_at >= $14
       AND ($2::timestamptz IS NULL OR e.starts_at < $2)
       AND ($3::text IS NULL OR e.venue_id = $3)
       AND ($4::text IS NULL OR e.tags @> ARRAY[$4::text])
       AND ($5::text IS NULL OR v.federation_id = $5)
       AND ($7::float8 IS NULL OR (e.latitude IS NOT NULL AND e.longitude IS NOT NULL
         AND point(e.longitude, e.latitude) <@ box(point($11::float8, $9::float8), point($12::float8, $10::float8))
         AND 2 * ${EARTH_KM} * asin(sqrt(power(sin(radians(e.latitude - $7) / 2), 2)
           + cos(radians($7)) * cos(radians(e.latitude)) * power(sin(radians(e.longitude - $8) / 2), 2))) <= $13))
     ORDER BY e.starts_at, e.id LIMIT $6`,
    [
      from,
      to,
      f.venue ?? null,
      f.tag ? f.tag.toLowerCase() : null,
      f.federation ?? null,
      Math.min(f.limit ?? MAX_AGENDA, MAX_AGENDA),
      ...(f.near
        ? (({ latMin, latMax, lonMin, lonMax }) => [
            f.near!.lat,
            f.near!.lon,
            latMin,
            latMax,
            lonMin,
            lonMax,
            f.near!.km,
          ])(boundingBox(f.near))
        : [null, null, null, null, null, null, null]),
      startsAfter,
    ],
  );
  return eventViews(q, rows);
}

/** A public event by id (null for private or unknown ones). */
export async function publicEvent(q: Queryable, id: string): Promise<EventView | null> {
  const [e] = await eventViews(
    q,
    (
      await q.query<Record<string, unknown>>(
        `SELECT e.id, e.venue_id, v.name AS venue_name, e.title, e.description, e.image_url, e.tags, e.location,
           e.latitude, e.longitude, e.starts_at, e.ends_at, e.timezone, e.capacity, e.sold, e.asset, e.visibility, e.status,
           e.refund_until_hours, e.valid_from, e.valid_until
         FROM ticket_events e JOIN venues v ON v.id = e.venue_id WHERE e.id = $1 AND e.visibility = 'public'`,
        [id],
      )
    ).rows,
  );
  return e ?? null;
}

/** Venues and tags that have upcoming public events (for the filter form). */
export async function agendaFacets(
  q: Queryable,
  federation?: string,
): Promise<{ venues: { id: string; name: string }[]; tags: string[] }> {
  const v = await q.query<{ id: string; name: string }>(
    `SELECT DISTINCT v.id, v.name FROM ticket_events e JOIN venues v ON v.id = e.venue_id
     WHERE e.visibility = 'public' AND e.ends_at >= now() AND ($1::text IS NULL OR v.federation_id = $1) ORDER BY v.name, v.id`,
    [federation ?? null],
  );
  const t = await q.query<{ tag: string }>(
    `SELECT DISTINCT unnest(e.tags) AS tag FROM ticket_events e JOIN venues v ON v.id = e.venue_id
     WHERE e.visibility = 'public' AND e.ends_at >= now() AND ($1::text IS NULL OR v.federation_id = $1) ORDER BY 1 LIMIT 200`,
    [federation ?? null],
  );
  return { venues: v.rows, tags: t.rows.map((r) => r.tag) };
}
