// The admin API on the gateway: admin sessions only, validated edits that change nothing when
// refused, prices and pairings pushed to terminals as retained config messages, happy hours
// that change the POS's prices (a cart priced before is refused as stale), the promotions
// report, and HTML escaped on the admin screen.
import type { protocol } from '@tibillet/firmware';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTime } from '../../src/promotions/clock.js';
import { device, type TestDevice, tap, until } from '../helpers.js';
import { CARD, cartId, EVIL, json, type Rig, rig } from './apps-helpers.js';

const hhmm = (m: number) => {
  const x = ((m % 1440) + 1440) % 1440;
  return `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
};

describe('gateway admin API', () => {
  let r: Rig;
  let boss: Record<string, string>;
  let ann: Record<string, string>;
  const configs = (d: TestDevice) =>
    d.received.filter((m) => m.k === 'config').map((m) => m.b as protocol.ConfigBody);

  beforeAll(async () => {
    r = await rig();
    r.till.send('hello', { fw: 't', board: 'sim', reader: 'none', mem: 0, reset: 'power' });
    await until('first config', () => configs(r.till).length > 0);
    // Setup mode: the first manager is created without a session, then everything needs one.
    expect(
      (await json(r.base, 'PUT', '/apps/api/staff/boss', { name: 'Boss', role: 'manager', pin: '1234' }))
        .status,
    ).toBe(200);
    const login = await json(r.base, 'POST', '/apps/api/session', { staff: 'boss', pin: '1234' });
    boss = { 'x-tb-session': login.body.token };
    await json(r.base, 'PUT', '/apps/api/staff/ann', { name: 'Ann', role: 'cashier', pin: '5678' }, boss);
    const l2 = await json(r.base, 'POST', '/apps/api/session', { staff: 'ann', pin: '5678' });
    ann = { 'x-tb-session': l2.body.token };
  });
  afterAll(async () => r?.close());

  it('needs an admin session: none → 401, a cashier → 403', async () => {
    const body = { label: 'Bière', price: 400 };
    expect((await json(r.base, 'PUT', '/apps/api/admin/pos/bar/products/beer', body)).status).toBe(401);
    const no = await json(r.base, 'PUT', '/apps/api/admin/pos/bar/products/beer', body, ann);
    expect(no.status).toBe(403);
    expect(no.body.error).toBe('no-right');
    expect((await json(r.base, 'GET', '/apps/api/admin/config', undefined, ann)).status).toBe(403);
    const page = await fetch(`${r.base}/apps/admin?lang=en`);
    expect(await page.text()).toContain('Admin login');
    expect(r.gw.ctx.config().pointsOfSale[0].products[0].price).toBe(350);
  });

  it('a price edit reaches the paired terminal at once', async () => {
    const before = configs(r.till).length;
    const res = await json(
      r.base,
      'PUT',
      '/apps/api/admin/pos/bar/products/beer',
      { label: 'Bière pression', price: 380, memberPrice: 320, category: 'drinks', colour: '#AA3300' },
      boss,
    );
    expect(res).toMatchObject({ status: 200, body: { ok: true } });
    await until('menu pushed', () => configs(r.till).length > before);
    expect(configs(r.till).at(-1)?.menu?.[0]).toEqual({
      sku: 'beer',
      label: 'Bière pression',
      price: 380,
      mprice: 320,
    });
    const pos = await json(r.base, 'GET', '/apps/api/pos/bar');
    expect(pos.body.products[0]).toMatchObject({ price: 380, colour: '#aa3300' });
  });

  it('bad input is refused with a reason and changes nothing', async () => {
    const before = JSON.stringify(r.gw.ctx.config());
    const cases: [string, string, unknown, number, string?][] = [
      ['PUT', '/apps/api/admin/pos/bar/products/beer', { label: 'x', price: -1 }, 400],
      [
        'PUT',
        '/apps/api/admin/pos/bar/products/beer',
        { label: 'x', price: 100, memberPrice: 200 },
        400,
        'member-price-higher',
      ],
      ['PUT', '/apps/api/admin/pos/bar/products/beer', { label: 'x', price: 100, colour: 'red;}' }, 400],
      ['PUT', '/apps/api/admin/pos/nowhere/products/beer', { label: 'x', price: 100 }, 404, 'unknown-pos'],
      ['PUT', '/apps/api/admin/pos/bar', { name: 'Bar', mode: 'casino' }, 400],
      ['PUT', '/apps/api/admin/terminals/ghost', { pos: 'bar' }, 404, 'unknown-terminal'],
      ['PUT', '/apps/api/admin/time-zone', { timeZone: 'Mars/Olympus' }, 400, 'bad-time-zone'],
      [
        'PUT',
        '/apps/api/admin/promotions/x',
        { id: 'y', name: 'X', kind: 'partner', badge: 'B', pct: 10 },
        400,
        'id-mismatch',
      ],
      [
        'PUT',
        '/apps/api/admin/promotions/x',
        { id: 'x', name: 'X', kind: 'partner', badge: 'B', pct: 120 },
        400,
      ],
      ['PUT', '/apps/api/admin/promotions/x', { id: 'x', name: 'X', kind: 'lottery' }, 400],
      [
        'PUT',
        '/apps/api/admin/promotions/x',
        {
          id: 'x',
          name: 'X',
          kind: 'happy-hour',
          windows: [{ days: [1], from: '18:00', to: '18:00' }],
          prices: [{ sku: 'beer', price: 1 }],
        },
        400,
        'bad-rule',
      ],
      [
        'PUT',
        '/apps/api/admin/promotions/x',
        {
          id: 'x',
          name: 'X',
          kind: 'happy-hour',
          windows: [{ days: [8], from: '18:00', to: '19:00' }],
          prices: [],
        },
        400,
      ],
      [
        'PUT',
        '/apps/api/admin/promotions/x',
        {
          id: 'x',
          name: 'X',
          kind: 'history',
          bought: 'caviar',
          times: 2,
          days: 30,
          target: 'beer',
          pct: 10,
        },
        400,
        'unknown-sku',
      ],
      ['DELETE', '/apps/api/admin/promotions/none', undefined, 404, 'unknown-rule'],
    ];
    for (const [method, path, body, status, error] of cases) {
      const res = await json(r.base, method, path, body, boss);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      if (error) expect(res.body.error).toBe(error);
      expect(res.body.message ?? res.body.error).toBeTruthy();
    }
    expect(JSON.stringify(r.gw.ctx.config())).toBe(before);
  });

  it('pairs a terminal with another point of sale: it gets that mode', async () => {
    const before = configs(r.till).length;
    expect(
      (await json(r.base, 'PUT', '/apps/api/admin/terminals/till-1', { pos: 'cash' }, boss)).status,
    ).toBe(200);
    await until(
      'mode pushed',
      () => configs(r.till).length > before && configs(r.till).at(-1)?.mode === 'topup',
    );
    expect(r.gw.ctx.config().pointsOfSale.find((p) => p.id === 'cash')?.devices).toContain('till-1');
    expect(r.gw.ctx.config().pointsOfSale.find((p) => p.id === 'bar')?.devices).not.toContain('till-1');
    await json(r.base, 'PUT', '/apps/api/admin/terminals/till-1', { pos: 'bar' }, boss);
    await until('back at the bar', () => configs(r.till).at(-1)?.mode === 'cashier');
  });

  it('a happy hour changes the POS price; a cart priced before it is refused as stale; the report lists the discount', async () => {
    const t = localTime(Date.now(), 'Europe/Paris');
    const rule = {
      id: 'hh',
      name: 'Apéro',
      kind: 'happy-hour',
      windows: [{ days: [1, 2, 3, 4, 5, 6, 7], from: hhmm(t.minute - 60), to: hhmm(t.minute + 60) }],
      prices: [{ sku: 'beer', price: 250 }],
      categories: [{ category: 'food', pct: 10 }],
    };
    const before = configs(r.till).length;
    expect((await json(r.base, 'PUT', '/apps/api/admin/promotions/hh', rule, boss)).status).toBe(200);
    await until('happy menu pushed', () => configs(r.till).length > before);
    expect(
      configs(r.till)
        .at(-1)
        ?.menu?.find((i) => i.sku === 'beer'),
    ).toMatchObject({ price: 250, mprice: 250 });
    expect(
      configs(r.till)
        .at(-1)
        ?.menu?.find((i) => i.sku === 'burger')?.price,
    ).toBe(810);
    const stale = await json(
      r.base,
      'POST',
      '/apps/api/pos/bar/orders',
      {
        id: cartId(),
        cashier: 'ann',
        lines: [{ sku: 'beer', qty: 2, price: 380 }],
      },
      ann,
    );
    expect(stale.status).toBe(409);
    expect(stale.body.error).toBe('stale-price');
    expect(stale.body.message).toMatch(/380 → 250/);
    const ok = await json(
      r.base,
      'POST',
      '/apps/api/pos/bar/orders',
      {
        id: cartId(),
        cashier: 'ann',
        lines: [
          { sku: 'beer', qty: 2, price: 250 },
          { sku: 'burger', qty: 1, price: 810 },
        ],
      },
      ann,
    );
    expect(ok.body.order.total).toBe(2 * 250 + 810);
    const paid = await json(
      r.base,
      'POST',
      `/apps/api/orders/${ok.body.order.id}/payments`,
      { method: 'cash', cashier: 'ann' },
      ann,
    );
    expect(paid.body.order.status).toBe('paid');
    const rep = await json(r.base, 'GET', '/apps/api/admin/promotions/report', undefined, boss);
    expect(rep.body).toEqual([{ rule: 'hh', name: 'Apéro', uses: 1, amount: 2 * 130 + 90 }]);
    const viaReports = await json(r.base, 'GET', '/apps/api/reports/discounts');
    expect(viaReports.body).toEqual(rep.body);
    const reportsPage = await (await fetch(`${r.base}/apps/reports?lang=en`)).text();
    expect(reportsPage).toContain('Discounts per promotion');
    // The rule shows on the admin screen; turning it off brings the list prices back.
    const html = await (await fetch(`${r.base}/apps/admin?tab=promotions&lang=fr`, { headers: boss })).text();
    expect(html).toContain('Apéro');
    expect(html).toMatch(/3,50/); // the report's amount, in French
    const off = { ...rule, active: false };
    await json(r.base, 'PUT', '/apps/api/admin/promotions/hh', off, boss);
    expect((await json(r.base, 'GET', '/apps/api/pos/bar')).body.products[0].price).toBe(380);
    expect((await json(r.base, 'DELETE', '/apps/api/admin/promotions/hh', undefined, boss)).status).toBe(200);
    expect(r.gw.ctx.config().promotions).toEqual([]);
  });

  it('escapes HTML typed into names on the admin screen', async () => {
    await json(
      r.base,
      'PUT',
      '/apps/api/admin/pos/bar/products/evil2',
      { label: EVIL.slice(0, 64), price: 100 },
      boss,
    );
    await json(r.base, 'PUT', '/apps/api/staff/eve', { name: EVIL.slice(0, 64), role: 'kitchen' }, boss);
    for (const tab of ['menu', 'staff', 'promotions', 'terminals']) {
      const html = await (await fetch(`${r.base}/apps/admin?tab=${tab}`, { headers: boss })).text();
      expect(html).not.toContain('<img src=x');
      expect(html).not.toContain('<script>alert');
    }
    const menu = await (await fetch(`${r.base}/apps/admin?tab=menu`, { headers: boss })).text();
    expect(menu).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
  });

  it('history rules count what the card bought at the POS (paid by card) and on terminal carts', async () => {
    const t = r.till;
    const top = await json(
      r.base,
      'PUT',
      '/apps/api/admin/promotions/loyal',
      {
        id: 'loyal',
        name: 'Fidèle',
        kind: 'history',
        bought: 'burger',
        times: 1,
        days: 30,
        target: 'soda',
        pct: 50,
      },
      boss,
    );
    expect(top.status).toBe(200);
    const credit = tap(r.topup, CARD, { mode: 'topup', amt: 5000 });
    expect((await r.topup.waitResult(credit)).ok).toBe(true);
    const soda = [{ sku: 'soda', qty: 1, price: 200 }];
    expect((await t.pay(CARD, { cart: soda })).amt).toBe(200);
    const order = await json(
      r.base,
      'POST',
      '/apps/api/pos/bar/orders',
      {
        id: cartId(),
        cashier: 'ann',
        lines: [{ sku: 'burger', qty: 1, price: 900 }],
      },
      ann,
    );
    const seen = t.received.filter((m) => m.k === 'charge').length;
    const pay = await json(
      r.base,
      'POST',
      `/apps/api/orders/${order.body.order.id}/payments`,
      { method: 'card', cashier: 'ann', deviceId: 'till-1' },
      ann,
    );
    expect(pay.body.payment?.status, JSON.stringify([order.body, pay.body])).toBe('pending');
    await until('charge', () => t.received.filter((m) => m.k === 'charge').length > seen);
    const charge = t.received.filter((m) => m.k === 'charge').at(-1)!.b as protocol.ChargeBody;
    expect((await t.pay(CARD, { ref: charge.ref })).amt).toBe(900);
    await until(
      'paid',
      () =>
        r.gw.ctx.journal.db
          .prepare("SELECT 1 FROM app_orders WHERE id = ? AND status = 'paid'")
          .get(order.body.order.id) !== undefined,
    );
    const r2 = await t.pay(CARD, { cart: soda });
    expect(r2).toMatchObject({ ok: true, amt: 100, lines: ['Fidèle -1.00'] });
    await json(r.base, 'DELETE', '/apps/api/admin/promotions/loyal', undefined, boss);
  });

  it('a terminal that reconnects finds its latest menu retained, before it says hello', async () => {
    await r.till.close();
    const again = await device(`mqtt://127.0.0.1:${r.gw.brokerPort}`, 'till-1');
    try {
      await until('retained config', () => configs(again).length > 0);
      expect(configs(again)[0].menu?.[0]).toMatchObject({ sku: 'beer', price: 380 });
    } finally {
      await again.close();
    }
  });
});
