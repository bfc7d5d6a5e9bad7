// Real browser: Debian's Chromium driven by playwright-core against a gateway with a simulated
// terminal. A cashier sells three items, pays by card, the terminal taps, the page shows the
// result and the new balance. Screenshots go to test-output/apps/.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tap } from '../helpers.js';
import { CARD, json, type Rig, rig } from './apps-helpers.js';
import { launchChromium, nextCharge, SHOTS } from './browser.js';

describe('POS in Chromium', () => {
  let r: Rig;
  let browser: Browser;
  beforeAll(async () => {
    r = await rig({ credit: 2000 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await r?.close();
  });

  it('phone: a cashier sells 3 items, pays by card, the terminal taps, the page shows approved and the new balance', {
    timeout: 60_000,
  }, async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.setDefaultTimeout(15_000);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${r.base}/apps/pos/bar?lang=fr&cashier=alice`);
    await page.waitForSelector('#conn.on');
    // the injected label is shown as text, never run
    await expect(page.locator('.tile[data-sku="evil"] .label').textContent()).resolves.toContain(
      '<img src=x',
    );
    expect(dialogs).toEqual([]);
    await page.click('.tile[data-sku="beer"]');
    await page.click('.tile[data-sku="beer"]');
    await page.keyboard.press('2'); // shortcut: second tile, soda
    await expect(page.locator('#lines li').count()).resolves.toBe(2);
    await expect(page.locator('#total').textContent()).resolves.toMatch(/9,00\s€/);
    await page.screenshot({ path: join(SHOTS, 'pos-phone-cart.png') });

    const seen = r.till.received.filter((m) => m.k === 'charge').length;
    const t0 = Date.now();
    await page.dblclick('#pay-card'); // a double tap charges once
    const charge = await nextCharge(r, seen);
    expect(charge.amt).toBe(900);
    await page.waitForSelector('#overlay.wait:not([hidden])');
    await expect(page.locator('#ov-title').textContent()).resolves.toBe('Présentez la carte');
    const tx = tap(r.till, CARD, { ref: charge.ref });
    expect(await r.till.waitResult(tx)).toMatchObject({ ok: true, amt: 900 });
    await page.waitForSelector('#overlay.ok:not([hidden])');
    const ms = Date.now() - t0;
    await expect(page.locator('#ov-title').textContent()).resolves.toBe('Accepté');
    await expect(page.locator('#ov-balance').textContent()).resolves.toMatch(/Nouveau solde : 11,00\s€/);
    await page.screenshot({ path: join(SHOTS, 'pos-phone-approved.png') });
    expect(r.till.received.filter((m) => m.k === 'charge')).toHaveLength(seen + 1);
    expect(ms).toBeLessThan(3000);

    // Enter starts a new sale; the order is in the recent list
    await page.keyboard.press('Enter');
    await expect(page.locator('#lines li').count()).resolves.toBe(0);
    await page.waitForSelector('#recent li.paid', { state: 'attached' });
    await page.close();
  });

  it('tablet, English: a declined tap shows its reason, then cash pays it; a manager voids it', {
    timeout: 60_000,
  }, async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    page.setDefaultTimeout(15_000);
    await page.goto(`${r.base}/apps/pos/bar?lang=en&cashier=bob`);
    await page.waitForSelector('#conn.on');
    await page.click('.cat[data-cat="food"]');
    await page.keyboard.press('1'); // first visible tile in "food": burger
    await page.keyboard.press('+');
    await page.fill('#lines li .lnote', 'no onions');
    await page.keyboard.press('Escape'); // leaves the field; shortcuts work again
    const seen = r.till.received.filter((m) => m.k === 'charge').length;
    await page.keyboard.press('Enter');
    const charge = await nextCharge(r, seen).catch(async (e) => {
      console.log(
        await page.locator('#msg').textContent(),
        await page.evaluate('JSON.stringify(window.tbPos.cart())'),
      );
      throw e;
    });
    expect(charge.amt).toBe(1800);
    tap(r.till, CARD, { ref: charge.ref });
    await page.waitForSelector('#overlay.ko:not([hidden])');
    await expect(page.locator('#ov-title').textContent()).resolves.toBe('Declined');
    await expect(page.locator('#ov-detail').textContent()).resolves.toBe('Insufficient funds');
    await page.screenshot({ path: join(SHOTS, 'pos-tablet-declined.png') });
    await page.click('#ov-close');
    await page.fill('#tendered', '20');
    await page.click('#pay-cash');
    await page.waitForSelector('#overlay.ok:not([hidden])');
    await expect(page.locator('#ov-detail').textContent()).resolves.toMatch(/Change €2\.00/);
    await page.click('#ov-close');
    const orders = (await json(r.base, 'GET', '/apps/api/pos/bar/orders')).body as {
      id: string;
      status: string;
      lines: { note: string | null }[];
    }[];
    expect(orders[0]).toMatchObject({ status: 'paid', lines: [{ note: 'no onions' }] });

    await page.keyboard.press('v');
    await page.click(`#recent li[data-order="${orders[0].id}"] button`);
    await page.fill('#void-reason', 'customer left');
    await page.click('#voidform button.danger');
    await page.waitForSelector(`#recent li.voided[data-order="${orders[0].id}"]`);
    await page.screenshot({ path: join(SHOTS, 'pos-tablet-voided.png') });
    expect((await json(r.base, 'GET', `/apps/api/orders/${orders[0].id}`)).body).toMatchObject({
      status: 'voided',
      voidReason: 'customer left',
    });
    await page.close();
  });

  it('tablet: a paid order appears on the kitchen display, is bumped to ready, and the POS is told', {
    timeout: 60_000,
  }, async () => {
    await json(r.base, 'PUT', '/apps/api/kitchen/routes', { routes: { 'cat:food': 'kitchen' }, by: 'mona' });
    const kds = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    kds.setDefaultTimeout(15_000);
    await kds.goto(`${r.base}/apps/kitchen/kitchen?lang=fr`);
    await kds.waitForSelector('#conn.on');
    const pos = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    pos.setDefaultTimeout(15_000);
    await pos.goto(`${r.base}/apps/pos/bar?lang=fr&cashier=mona`);
    await pos.waitForSelector('#conn.on');
    await pos.click('.tile[data-sku="burger"]');
    await pos.click('.tile[data-sku="evil"]');
    await pos.fill('#note', 'table 7 <b>vite</b>');
    await pos.click('#pay-bank');
    await pos.waitForSelector('#overlay.ok:not([hidden])');
    const ticket = kds.locator('.ticket.s-new');
    await ticket.waitFor();
    await expect(ticket.locator('.tnote').textContent()).resolves.toBe('table 7 <b>vite</b>');
    await expect(ticket.locator('li').nth(1).textContent()).resolves.toContain('<img src=x');
    await kds.screenshot({ path: join(SHOTS, 'kitchen-tablet-new.png') });
    await ticket.locator('.bump').click();
    await kds.waitForSelector('.ticket.s-preparing');
    await kds.keyboard.press('1'); // bump the first ticket from the keyboard
    await kds.waitForSelector('.ticket.s-ready');
    await pos.waitForSelector('.toast');
    await expect(pos.locator('.toast').first().textContent()).resolves.toContain('Commande prête · kitchen');
    await kds.keyboard.press('u'); // undo: back to preparing
    await kds.waitForSelector('.ticket.s-preparing');
    await kds.click('.ticket .bump');
    await kds.click('.ticket .bump');
    await kds.waitForSelector('.ticket', { state: 'detached' });
    await expect(kds.locator('#count').textContent()).resolves.toBe('0');
    await kds.close();
    await pos.close();
  });
});
