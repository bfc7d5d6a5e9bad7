// A phone-sized headless Chromium (Debian's, through playwright-core) on a listening cloud: the
// ticket bought at the venue shows its QR (read back from the screenshot with jsQR, as a phone
// camera would), the door checks it in and the page says so, the agenda leads from an event to its
// line-up and an artist's page (whose bio tries a script that must not run), and an artist signs
// up, is refused sign-in until they follow the emailed link (read from the outbox), confirms, and
// sends a proposal the venue then opens. Screenshots go to test-output/cloud/ (printed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PhoneSite, phoneSite, qrOnScreen } from '../helpers/chromium.js';
import { id } from '../helpers/fixture.js';
import { inHours, type TicketingCtx, ticketingContext } from '../ticketing/setup.js';
import { verificationMail } from './verify-mail.js';

const PASSWORD = 'a long artist password';

describe('public journey in Chromium: ticket, QR, check-in, agenda, artist proposal', () => {
  let site: PhoneSite<TicketingCtx>;
  beforeAll(async () => {
    site = await phoneSite(ticketingContext);
  }, 180_000);
  afterAll(() => site?.close());

  it('shows the QR of a bought ticket, then its check-in', { timeout: 60_000 }, async () => {
    const { ctx: t, base, page, shot } = site;
    const e = await t.createEvent({
      title: 'Bal folk',
      startsAt: inHours(1),
      endsAt: inHours(4),
      categories: [{ name: 'Entrée', capacity: 50, prices: { full: 1200, reduced: 800 } }],
    });
    // Bought at the venue's till (cashier API), paid from the card's wallet.
    const card = await t.card(5000);
    const order = await t.buy(card, e, { audience: 'reduced' });
    expect(order.statusCode).toBe(201);
    const { token, ticketId } = order.json().tickets[0];

    await page.goto(`${base}/tickets/${token}?lang=fr`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Bal folk');
    await expect(page.locator('.status').textContent()).resolves.toBe('Billet valide');
    await shot('1-ticket-qr');
    // What a door scanner reads from the screen is the signed token.
    expect(await qrOnScreen(page)).toBe(token);
    // The printable PDF is one tap away.
    const pdfHref = await page.locator('a[href$="ticket.pdf?lang=fr"]').getAttribute('href');
    const pdf = await page.request.get(`${base}${pdfHref}`);
    expect([pdf.status(), pdf.headers()['content-type']]).toEqual([200, 'application/pdf']);

    // The door scans it; the page now says when.
    const scan = await t.scan('barGateway', [{ nonce: id('scan'), token, door: 'front', eventId: e.id }]);
    expect(scan.json().results[0]).toMatchObject({ status: 'admitted', ticketId });
    await page.reload();
    await expect(page.locator('th', { hasText: 'Scanné le' }).count()).resolves.toBe(1);
    await shot('2-ticket-checked-in');
    const again = await t.scan('barGateway', [{ nonce: id('scan'), token, door: 'back', eventId: e.id }]);
    expect(again.json().results[0]).toMatchObject({ status: 'rejected', reason: 'already-scanned' });
  });

  it('browses the agenda to an event, its line-up and an artist page (bio script inert)', {
    timeout: 60_000,
  }, async () => {
    const { ctx: t, db, base, page, dialogs, shot } = site;
    const email = `${id('artist')}@example.org`;
    const { artistId } = (
      await t.f.app.inject({
        method: 'POST',
        url: '/v1/artists',
        payload: { email, password: PASSWORD, name: 'Les Zèbres' },
      })
    ).json();
    // Verified through the emailed link (the API form of the link's button); that opens a session.
    const token = (
      await t.f.app.inject({
        method: 'POST',
        url: '/v1/artists/verify',
        payload: { token: (await verificationMail(db, email)).token },
      })
    ).json().token;
    expect(token).toMatch(/^tba_/);
    await t.f.app.inject({
      method: 'PATCH',
      url: '/v1/artists/me',
      headers: { authorization: `Bearer ${token}` },
      payload: {
        bio: 'Fanfare balkanique.\n<script>alert("bio")</script><img src=x onerror="alert(1)">',
        tags: ['fanfare'],
        region: 'Occitanie',
        mediaLinks: [{ label: 'Vidéo', url: 'https://video.example/zebres' }],
      },
    });
    const e = await t.createEvent({
      title: 'Nuit des fanfares',
      tags: ['fanfare'],
      startsAt: inHours(30),
      endsAt: inHours(34),
    });
    const lineup = await t.f.app.inject({
      method: 'PUT',
      url: `/v1/venues/${t.f.bar}/events/${e.id}/artists`,
      headers: { authorization: `Bearer ${t.tokens.barAdmin}` },
      payload: { artistIds: [artistId] },
    });
    expect(lineup.statusCode).toBe(200);

    await page.goto(`${base}/agenda?lang=fr&tag=fanfare`);
    await shot('3-agenda');
    await page.getByRole('link', { name: 'Nuit des fanfares' }).click();
    await page.waitForURL(/\/agenda\/events\//);
    await expect(page.locator('ul.lineup li').allTextContents()).resolves.toEqual(['Les Zèbres']);
    await shot('4-event-lineup');
    await page.getByRole('link', { name: 'Les Zèbres' }).click();
    await page.waitForURL(/\/artists\//);
    await expect(page.locator('h1').textContent()).resolves.toBe('Les Zèbres');
    // The bio's markup is shown as text, and nothing ran.
    await expect(page.locator('article').textContent()).resolves.toContain('<script>alert("bio")</script>');
    await expect(page.locator('ul.events li').allTextContents()).resolves.toEqual([
      expect.stringContaining('Nuit des fanfares'),
    ]);
    await shot('5-artist-page');
    expect(dialogs).toEqual([]);
    // Organizers' search finds the artist by tag and region.
    await page.goto(`${base}/artists?lang=en&tag=fanfare&region=occ`);
    await expect(page.getByRole('link', { name: 'Les Zèbres' }).count()).resolves.toBe(1);
  });

  it('an artist signs up, confirms by the emailed link, sends a proposal; the venue opens it', {
    timeout: 60_000,
  }, async () => {
    const { ctx: t, db, base, page, shot } = site;
    const email = `${id('artist')}@example.org`;
    await page.goto(`${base}/artists/me/proposals/new?lang=fr`);
    await page.waitForURL(/\/artists\/login/);
    await page.getByRole('link', { name: 'Créer un compte artiste' }).click();
    await page.waitForURL(/\/artists\/signup/);
    await page.fill('input[name=name]', 'Duo Lune');
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await expect(page.locator('h1').textContent()).resolves.toBe('Vérifiez votre boîte mail');
    await expect(page.locator('[role=status]').textContent()).resolves.toContain(email.toLowerCase());
    await shot('6-artist-check-mail');
    // Not confirmed yet: wrong password → the usual error; right password → "check your mailbox".
    await page.getByRole('link', { name: 'Connexion artiste' }).click();
    await page.waitForURL(/\/artists\/login/);
    await page.fill('form[action="/artists/login"] input[name=email]', email);
    await page.fill('form[action="/artists/login"] input[name=password]', 'wrong password!!');
    await page.click('form[action="/artists/login"] button[type=submit]');
    await expect(page.locator('[role=alert]').textContent()).resolves.toBe(
      'Adresse ou mot de passe incorrect.',
    );
    await page.fill('form[action="/artists/login"] input[name=email]', email);
    await page.fill('form[action="/artists/login"] input[name=password]', PASSWORD);
    await page.click('form[action="/artists/login"] button[type=submit]');
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('pas encore confirmée');
    await expect(page.getByRole('button', { name: 'Renvoyer le lien' }).count()).resolves.toBe(1);
    await expect(page.locator('input[name=email]').inputValue()).resolves.toBe(email);
    await shot('7-artist-unverified');
    // The emailed link: its page asks for a click (mail scanners only open links), which confirms
    // the address and signs in.
    const mail = await verificationMail(db, email);
    expect(mail.url.startsWith(`${base}/artists/verify/`)).toBe(true);
    await page.goto(mail.url);
    await expect(page.locator('h1').textContent()).resolves.toBe('Confirmer votre adresse e-mail');
    await page.getByRole('button', { name: 'Confirmer et me connecter' }).click();
    await page.waitForURL(/\/artists\/me\/proposals\/new/);
    await page.selectOption('select[name=venueId]', t.f.bar);
    await page.fill('textarea[name=message]', 'Bonjour, nous aimerions jouer chez vous en juin.');
    await page.fill('input[name=from]', '2031-06-12');
    await page.fill('input[name=to]', '2031-06-13');
    await page.fill('input[name=fee]', '450');
    await shot('8-proposal-form');
    await page.click('button[type=submit]');
    await page.waitForURL(/\/artists\/me\/proposals\?/);
    await expect(page.locator('.proposal .badge').allTextContents()).resolves.toEqual(['Envoyée']);
    await shot('9-proposal-sent');

    const inbox = await t.get('barAdmin', `/v1/venues/${t.f.bar}/proposals`);
    const p = inbox.json().proposals.find((x: { artistName: string }) => x.artistName === 'Duo Lune');
    expect(p).toMatchObject({
      status: 'sent',
      feeAmount: 45_000,
      dates: [{ from: '2031-06-12', to: '2031-06-13' }],
    });
    expect((await t.get('cafeAdmin', `/v1/venues/${t.f.bar}/proposals`)).statusCode).toBe(403);
    await t.get('barAdmin', `/v1/venues/${t.f.bar}/proposals/${p.id}`);
    await t.post(
      'barAdmin',
      `/v1/venues/${t.f.bar}/proposals/${p.id}/messages`,
      { body: 'Avec plaisir, le 12 ?' },
      null,
    );
    await page.reload();
    await expect(page.locator('.proposal .badge').allTextContents()).resolves.toEqual(['Vue']);
    await expect(page.locator('.proposal .msg').allTextContents()).resolves.toEqual([
      expect.stringContaining('nous aimerions jouer'),
      expect.stringContaining('Avec plaisir, le 12 ?'),
    ]);
    await shot('10-proposal-seen');
  });
});
