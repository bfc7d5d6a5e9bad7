// The admin screen in Chromium (phone size): the first manager is created on the screen, edits a
// price, and the simulated terminal receives the new retained menu; a happy hour created on the
// screen changes the POS's price (the POS page's cart priced before is refused as stale, then
// repriced). Screenshots go to test-output/apps/.
import { join } from 'node:path';
import type { protocol } from '@tibillet/firmware';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTime } from '../../src/promotions/clock.js';
import { until } from '../helpers.js';
import { adminScreenRig, type ScreenRig } from './admin-screen.js';
import { json } from './apps-helpers.js';
import { phonePage, SHOTS } from './browser.js';

const hhmm = (m: number) => {
  const x = ((m % 1440) + 1440) % 1440;
  return `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
};

describe('admin screen in Chromium', () => {
  let r: ScreenRig;
  const configs = () =>
    r.till.received.filter((m) => m.k === 'config').map((m) => m.b as protocol.ConfigBody);

  beforeAll(async () => {
    r = await adminScreenRig();
  });
  afterAll(async () => {
    await r?.close();
  });

  it('a manager edits a price: the terminal gets the new menu; a happy hour changes the POS price', {
    timeout: 90_000,
  }, async () => {
    const { ctx, page: admin, dialogs } = await phonePage(r.browser);

    // No staff yet: the screen offers to create the first manager, who is then logged in.
    await admin.goto(`${r.base}/apps/admin?lang=fr`);
    await admin.fill('input[name="id"]', 'boss');
    await admin.fill('input[name="name"]', 'La patronne');
    await admin.fill('input[name="pin"]', '2468');
    await admin.click('form.api button.primary');
    await admin.waitForSelector('nav.tabs');
    await expect(admin.locator('.who').textContent()).resolves.toBe('La patronne');
    expect((await json(r.base, 'GET', '/apps/api/staff')).body).toEqual([
      { id: 'boss', name: 'La patronne', role: 'manager' },
    ]);

    // Menus and prices: the beer goes to 4,20 €.
    const before = configs().length;
    const beer = admin.locator('details.product[data-sku="beer"]');
    await beer.locator('summary').click();
    await beer.locator('input[name="price"]').fill('4,20');
    await admin.screenshot({ path: join(SHOTS, 'admin-phone-menu.png') });
    await beer.locator('button.primary').click();
    await until('new menu on the terminal', () => configs().length > before);
    expect(
      configs()
        .at(-1)
        ?.menu?.find((i) => i.sku === 'beer')?.price,
    ).toBe(420);
    await admin.waitForSelector('details.product[data-sku="beer"] .price');
    await expect(admin.locator('details.product[data-sku="beer"] .price').textContent()).resolves.toMatch(
      /4,20/,
    );

    // The POS page, opened before the happy hour, puts a beer in its cart at 4,20 €.
    const pos = await ctx.newPage();
    pos.setDefaultTimeout(15_000);
    await pos.goto(`${r.base}/apps/pos/bar?lang=fr&cashier=boss`);
    await pos.waitForSelector('#conn.on');
    await pos.click('.tile[data-sku="beer"]');
    await expect(pos.locator('#total').textContent()).resolves.toMatch(/4,20/);

    // Promotions: a happy hour open now, beer at 2,50 €.
    await admin.goto(`${r.base}/apps/admin?tab=promotions&lang=fr`);
    const t = localTime(Date.now(), 'Europe/Paris');
    const form = admin.locator('#new-happy-hour');
    await form.locator('summary').click();
    await form.locator('input[name="id"]').fill('apero');
    await form.locator('input[name="name"]').fill('Apéro');
    await form.locator('input[name="window.from"]').fill(hhmm(t.minute - 30));
    await form.locator('input[name="window.to"]').fill(hhmm(t.minute + 90));
    await form.locator('input[name="price:beer"]').fill('2,50');
    await admin.screenshot({ path: join(SHOTS, 'admin-phone-happy-hour.png') });
    const pushes = configs().length;
    await form.locator('button.primary').click();
    await admin.waitForSelector('li.rule[data-rule="apero"]');
    await until('happy menu on the terminal', () => configs().length > pushes);
    expect(
      configs()
        .at(-1)
        ?.menu?.find((i) => i.sku === 'beer')?.price,
    ).toBe(250);

    // The POS's cart still says 4,20 €: paying is refused as stale, and the grid is repriced.
    await pos.click('#pay-cash');
    // The refusal comes back from the gateway: wait for it (a single read races the response).
    await pos.locator('#msg', { hasText: '420 → 250' }).waitFor();
    await pos.locator('.tile[data-sku="beer"] .price', { hasText: '2,50' }).waitFor();
    await pos.locator('#total', { hasText: '2,50' }).waitFor();
    await pos.screenshot({ path: join(SHOTS, 'admin-pos-stale-happy-hour.png') });
    await pos.click('#pay-cash');
    await until('the order is paid', () => {
      const o = r.gw.ctx.journal.db
        .prepare("SELECT total FROM app_orders WHERE pos = 'bar' AND status = 'paid'")
        .all() as { total: number }[];
      return o.length === 1 && o[0].total === 250;
    });

    // The report on the promotions tab lists what the happy hour took off.
    await admin.reload();
    await expect(admin.locator('table.report tbody').textContent()).resolves.toMatch(/Apéro.*1.*1,70/);
    await admin.screenshot({ path: join(SHOTS, 'admin-phone-promotions.png'), fullPage: true });

    // Terminals: pair the till with the top-up point of sale on a tablet; it switches mode.
    await admin.setViewportSize({ width: 1024, height: 768 });
    await admin.goto(`${r.base}/apps/admin?tab=terminals&lang=en`);
    const row = admin.locator('form.terminal', { hasText: 'till-1' });
    await row.locator('select[name="pos"]').selectOption('cash');
    const modes = configs().length;
    // The page reloads once the save is answered: a screenshot taken during that reload hangs.
    await Promise.all([admin.waitForEvent('load'), row.locator('button').click()]);
    await until(
      'top-up mode on the terminal',
      () => configs().length > modes && configs().at(-1)?.mode === 'topup',
    );
    await admin.waitForSelector('form.terminal');
    await expect(
      admin.locator('form.terminal', { hasText: 'till-1' }).locator('select[name="pos"]').inputValue(),
    ).resolves.toBe('cash');
    await admin.screenshot({ path: join(SHOTS, 'admin-tablet-terminals.png'), fullPage: true });
    await admin.goto(`${r.base}/apps/admin?tab=staff&lang=en`);
    await admin.screenshot({ path: join(SHOTS, 'admin-tablet-staff.png'), fullPage: true });
    expect(dialogs).toEqual([]);
    await ctx.close();
  });
});
