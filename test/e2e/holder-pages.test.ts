// The holder pages in a real browser (Debian's Chromium, phone-sized, French): ask for a login link,
// follow the emailed link, see the wallet, join a sliding-scale membership, open a ticket's QR page.
// Screenshots go to test-output/holders/.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../gateway/test/apps/browser.js';
import { cashTopUpBatch, cloudApi, venueAdminToken } from '../helpers/cloud-api.js';
import { type CloudHarness, startCloud } from './cloud-harness.js';

const SHOTS = join(process.cwd(), 'test-output', 'holders');
const HOUR = 3600_000;

describe('holder pages in Chromium, on a phone', () => {
  let cloud: CloudHarness;
  let browser: Browser;
  const email = `camille-${randomUUID().slice(0, 8)}@example.org`;
  const card = '04F0000000CC01';

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    cloud = await startCloud('pglite');
    const venue = cloud.venues[0];
    const gw = cloud.apiKeys[0];
    const api = cloudApi(cloud.url);
    const admin = await venueAdminToken(cloud, venue);
    await api.ok('POST', '/v1/sync/batches', gw, cashTopUpBatch(venue, card, 6000));
    const { personId } = await api.ok('POST', `/v1/venues/${venue}/people`, gw, {
      displayName: 'Camille',
      email,
    });
    await api.ok('POST', `/v1/venues/${venue}/wallets/merge`, gw, { cardUid: card, personId });
    await api.ok('POST', `/v1/venues/${venue}/membership-products`, admin, {
      name: 'Adhésion solidaire',
      scope: 'venue',
      pricing: 'sliding',
      brackets: [
        { id: 'low', label: 'Moins de 15 000 €', maxIncome: 1_500_000, price: 500 },
        { id: 'high', label: '15 000 € et plus', maxIncome: null, price: 2000 },
      ],
    });
    const event = await api.ok('POST', `/v1/venues/${venue}/events`, admin, {
      title: 'Bal folk',
      startsAt: new Date(Date.now() + 24 * HOUR).toISOString(),
      endsAt: new Date(Date.now() + 28 * HOUR).toISOString(),
      categories: [{ name: 'Entrée', prices: { full: 1200 } }],
    });
    await api.ok('POST', `/v1/venues/${venue}/events/${event.id}/orders`, gw, {
      cardUid: card,
      items: [{ categoryId: event.categories[0].id, audience: 'full', quantity: 1 }],
    });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await cloud?.close();
  });

  it('login by emailed link, wallet, membership, ticket QR', async () => {
    const ctx = await browser.newContext({
      viewport: { width: 390, height: 844 },
      locale: 'fr-FR',
      isMobile: true,
    });
    const page = await ctx.newPage();
    await page.goto(`${cloud.url}/me/login`);
    await page.fill('input[name=email]', email);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Si cette adresse est connue');
    await page.screenshot({ path: join(SHOTS, '1-login.png'), fullPage: true });
    const { rows } = await cloud.db.query<{ body: string }>(
      "SELECT body FROM email_outbox WHERE to_address = $1 AND kind = 'holder-login' ORDER BY id DESC LIMIT 1",
      [email],
    );
    const link = /(http:\/\/\S+\/me\/auth\/\S+)/.exec(rows[0]!.body)![1]!;
    await page.goto(link);
    await page.waitForSelector('text=Mes porte-monnaie');
    await page.click('a:has-text("Porte-monnaie #")');
    await page.waitForSelector('h2:has-text("Soldes")');
    expect(await page.textContent('ul.balances')).toContain('48,00');
    // Phone-sized: nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, '2-wallet.png'), fullPage: true });
    await page.click('a:has-text("Mes adhésions")');
    await page.selectOption('select[name=bracket]', 'low');
    await page.click('button:has-text("Adhérer")');
    await page.waitForSelector('text=Adhésion enregistrée jusqu’au');
    expect(await page.textContent('body')).toContain('Valide jusqu’au');
    await page.screenshot({ path: join(SHOTS, '3-membership.png'), fullPage: true });
    await page.click('a:has-text("Mes billets")');
    await page.waitForSelector('text=Bal folk');
    await page.click('a:has-text("Afficher le QR code")');
    await page.waitForSelector('.qr');
    await page.screenshot({ path: join(SHOTS, '4-ticket.png'), fullPage: true });
    await ctx.close();
  });
});
