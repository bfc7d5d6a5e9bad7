// Agenda filters added for the 100,000-event figure: distance (bounding box + great-circle
// distance), date ranges that still show long events begun earlier, and bad filters refused.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withBothDatabases } from '../helpers/databases.js';
import { inHours, type TicketingCtx, ticketingContext } from './setup.js';

withBothDatabases('agenda filters', (getDb) => {
  let t: TicketingCtx;
  const titles = async (qs: string) =>
    ((await t.get(null, `/v1/agenda?fed=${t.f.fed}&${qs}`)).json().events as { title: string }[]).map(
      (e) => e.title,
    );
  beforeAll(async () => {
    t = await ticketingContext(getDb());
    const at = (
      title: string,
      latitude: number | null,
      longitude: number | null,
      startsIn: number,
      hours = 3,
    ) =>
      t.createEvent({
        title,
        latitude,
        longitude,
        startsAt: inHours(startsIn),
        endsAt: inHours(startsIn + hours),
      } as never);
    await at('Paris', 48.8566, 2.3522, 24);
    await at('Versailles', 48.8049, 2.1204, 30); // ~18 km from Paris
    await at('Lyon', 45.764, 4.8357, 36); // ~390 km
    await at('Nowhere', null, null, 40);
    await at('Festival', 48.85, 2.35, -24 * 10, 24 * 30); // began 10 days ago, lasts 30 days
    await at('Next month', 48.85, 2.35, 24 * 40);
  });
  afterAll(() => t?.close());

  it('distance: only events within the radius, events without a place left out', async () => {
    expect(await titles('near=48.8566,2.3522&km=10')).toEqual(['Festival', 'Paris', 'Next month']);
    expect(await titles('near=48.8566,2.3522&km=25')).toEqual([
      'Festival',
      'Paris',
      'Versailles',
      'Next month',
    ]);
    expect(await titles('near=48.8566,2.3522&km=500')).toEqual([
      'Festival',
      'Paris',
      'Versailles',
      'Lyon',
      'Next month',
    ]);
    expect(await titles('near=45.76,4.83')).toEqual(['Lyon']);
  });

  it('date range: events overlapping it, including a long one begun before', async () => {
    const from = encodeURIComponent(inHours(20));
    const to = encodeURIComponent(inHours(35));
    expect(await titles(`from=${from}&to=${to}`)).toEqual(['Festival', 'Paris', 'Versailles']);
    expect(await titles(`from=${from}&to=${to}&near=45.76,4.83&km=50`)).toEqual([]);
    expect(await titles(`from=${encodeURIComponent(inHours(24 * 35))}`)).toEqual(['Next month']);
  });

  it('bad filters are refused with a clear error', async () => {
    for (const qs of ['near=91,2', 'near=48.8,200', 'near=abc', 'near=48.8,2.3&km=-5']) {
      const r = await t.get(null, `/v1/agenda?${qs}`);
      expect(r.statusCode, qs).toBe(400);
      expect(r.json().error).toBe('bad-request');
    }
  });
});
