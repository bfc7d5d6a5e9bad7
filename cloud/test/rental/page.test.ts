// The venues' booking page: FR/EN, catalog and calendar, booking through the form, every value
// HTML-escaped (injection strings in kit names, descriptions, form fields and the URL).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withBothDatabases } from '../helpers/databases.js';
import { auth } from '../helpers/fixture.js';
import { book, day, makeKit, PASSWORD, type RentalFixture, rentalFixture } from './helpers.js';

const XSS = `<script>alert("x")</script><img src=x onerror=alert(1)>"'&`;
const ESCAPED =
  '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

withBothDatabases('rental: booking page', (getDb) => {
  let f: RentalFixture;
  let kitId: string;
  beforeAll(async () => {
    f = await rentalFixture(getDb());
    ({ kitId } = await makeKit(f, {
      n: 2,
      pricePerDay: 123456,
      deposit: 50000,
      name: `Kit ${XSS}`,
      description: XSS,
    }));
  });
  afterAll(() => f?.close());

  const page = (query = '', headers: Record<string, string> = {}) =>
    f.app.inject({ url: `/rental/${f.fed}${query}`, headers });
  const submit = (fields: Record<string, string>, lang = 'fr') =>
    f.app.inject({
      method: 'POST',
      url: `/rental/${f.fed}/book?lang=${lang}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form(fields),
    });

  it('renders the catalog in French by default and in English on request, with a strict CSP', async () => {
    const fr = await page();
    expect(fr.statusCode).toBe(200);
    expect(fr.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(fr.headers['content-security-policy']).toContain("default-src 'none'");
    expect(fr.body).toContain('<html lang="fr">');
    expect(fr.body).toContain('Location de terminaux');
    expect(fr.body).toContain('1 234,56 EUR par jour');
    expect(fr.body).toContain('caution 500,00 EUR');
    expect(fr.body).toContain('2 terminaux');
    const en = await page('?lang=en');
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain('EUR 1,234.56 per day');
    expect((await page('', { 'accept-language': 'en-GB,en;q=0.9' })).body).toContain('Terminal rental');
  });

  it('escapes kit names and descriptions (injection string)', async () => {
    for (const lang of ['fr', 'en']) {
      const r = await page(`?lang=${lang}`);
      expect(r.body).not.toContain('<script>');
      expect(r.body).not.toContain('<img');
      expect(r.body).toContain(ESCAPED);
      expect(r.body).toContain(`Kit ${ESCAPED}`);
    }
  });

  it('shows booked days in the calendar', async () => {
    expect((await book(f, kitId, day(3), day(4))).statusCode).toBe(201);
    const r = await page(`?lang=en&from=${day(0)}`);
    expect(r.body).toContain(`title="${day(3)} booked"`);
    expect(r.body).toContain(`title="${day(4)} booked"`);
    expect(r.body).toContain(`title="${day(5)} free"`);
    // A hostile ?from= is ignored, never echoed.
    const bad = await page(`?from=${encodeURIComponent(XSS)}`);
    expect(bad.statusCode).toBe(200);
    expect(bad.body).not.toContain('<script>');
  });

  it('books through the form; the confirmation escapes what the venue typed', async () => {
    const r = await submit({
      kitId,
      from: day(10),
      to: day(11),
      contact: XSS,
      note: XSS,
      email: f.emails.barAdmin,
      password: PASSWORD,
    });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.body).toContain('Réservation confirmée');
    expect(r.body).toContain(`du ${day(10)} au ${day(11)}`);
    expect(r.body).toContain('2 469,12 EUR');
    expect(r.body).not.toContain('<script>');
    expect(r.body).toContain(ESCAPED);
    const list = await f.app.inject({ url: `/v1/rental/bookings?kitId=${kitId}`, headers: auth(f.barAdmin) });
    const b = list.json().bookings.find((x: { from: string }) => x.from === day(10));
    expect(b).toMatchObject({ venueId: f.bar, to: day(11), contact: XSS, note: XSS, status: 'booked' });
  });

  it('explains refusals in the page language, escaped', async () => {
    const clash = await submit(
      { kitId, from: day(11), to: day(12), email: f.emails.barAdmin, password: PASSWORD },
      'en',
    );
    expect(clash.statusCode).toBe(409);
    expect(clash.body).toContain('Booking refused');
    expect(clash.body).toContain(
      `This kit is not available from ${day(11)} to ${day(12)}: already booked ${day(10)}..${day(11)}.`,
    );
    const wrongPw = await submit({
      kitId,
      from: day(20),
      to: day(21),
      email: f.emails.barAdmin,
      password: 'nope',
    });
    expect(wrongPw.statusCode).toBe(401);
    expect(wrongPw.body).toContain('E-mail ou mot de passe incorrect.');
    const badDate = await submit({
      kitId,
      from: XSS,
      to: day(21),
      email: f.emails.barAdmin,
      password: PASSWORD,
    });
    expect(badDate.statusCode).toBe(400);
    expect(badDate.body).not.toContain('<script>');
    expect(badDate.body).toContain('Réservation impossible');
    const badKit = await submit({
      kitId: XSS,
      from: day(20),
      to: day(21),
      email: f.emails.barAdmin,
      password: PASSWORD,
    });
    expect(badKit.statusCode).toBe(404);
    expect(badKit.body).not.toContain('<script>');
    const fedNoVenue = await submit({
      kitId,
      from: day(20),
      to: day(21),
      email: f.emails.admin,
      password: PASSWORD,
    });
    expect(fedNoVenue.statusCode).toBe(400);
    const fedVenue = await submit({
      kitId,
      from: day(20),
      to: day(21),
      email: f.emails.admin,
      password: PASSWORD,
      venueId: f.cafe,
    });
    expect(fedVenue.statusCode).toBe(201);
    const { rows } = await getDb().query<{ n: string }>(
      "SELECT count(*)::text AS n FROM rental_bookings WHERE kit_id = $1 AND status = 'booked'",
      [kitId],
    );
    expect(rows[0].n).toBe('3');
  });

  it('unknown federation: 404 page, the id escaped', async () => {
    const r = await f.app.inject({ url: `/rental/${encodeURIComponent('<b>x</b>')}?lang=en` });
    expect(r.statusCode).toBe(404);
    expect(r.body).toContain('Unknown federation.');
    expect(r.body).not.toContain('<b>x</b>');
  });
});
