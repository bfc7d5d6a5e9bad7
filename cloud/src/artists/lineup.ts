// Line-ups: which artists play which agenda events. A venue's admins set the line-up of their
// events; the agenda shows it and each artist page lists the upcoming public events they play.
import type { Queryable, Tx } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';

export interface LineupArtist {
  id: string;
  name: string;
}

export interface ArtistEvent {
  id: string;
  title: string;
  venueId: string;
  venueName: string;
  startsAt: string;
  timezone: string;
  status: string;
}

export const MAX_LINEUP = 50;

/** Replaces the line-up of an event of `venueId` (order = billing order). */
export async function setLineup(
  tx: Tx,
  venueId: string,
  eventId: string,
  artistIds: string[],
): Promise<LineupArtist[]> {
  const ids = [...new Set(artistIds)];
  if (ids.length > MAX_LINEUP)
    throw new LedgerError('too-many-artists', `at most ${MAX_LINEUP} artists per event`);
  const ev = await tx.query('SELECT 1 FROM ticket_events WHERE id = $1 AND venue_id = $2 FOR UPDATE', [
    eventId,
    venueId,
  ]);
  if (!ev.rows[0]) throw new LedgerError('unknown-event', `unknown event ${eventId} at ${venueId}`, 404);
  // An unverified account (email not confirmed) is unknown here: it cannot be billed publicly.
  const known = await tx.query<{ id: string }>(
    'SELECT id FROM artists WHERE id = ANY($1::text[]) AND email_verified_at IS NOT NULL',
    [ids],
  );
  const missing = ids.filter((id) => !known.rows.some((r) => r.id === id));
  if (missing.length) throw new LedgerError('unknown-artist', `unknown artist ${missing[0]}`, 404);
  await tx.query('DELETE FROM event_artists WHERE event_id = $1', [eventId]);
  for (const [i, id] of ids.entries())
    await tx.query('INSERT INTO event_artists (event_id, artist_id, position) VALUES ($1, $2, $3)', [
      eventId,
      id,
      i,
    ]);
  return (await lineups(tx, [eventId])).get(eventId) ?? [];
}

/** Line-ups of several events at once (agenda pages). */
export async function lineups(q: Queryable, eventIds: string[]): Promise<Map<string, LineupArtist[]>> {
  const out = new Map<string, LineupArtist[]>();
  if (eventIds.length === 0) return out;
  const { rows } = await q.query<{ event_id: string; id: string; name: string }>(
    `SELECT ea.event_id, a.id, a.name FROM event_artists ea JOIN artists a ON a.id = ea.artist_id
     WHERE ea.event_id = ANY($1::text[]) ORDER BY ea.event_id, ea.position, a.name`,
    [eventIds],
  );
  for (const r of rows) {
    const list = out.get(r.event_id) ?? [];
    list.push({ id: r.id, name: r.name });
    out.set(r.event_id, list);
  }
  return out;
}

/** Upcoming public events an artist plays (private events never show). */
export async function upcomingEvents(q: Queryable, artistId: string, limit = 50): Promise<ArtistEvent[]> {
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT e.id, e.title, e.venue_id, v.name AS venue_name, e.starts_at, e.timezone, e.status
     FROM event_artists ea JOIN ticket_events e ON e.id = ea.event_id JOIN venues v ON v.id = e.venue_id
     WHERE ea.artist_id = $1 AND e.visibility = 'public' AND e.ends_at >= now()
     ORDER BY e.starts_at, e.id LIMIT $2`,
    [artistId, limit],
  );
  return rows.map((r) => ({
    id: r.id as string,
    title: r.title as string,
    venueId: r.venue_id as string,
    venueName: r.venue_name as string,
    startsAt: new Date(r.starts_at as string).toISOString(),
    timezone: r.timezone as string,
    status: r.status as string,
  }));
}
