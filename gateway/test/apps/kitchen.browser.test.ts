// The kitchen display with 500 open orders in Chromium: a new order adds one card, a bump
// changes one card, nothing else in the list is rebuilt (a full re-render per event would
// replace 500 cards and freeze a cheap tablet). Screenshot in test-output/apps/.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, type Rig, rig } from './apps-helpers.js';
import { launchChromium, SHOTS } from './browser.js';
import { changesDuring, openTickets, sellBurger, watchKitchen } from './kitchen-load.js';

const OPEN = 500;

describe('kitchen display with 500 open orders', () => {
  let r: Rig;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    r = await rig();
    await openTickets(r, OPEN);
    browser = await launchChromium();
    page = await watchKitchen(browser, r.base, OPEN);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await r?.close();
  });

  it('a new order adds exactly one card; the 500 others are untouched', { timeout: 60_000 }, async () => {
    const c = await changesDuring(
      page,
      () => sellBurger(r),
      `document.querySelectorAll('#tickets .ticket').length === ${OPEN + 1}`,
    );
    expect(c).toMatchObject({ added: 1, removed: 0 });
    expect(c.touched).toBeLessThanOrEqual(1);
    expect(await page.locator('#count').textContent()).toBe(String(OPEN + 1));
    await page.screenshot({ path: join(SHOTS, 'kitchen-500-orders.png') });
  });

  it('bumping one ticket changes that card only; serving it removes that card only', {
    timeout: 60_000,
  }, async () => {
    const first = (await json(r.base, 'GET', '/apps/api/kitchen/kitchen/tickets')).body[0];
    const bumped = await changesDuring(
      page,
      () => json(r.base, 'POST', `/apps/api/kitchen/tickets/${first.id}/bump`, { from: 'new' }),
      `document.querySelector('[data-id="${first.id}"]').classList.contains('s-preparing')`,
    );
    expect(bumped).toMatchObject({ added: 0, removed: 0, touched: 1 });
    await json(r.base, 'POST', `/apps/api/kitchen/tickets/${first.id}/bump`, { from: 'preparing' });
    // The screen shows it ready before the serve is watched: a late 'ready' update would count as a touch.
    await page.waitForFunction(
      `document.querySelector('[data-id="${first.id}"]').classList.contains('s-ready')`,
      undefined,
      { timeout: 10_000 },
    );
    const served = await changesDuring(
      page,
      () => json(r.base, 'POST', `/apps/api/kitchen/tickets/${first.id}/bump`, { from: 'ready' }),
      `!document.querySelector('[data-id="${first.id}"]')`,
    );
    expect(served).toMatchObject({ added: 0, removed: 1, touched: 0 });
    expect(await page.locator('#tickets .ticket').count()).toBe(OPEN);
  });
});
