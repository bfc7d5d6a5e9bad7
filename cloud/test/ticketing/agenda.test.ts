// Public federated agenda: every member venue's upcoming public events, filters, FR/EN, escaping,
// iCal feed and JSON.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { esc } from '../../src/agenda/html.js';
import { pickLang } from '../../src/agenda/i18n.js';
import { withBothDatabases } from '../helpers/databases.js';
import { type EventJson, inHours, type TicketingCtx, ticketingContext } from './setup.js';

const INJECTION = `<script>alert("x")</script><img src=x onerror=alert(1)> & 'quotes'`;

it('picks the language from ?lang=, then Accept-Language q-values, else French', () => {
  expect(pickLang('en', 'fr')).toBe('en');
  expect(pickLang(undefined, 'de-DE,en-US;q=0.8,fr;q=0.5')).toBe('en');
  expect(pickLang(undefined, 'en;q=0.3,fr-CA;q=0.9')).toBe('fr');
  expect(pickLang(undefined, 'de')).toBe('fr');
  expect(pickLang('xx', undefined)).toBe('fr');
  expect(esc(`<a href="x" onclick='y'>&\``)).toBe(
    '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;',
  );
});

withBothDatabases('federated agenda', (getDb) => {
  let t: TicketingCtx;
  let jazz: EventJson;
  let theatre: EventJson;
  let evil: EventJson;
  let secret: EventJson;
  let past: EventJson;
  beforeAll(async () => {
    t = await ticketingContext(getDb());
    jazz = await t.createEvent({ title: 'Jazz au bar', tags: ['jazz', 'music'], startsAt: inHours(24) });
    theatre = await t.createEvent(
      { title: 'Théâtre au café', tags: ['theatre'], startsAt: inHours(30), location: 'Salle 2' },
      t.f.cafe,
    );
    evil = await t.createEvent({
      title: INJECTION,
      description: `Line one\n${INJECTION}`,
      location: INJECTION,
      tags: ['x"onmouseover=alert(1)'.replace('"', '')],
      startsAt: inHours(36),
    });
    secret = await t.createEvent({ title: 'Private party', visibility: 'private', startsAt: inHours(20) });
    past = await t.createEvent({ title: 'Yesterday', startsAt: inHours(-30), endsAt: inHours(-26) });
  });
  afterAll(() => t?.close());

  const page = (qs = '', headers: Record<string, string> = {}) => t.get(null, `/agenda${qs}`, headers);

  it('lists upcoming public events of every venue, in date order; private and past events never appear', async () => {
    const r = await page(`?fed=${t.f.fed}`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    const body = r.body;
    expect(body).toContain('Jazz au bar');
    expect(body).toContain('Théâtre au café');
    expect(body.indexOf('Jazz au bar')).toBeLessThan(body.indexOf('Théâtre au café'));
    expect(body).not.toContain('Private party');
    expect(body).not.toContain('Yesterday');
    expect(body).toContain('name="viewport"');
    const json = (await t.get(null, `/v1/agenda?fed=${t.f.fed}`)).json();
    expect(json.events.map((e: { id: string }) => e.id)).toEqual([jazz.id, theatre.id, evil.id]);
    // A private event's page is not public either.
    expect((await t.get(null, `/agenda/events/${secret.id}`)).statusCode).toBe(404);
    expect(past.id).toBeTruthy();
  });

  it('filters by venue and by tag', async () => {
    const byVenue = await page(`?venue=${t.f.cafe}&fed=${t.f.fed}`);
    expect(byVenue.body).toContain('Théâtre au café');
    expect(byVenue.body).not.toContain('Jazz au bar');
    const byTag = await page(`?tag=JAZZ&fed=${t.f.fed}`);
    expect(byTag.body).toContain('Jazz au bar');
    expect(byTag.body).not.toContain('Théâtre au café');
    const json = (await t.get(null, `/v1/agenda?tag=theatre&fed=${t.f.fed}`)).json();
    expect(json.events.map((e: { id: string }) => e.id)).toEqual([theatre.id]);
    expect((await page('?venue=<script>')).statusCode).toBe(400);
  });

  it('speaks French or English (Accept-Language, ?lang=)', async () => {
    const fr = await page(`?fed=${t.f.fed}`, { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.5' });
    expect(fr.body).toContain('<html lang="fr">');
    expect(fr.body).toContain('Agenda des lieux');
    expect(fr.headers['content-language']).toBe('fr');
    const en = await page(`?fed=${t.f.fed}`, { 'accept-language': 'en-GB,en;q=0.9' });
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain('Venues agenda');
    const forced = await page(`?lang=en&fed=${t.f.fed}`, { 'accept-language': 'fr' });
    expect(forced.body).toContain('Venues agenda');
    // Dates in the event's time zone and the page's language.
    const when = new Intl.DateTimeFormat('en-GB', {
      dateStyle: 'full',
      timeStyle: 'short',
      timeZone: 'Europe/Paris',
    }).format(new Date(Date.parse(inHours(0)) + 24 * 3600_000));
    expect(en.body).toContain(when.split(' at ')[0]);
    const detail = await t.get(null, `/agenda/events/${jazz.id}?lang=fr`);
    expect(detail.body).toContain('Plein tarif');
    expect(detail.body).toContain('15,00');
  });

  it('escapes every event text (no injection through titles, descriptions, places)', async () => {
    for (const url of [`/agenda?fed=${t.f.fed}`, `/agenda/events/${evil.id}`]) {
      const r = await t.get(null, url);
      expect(r.body).not.toContain('<script>alert');
      expect(r.body).not.toContain('<img src=x');
      expect(r.body).toContain(
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#39;quotes&#39;',
      );
      expect(r.body).not.toMatch(/<script/i);
    }
  });

  it('publishes an iCal feed with the same filters', async () => {
    const r = await t.get(null, `/agenda.ics?fed=${t.f.fed}`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/calendar; charset=utf-8');
    const ics = r.body.replace(/\r\n[ \t]/g, '');
    expect(ics.startsWith('BEGIN:VCALENDAR')).toBe(true);
    expect(ics.match(/BEGIN:VEVENT/g)).toHaveLength(3);
    expect(ics).toContain(`UID:${jazz.id}@tibillet`);
    expect(ics).toContain('SUMMARY:Jazz au bar');
    expect(ics).toContain(`/agenda/events/${jazz.id}`);
    expect(ics).not.toContain('Private party');
    const venueOnly = (await t.get(null, `/agenda.ics?venue=${t.f.cafe}`)).body;
    expect(venueOnly.match(/BEGIN:VEVENT/g)).toHaveLength(1);
    expect(venueOnly).toContain('LOCATION:Café\\, Salle 2');
    // Cancelled events stay in the feed as cancelled (calendars update).
    await t.post('cafeAdmin', `/v1/venues/${t.f.cafe}/events/${theatre.id}/cancel`, {});
    const after = (await t.get(null, `/agenda.ics?venue=${t.f.cafe}`)).body;
    expect(after).toContain('STATUS:CANCELLED');
    expect((await page(`?venue=${t.f.cafe}&lang=en`)).body).toContain('Cancelled');
  });
});
