// A phone-sized headless Chromium (Debian's, through playwright-core) buys a ticket from the public
// event page: "Acheter" sends it to log in, the emailed link (read from the outbox) brings it back
// to the purchase, it pays from the wallet and lands on "my tickets", whose QR page shows the
// ticket (read back from the screenshot with jsQR). Screenshots go to test-output/cloud/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PhoneSite, phoneSite, qrOnScreen } from '../helpers/chromium.js';
import { id } from '../helpers/fixture.js';
import { balanceOf, inHours, type TicketingCtx, ticketingContext } from '../ticketing/setup.js';

describe('Chromium buys a ticket from the event page with the wallet balance', () => {
  let site: PhoneSite<TicketingCtx>;
  beforeAll(async () => {
    site = await phoneSite(ticketingContext);
  }, 180_000);
  afterAll(() => site?.close());

  it('clicks Acheter, logs in by the emailed link, pays from the wallet and shows the QR', {
    timeout: 60_000,
  }, async () => {
    const { ctx: t, db, base, page, dialogs, shot } = site;
    const email = `zoe-${id()}@example.org`.toLowerCase();
    const personId = (
      await t.post('barCashier', `/v1/venues/${t.f.bar}/people`, { displayName: 'Zoé', email })
    ).json().personId;
    const card = await t.card(3000);
    await t.post('barCashier', `/v1/venues/${t.f.bar}/wallets/merge`, { cardUid: card, personId });
    const e = await t.createEvent({
      title: 'Cirque <img src=x onerror="alert(1)">',
      startsAt: inHours(20),
      endsAt: inHours(23),
      categories: [{ name: 'Gradins', capacity: 40, prices: { full: 1200, reduced: 700 } }],
    });

    await page.goto(`${base}/agenda/events/${e.id}?lang=fr`);
    await expect(page.locator('h1').textContent()).resolves.toContain('<img src=x');
    await page.selectOption('form.buy select[name=audience]', 'reduced');
    await page.fill('form.buy input[name=quantity]', '2');
    await shot('buy-1-event');
    await page.getByRole('button', { name: 'Acheter' }).click();
    await page.waitForURL(/\/me\/login/);
    await page.fill('input[name=email]', email);
    await page.click('button[type=submit]');
    await expect(page.locator('[role=status]').textContent()).resolves.toContain(
      'Si cette adresse est connue',
    );
    const mail = await db.query<{ body: string }>(
      "SELECT body FROM email_outbox WHERE to_address = $1 AND kind = 'holder-login' ORDER BY id DESC LIMIT 1",
      [email],
    );
    const link = /(http:\/\/127\.0\.0\.1:\d+\/me\/auth\/\S+)/.exec(mail.rows[0]!.body)![1]!;
    await page.goto(link);
    await page.waitForURL(/\/me\/events\/[0-9a-f-]+\/buy/);
    await expect(page.locator('select[name=audience]').inputValue()).resolves.toBe('reduced');
    await expect(page.locator('input[name=quantity]').inputValue()).resolves.toBe('2');
    await shot('buy-2-choose-wallet');
    await page.getByRole('button', { name: 'Payer avec le solde' }).click();
    await page.waitForURL(/\/me\/wallets\/\d+\/tickets/);
    await expect(page.locator('.card h2').allTextContents()).resolves.toEqual([
      expect.stringContaining('Cirque'),
      expect.stringContaining('Cirque'),
    ]);
    await shot('buy-3-my-tickets');
    expect(await balanceOf(db, card)).toBe(3000 - 2 * 700);

    await page.getByRole('link', { name: 'Afficher le QR code' }).first().click();
    await page.waitForURL(/\/tickets\//);
    await expect(page.locator('.status').textContent()).resolves.toBe('Billet valide');
    const token = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);
    expect(await qrOnScreen(page)).toBe(token);
    await shot('buy-4-ticket-qr');
    const stored = await db.query('SELECT 1 FROM tickets WHERE token = $1', [token]);
    expect(stored.rows.length).toBe(1);
    expect(dialogs).toEqual([]);
  });
});
