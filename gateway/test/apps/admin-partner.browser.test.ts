// Partner rules made on the admin screen (Chromium, phone size): the membership is named by its
// product (the cloud's membership periods decide: a current period gets the perk, an expired one
// does not) or by its badge, one or the other; a product the gateway has no periods for gives no
// discount and is flagged in the rules list. Bad products/badges are refused by the API with a
// reason, a log line and no change; what the cloud sends is escaped on the screen.
// Screenshots go to test-output/apps/.
import { join } from 'node:path';
import type { protocol } from '@tibillet/firmware';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { baseConfig } from '../../src/promotions/menu.js';
import type { PartnerRule } from '../../src/promotions/rules.js';
import { membershipCacheOf } from '../../src/sync/membership-cache.js';
import { adminScreenRig, type ScreenRig } from './admin-screen.js';
import { EVIL, json } from './apps-helpers.js';
import { phonePage, SHOTS } from './browser.js';

const MEMBER = '04000000000501'; // a current period of the café's yearly membership
const EXPIRED = '04000000000502'; // that membership ended a month ago (its badge still on the card)
const DAY = 86_400_000;
const PRODUCT = 'mp-cafe-year';

describe('partner rules on the admin screen', () => {
  let r: ScreenRig;
  let boss: Record<string, string>;
  const soda = [{ sku: 'soda', qty: 1, price: 200 }];
  const burger = [{ sku: 'burger', qty: 1, price: 900 }];
  const rules = () => r.gw.ctx.config().promotions ?? [];

  beforeAll(async () => {
    r = await adminScreenRig();
    for (const uid of [MEMBER, EXPIRED]) {
      r.gw.ctx.book.apply(r.gw.ctx.book.get(uid), [{ asset: 'EUR', amount: 10_000 }], 1);
      r.gw.ctx.book.apply(r.gw.ctx.book.get(uid), [{ asset: 'MEMBER:cafe', amount: 1 }], 1);
    }
    // What the cloud shipped: the periods of the café's yearly membership product.
    const now = Date.now();
    membershipCacheOf(r.gw.ctx)!.applyDoc(
      {
        ttlMs: 15 * 60_000,
        standInMs: DAY,
        cards: [],
        partners: [
          {
            key: `product:${PRODUCT}`,
            cards: [
              { cardUid: MEMBER, validFrom: now - 10 * DAY, validUntil: now + 300 * DAY },
              { cardUid: EXPIRED, validFrom: now - 400 * DAY, validUntil: now - 30 * DAY },
            ],
          },
        ],
      },
      now,
    );
    expect(
      (await json(r.base, 'PUT', '/apps/api/staff/boss', { name: 'Boss', role: 'manager', pin: '1357' }))
        .status,
    ).toBe(200);
    const login = await json(r.base, 'POST', '/apps/api/session', { staff: 'boss', pin: '1357' });
    boss = { 'x-tb-session': login.body.token };
  });
  afterAll(async () => {
    await r?.close();
  });

  it('a rule made on the screen with a membership product: a current period gets the perk, an expired one not; an unknown product gives nothing', {
    timeout: 90_000,
  }, async () => {
    const { ctx, page: admin, dialogs } = await phonePage(r.browser);
    await admin.goto(`${r.base}/apps/admin?lang=fr`);
    await admin.fill('#admin-login input[name="pin"]', '1357');
    await Promise.all([admin.waitForEvent('load'), admin.click('#admin-login button.primary')]);
    await admin.waitForSelector('nav.tabs');
    await admin.goto(`${r.base}/apps/admin?tab=promotions&lang=fr`);

    const form = admin.locator('#new-partner');
    const add = async (o: {
      id: string;
      name: string;
      by: 'product' | 'badge';
      key: string;
      pct: string;
      cats?: string;
    }) => {
      await admin.locator('#new-partner summary').click();
      await form.locator('input[name="id"]').fill(o.id);
      await form.locator('input[name="name"]').fill(o.name);
      await form.locator('select[name="keyKind"]').selectOption(o.by);
      await form.locator('input[name="partnerKey"]').fill(o.key);
      await form.locator('input[name="pct"]').fill(o.pct);
      if (o.cats) await form.locator('input[name="categories"]').fill(o.cats);
      await Promise.all([admin.waitForEvent('load'), form.locator('button.primary').click()]);
      await admin.waitForSelector(`li.rule[data-rule="${o.id}"]`);
    };

    // The form offers the product first, says what a product without periods does, and lists
    // the products the cloud sent periods for.
    await admin.locator('#new-partner summary').click();
    await expect(form.locator('select[name="keyKind"]').inputValue()).resolves.toBe('product');
    await expect(form.locator('.hint').textContent()).resolves.toMatch(/aucune période.*aucune remise/);
    await expect(admin.locator('#partner-keys option').getAttribute('value')).resolves.toBe(PRODUCT);
    await admin.locator('#new-partner summary').click();

    await add({
      id: 'cafe-year',
      name: 'Café annuel',
      by: 'product',
      key: PRODUCT,
      pct: '50',
      cats: 'drinks',
    });
    expect(rules().find((x) => x.id === 'cafe-year')).toEqual({
      id: 'cafe-year',
      name: 'Café annuel',
      kind: 'partner',
      product: PRODUCT,
      pct: 50,
      categories: ['drinks'],
      source: 'local',
    });
    const item = admin.locator('li.rule[data-rule="cafe-year"]');
    await expect(item.textContent()).resolves.toContain(`produit d'adhésion ${PRODUCT} → −50 %`);
    await expect(item.textContent()).resolves.not.toContain('⚠');

    // The old way still works: the badge, alone.
    await add({
      id: 'cafe-badge',
      name: 'Café badge',
      by: 'badge',
      key: 'MEMBER:cafe',
      pct: '5',
      cats: 'snacks',
    });
    expect(rules().find((x) => x.id === 'cafe-badge')).toMatchObject({ badge: 'MEMBER:cafe', pct: 5 });
    expect(rules().find((x) => x.id === 'cafe-badge')).not.toHaveProperty('product');

    // A product the cloud sent no periods for: kept, flagged, never a discount (badge or not).
    await add({ id: 'ghost', name: 'Fantôme', by: 'product', key: 'mp-nowhere', pct: '90' });
    await expect(admin.locator('li.rule[data-rule="ghost"]').textContent()).resolves.toContain(
      "⚠ aucune période d'adhésion reçue du cloud pour ce produit : pas de remise",
    );
    await admin.screenshot({ path: join(SHOTS, 'admin-phone-partner-rules.png'), fullPage: true });

    // At the bar (terminal carts, priced by the gateway).
    const pay = (uid: string, cart: typeof soda) => r.till.pay(uid, { cart } as Partial<protocol.TapBody>);
    await expect(pay(MEMBER, soda)).resolves.toMatchObject({
      ok: true,
      amt: 100,
      lines: ['Café annuel -1.00'],
    });
    const lapsed = await pay(EXPIRED, soda);
    expect(lapsed).toMatchObject({ ok: true, amt: 200 });
    expect(lapsed.lines).toBeUndefined();
    // only the ghost rule could lower a burger: it does not
    const food = await pay(MEMBER, burger);
    expect(food).toMatchObject({ ok: true, amt: 900 });
    expect(food.lines).toBeUndefined();

    // Markup typed as a product (the browser's own check bypassed): the gateway's refusal is shown.
    const before = JSON.stringify(r.gw.ctx.config());
    await admin.locator('#new-partner summary').click();
    await form.evaluate((f) => {
      (f.querySelector('form') as HTMLFormElement).noValidate = true;
    });
    await form.locator('input[name="id"]').fill('evil');
    await form.locator('input[name="name"]').fill('Evil');
    await form.locator('input[name="partnerKey"]').fill('<script>alert(1)</script>');
    await form.locator('button.primary').click();
    await form.locator('.msg', { hasText: 'Règle partenaire invalide' }).waitFor();
    await expect(form.locator('.msg').textContent()).resolves.toMatch(/letters, digits/);
    expect(JSON.stringify(r.gw.ctx.config())).toBe(before);
    await admin.screenshot({ path: join(SHOTS, 'admin-phone-partner-refused.png'), fullPage: true });
    expect(dialogs).toEqual([]);
    await ctx.close();
  });

  it('the API refuses both, neither, empty, too long or markup with a reason, a log line and no change', async () => {
    const warn = vi.spyOn(r.gw.ctx.log, 'warn');
    const before = JSON.stringify(r.gw.ctx.config());
    const rule = { id: 'x', name: 'X', kind: 'partner', pct: 10 };
    const cases: [object, RegExp][] = [
      [{ product: PRODUCT, badge: 'MEMBER:cafe' }, /either a membership product or a badge, not both/],
      [{}, /needs the partner's membership product \(product\) or its badge \(badge\)/],
      [{ product: '' }, /membership product is empty/],
      [{ badge: '   ' }, /badge is empty/],
      [{ product: 'p'.repeat(65) }, /membership product is too long \(at most 64 characters\)/],
      [{ product: '<script>alert(1)</script>' }, /membership product may only hold letters, digits/],
      [{ badge: EVIL.slice(0, 64) }, /badge may only hold letters, digits/],
    ];
    for (const [key, message] of cases) {
      const res = await json(r.base, 'PUT', '/apps/api/admin/promotions/x', { ...rule, ...key }, boss);
      expect(res.status, JSON.stringify(key)).toBe(400);
      expect(res.body, JSON.stringify(key)).toMatchObject({ error: 'bad-partner', message });
    }
    expect(JSON.stringify(r.gw.ctx.config())).toBe(before);
    const refusals = warn.mock.calls.filter(([, msg]) => msg === 'admin: edit refused');
    expect(refusals).toHaveLength(cases.length);
    expect(refusals.every(([o]) => (o as { error?: string }).error === 'bad-partner')).toBe(true);
    warn.mockRestore();
    // without an admin session the body is not judged
    const anon = await json(r.base, 'PUT', '/apps/api/admin/promotions/x', { ...rule, product: '' });
    expect(anon.status).toBe(401);
    // other rules keep the schema's words
    const pct = await json(
      r.base,
      'PUT',
      '/apps/api/admin/promotions/x',
      { ...rule, badge: 'B', pct: 120 },
      boss,
    );
    expect(pct).toMatchObject({
      status: 400,
      body: { error: 'bad-request', message: expect.stringMatching(/pct/) },
    });
  });

  it("the cloud's rules: escaped on the screen; one naming both can still be turned off here", async () => {
    const cloud: PartnerRule[] = [
      {
        id: 'cloud-evil',
        name: EVIL.slice(0, 80),
        kind: 'partner',
        product: EVIL.slice(0, 64),
        pct: 10,
        source: 'cloud',
      },
      {
        id: 'cloud-both',
        name: 'Both',
        kind: 'partner',
        product: PRODUCT,
        badge: 'MEMBER:cafe',
        pct: 10,
        source: 'cloud',
      },
    ];
    const base = baseConfig(r.gw.ctx.config());
    await r.gw.setConfig({ ...base, promotions: [...(base.promotions ?? []), ...cloud] });
    for (const lang of ['fr', 'en']) {
      const html = await (
        await fetch(`${r.base}/apps/admin?tab=promotions&lang=${lang}`, { headers: boss })
      ).text();
      expect(html).not.toContain('<img src=x');
      expect(html).not.toContain('<script>alert');
      expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
      expect(html).toContain(lang === 'fr' ? 'Adhérents reconnus par' : 'Members recognised by');
      expect(html).toContain(
        lang === 'fr' ? 'Produit d&#39;adhésion (périodes)' : 'Membership product (periods)',
      );
      expect(html).toContain(
        lang === 'fr'
          ? 'un produit dont elle n&#39;a aucune période ne donne aucune remise'
          : 'a product it has no periods for gives no discount',
      );
    }
    // the on/off button sends the rule back as it is
    for (const x of cloud) {
      const { source: _s, ...off } = { ...x, active: false };
      const res = await json(r.base, 'PUT', `/apps/api/admin/promotions/${x.id}`, off, boss);
      expect(res.status, x.id).toBe(200);
      expect(rules().find((y) => y.id === x.id)).toMatchObject({ active: false, product: x.product });
    }
  });
});
