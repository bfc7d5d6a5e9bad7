// Staff at the POS in Chromium: a cashier logs in with her PIN (a wrong one is refused), sells,
// cannot void (the server refuses); a staff card tapped on the POS terminal opens the POS for
// its holder; the card revoked as lost logs the page out at once.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tap } from '../helpers.js';
import { json, type Rig, rig } from './apps-helpers.js';
import { launchChromium, SHOTS } from './browser.js';

const BOB_CARD = 'B0B0B0B0B0B0B0';

describe('staff at the POS in Chromium', () => {
  let r: Rig;
  let browser: Browser;
  let mona: Record<string, string>;
  beforeAll(async () => {
    r = await rig();
    await json(r.base, 'PUT', '/apps/api/staff/mona', { name: 'Mona', role: 'manager', pin: '1234' });
    mona = {
      'x-tb-session': (await json(r.base, 'POST', '/apps/api/session', { staff: 'mona', pin: '1234' })).body
        .token,
    };
    await json(r.base, 'PUT', '/apps/api/staff/alice', { name: 'Alice', role: 'cashier', pin: '5678' }, mona);
    await json(r.base, 'PUT', '/apps/api/staff/bob', { name: 'Bob', role: 'waiter' }, mona);
    await json(r.base, 'PUT', `/apps/api/staff-cards/${BOB_CARD}`, { staff: 'bob' }, mona);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await r?.close();
  });

  it('PIN login, a sale, a refused void; a staff card tap opens the POS; revoking it logs the page out', {
    timeout: 60_000,
  }, async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.setDefaultTimeout(15_000);
    await page.goto(`${r.base}/apps/pos/bar?lang=en`);
    await page.waitForSelector('#conn.on');
    // selling as Alice without logging in is refused by the server
    await page.selectOption('#cashier', 'alice');
    await page.click('.tile[data-sku="soda"]');
    await page.click('#pay-cash');
    await expect.poll(() => page.locator('#msg').textContent()).toContain('Log in first');
    await page.click('#clear');

    await page.click('#login');
    await page.selectOption('#login-staff', 'alice');
    await page.fill('#login-pin', '0000');
    await page.click('#loginform button.primary');
    await expect.poll(() => page.locator('#login-msg').textContent()).toBe('Wrong PIN');
    await page.fill('#login-pin', '5678');
    await page.click('#loginform button.primary');
    await page.waitForSelector('#logout:not([hidden])');
    await expect(page.locator('#cashier').inputValue()).resolves.toBe('alice');
    await expect(page.locator('#cashier').isDisabled()).resolves.toBe(true);

    await page.click('.tile[data-sku="soda"]');
    await page.click('#pay-cash');
    await page.waitForSelector('#overlay.ok:not([hidden])');
    await page.click('#ov-close');
    await page.keyboard.press('v');
    await page.waitForSelector('#recent li.paid button');
    await page.click('#recent li.paid button');
    await page.fill('#void-reason', 'oops');
    await page.click('#voidform button.danger');
    await expect.poll(() => page.locator('.toast').last().textContent()).toBe('Not allowed');
    await page.screenshot({ path: join(SHOTS, 'pos-phone-cashier-session.png') });

    // Bob taps his staff card on the POS terminal: the page is his
    await r.till.waitResult(tap(r.till, BOB_CARD));
    await expect.poll(() => page.locator('#cashier').inputValue()).toBe('bob');
    // lost: revoked by the manager, the page is logged out at once
    expect(
      (await json(r.base, 'POST', `/apps/api/staff-cards/${BOB_CARD}/revoke`, {}, mona)).body.sessions,
    ).toBe(1);
    await page.waitForSelector('#login:not([hidden])');
    await expect(page.locator('#cashier').isDisabled()).resolves.toBe(false);
    await page.close();
  });
});
