// Restaurant room in Debian's Chromium: the plan editor adds and places a table; a table order
// with seats and notes flows to the kitchen display, comes back ready and is served; the tab is
// paid seat by seat, a cashless card tap on the simulated terminal then cash. Screenshots go to
// test-output/apps/.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tap } from '../helpers.js';
import { CARD, json, type Rig, rig } from './apps-helpers.js';
import { launchChromium, nextCharge, SHOTS } from './browser.js';

describe('restaurant room in Chromium', () => {
  let r: Rig;
  let browser: Browser;
  beforeAll(async () => {
    r = await rig({ credit: 3000 });
    await json(r.base, 'PUT', '/apps/api/kitchen/routes', {
      routes: { 'cat:food': 'kitchen', 'cat:drinks': 'kitchen' },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await r?.close();
  });

  it('tablet: plan edited, a table order goes to the kitchen display and back, the tab is paid by seat (card tap, cash)', {
    timeout: 60_000,
  }, async () => {
    const kds = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    kds.setDefaultTimeout(15_000);
    await kds.goto(`${r.base}/apps/kitchen/kitchen?lang=fr`);
    await kds.waitForSelector('#conn.on');
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    page.setDefaultTimeout(15_000);
    await page.goto(`${r.base}/apps/room/bar?lang=fr&cashier=wanda`);
    await page.waitForSelector('#conn.on');

    // plan editor: add a table, name it, give it seats, drag it
    await page.click('#edit');
    await page.click('#add-table');
    await page.waitForSelector('.rtable');
    await page.fill('#tf-name', 'T1');
    await page.fill('#tf-seats', '4');
    await page.click('#tf-save');
    await expect.poll(() => page.locator('.rtable .rname').textContent()).toBe('T1');
    await page.locator('.rtable').scrollIntoViewIfNeeded();
    const box = (await page.locator('.rtable').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 + 40, { steps: 4 });
    await page.mouse.up();
    await expect
      .poll(async () => (await json(r.base, 'GET', '/apps/api/room/bar')).body.tables[0].x, {
        timeout: 15_000,
      })
      .toBeGreaterThan(4 + 5);
    const table = (await json(r.base, 'GET', '/apps/api/room/bar')).body.tables[0];
    expect(table).toMatchObject({ name: 'T1', seats: 4 });
    expect(table.y).toBeGreaterThan(6 + 3);
    await page.screenshot({ path: join(SHOTS, 'room-tablet-editor.png') });
    await page.click('#edit');

    // open the table for 2, order per seat with a note, send to the kitchen
    await page.click(`.rtable[data-table="${table.id}"]`);
    await page.fill('#open-covers', '2');
    await page.click('#open-tab');
    await page.waitForSelector('#tab:not([hidden])');
    await page.click('#seats .seat[data-seat="1"]');
    await page.fill('#lnote', 'sans oignons');
    await page.click('#tgrid .tile[data-sku="burger"]');
    await page.waitForSelector('#tlines li.unsent');
    await page.click('#seats .seat[data-seat="2"]');
    await page.click('#tgrid .tile[data-sku="soda"]');
    await expect.poll(() => page.locator('#tlines li').count()).toBe(2);
    await page.fill('#tnote', 'allergie <noix>');
    await page.click('#tsend');
    await expect.poll(() => page.locator('#tlines li.sent').count()).toBe(2);
    await expect.poll(() => page.locator('.rtable.busy .rinfo').textContent()).toMatch(/2\/4 · 11,00\s€/);

    // the kitchen display shows it with the table, the seats and the notes, and bumps it to ready
    const ticket = kds.locator('.ticket.s-new');
    await ticket.waitFor();
    await expect(ticket.locator('.tnote').textContent()).resolves.toBe('T1 · 2p · #1 — allergie <noix>');
    await expect(ticket.locator('.lnote').first().textContent()).resolves.toBe('S1 · sans oignons');
    await kds.screenshot({ path: join(SHOTS, 'room-kitchen-ticket.png') });
    await ticket.locator('.bump').click();
    await kds.waitForSelector('.ticket.s-preparing');
    await kds.click('.ticket .bump');
    await kds.waitForSelector('.ticket.s-ready');

    // back in the room: the table shows ready, a toast says so; the waiter serves it
    await page.waitForSelector('.rtable.ready');
    await expect(page.locator('.toast').last().textContent()).resolves.toContain(
      'Commande prête · T1 · kitchen',
    );
    await page.screenshot({ path: join(SHOTS, 'room-tablet-ready.png') });
    await page.click('#ttickets li.s-ready .served');
    await page.waitForSelector('#ttickets li.s-served');
    await kds.waitForSelector('.ticket', { state: 'detached' });

    // seat 1 pays by cashless card on the terminal, seat 2 in cash
    await page.click('#payseats .seat[data-seat="1"]');
    const seen = r.till.received.filter((m) => m.k === 'charge').length;
    await page.click('#tpay-card');
    const charge = await nextCharge(r, seen);
    expect(charge.amt).toBe(900);
    await page.waitForSelector('#overlay.wait:not([hidden])');
    const tx = tap(r.till, CARD, { ref: charge.ref });
    expect(await r.till.waitResult(tx)).toMatchObject({ ok: true, amt: 900 });
    await page.waitForSelector('#overlay.ok:not([hidden])');
    await expect(page.locator('#ov-balance').textContent()).resolves.toMatch(/Nouveau solde : 21,00\s€/);
    await page.click('#ov-close');
    await page.waitForSelector('#payseats .seat.paid[data-seat="1"]');
    await page.click('#payseats .seat[data-seat="2"]');
    await page.click('#tpay-cash');
    await page.waitForSelector('#overlay.ok:not([hidden])');
    await expect(page.locator('#ov-title').textContent()).resolves.toBe('Table réglée');
    await page.screenshot({ path: join(SHOTS, 'room-tablet-paid.png') });
    await page.click('#ov-close');
    await page.waitForSelector('.rtable.free');
    await kds.close();
    await page.close();

    // phone layout: the plan and the panel stack
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${r.base}/apps/room/bar?lang=en`);
    await phone.waitForSelector('#conn.on');
    await phone.click(`.rtable[data-table="${table.id}"]`);
    await phone.waitForSelector('#opener:not([hidden])');
    const w = await phone.evaluate(() => document.documentElement.scrollWidth);
    expect(w).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(SHOTS, 'room-phone.png') });
    await phone.close();
  });
});
