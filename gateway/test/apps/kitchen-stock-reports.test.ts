import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cartId, EVIL, json, type Rig, rig, sse } from './apps-helpers.js';

type Ticket = {
  id: number;
  orderId: string;
  station: string;
  state: string;
  lines: { sku: string; qty: number; label: string; note?: string }[];
  note: string | null;
};

async function sell(
  r: Rig,
  cashier: string,
  lines: { sku: string; qty: number; price: number; note?: string }[],
  method: 'cash' | 'bankcard' = 'cash',
  note?: string,
) {
  const id = cartId();
  const o = await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
    id,
    cashier,
    lines,
    ...(note ? { note } : {}),
  });
  expect(o.status, JSON.stringify(o.body)).toBe(200);
  const p = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, { method, cashier });
  expect(p.body.order.status).toBe('paid');
  return id;
}

describe('kitchen and bar display', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
    expect(
      (
        await json(r.base, 'PUT', '/apps/api/kitchen/routes', {
          routes: { 'cat:food': 'kitchen', beer: 'bar', soda: 'bar' },
        })
      ).status,
    ).toBe(200);
  });
  afterAll(async () => r?.close());

  it('a paid order is routed per station with its notes, and flows new → preparing → ready → served over SSE, with undo', async () => {
    const kitchen = await sse(`${r.base}/apps/api/kitchen/kitchen/events`);
    const bar = await sse(`${r.base}/apps/api/kitchen/bar/events`);
    const pos = await sse(`${r.base}/apps/api/pos/bar/events`);
    expect((await kitchen.next((e) => e.event === 'snapshot')).data).toEqual([]);
    await bar.next((e) => e.event === 'snapshot');
    const id = await sell(
      r,
      'alice',
      [
        { sku: 'burger', qty: 2, price: 900, note: 'no onions' },
        { sku: 'beer', qty: 1, price: 350 },
      ],
      'cash',
      'table 4',
    );
    const k = (await kitchen.next((e) => e.event === 'ticket')).data as Ticket;
    expect(k).toMatchObject({
      orderId: id,
      station: 'kitchen',
      state: 'new',
      note: 'table 4',
      lines: [{ sku: 'burger', qty: 2, note: 'no onions' }],
    });
    expect((await bar.next((e) => e.event === 'ticket')).data).toMatchObject({
      station: 'bar',
      lines: [{ sku: 'beer', qty: 1 }],
    });

    const bump = (from?: string) =>
      json(r.base, 'POST', `/apps/api/kitchen/tickets/${k.id}/bump`, from ? { from } : {});
    expect((await bump('new')).body.state).toBe('preparing');
    expect((await bump('new')).body.state).toBe('preparing'); // a second screen's stale bump does nothing
    expect((await kitchen.next((e) => e.event === 'ticket')).data.state).toBe('preparing');
    expect((await bump()).body.state).toBe('ready');
    expect((await pos.next((e) => e.event === 'ready')).data).toEqual({
      orderId: id,
      station: 'kitchen',
      ticket: k.id,
    });
    expect((await json(r.base, 'POST', `/apps/api/kitchen/tickets/${k.id}/undo`, {})).body.state).toBe(
      'preparing',
    );
    await bump();
    expect((await bump()).body.state).toBe('served');
    expect((await bump()).body.state).toBe('served');
    const open = (await json(r.base, 'GET', '/apps/api/kitchen/kitchen/tickets')).body as Ticket[];
    expect(open.find((t) => t.id === k.id)).toBeUndefined();
    expect(
      (await json(r.base, 'GET', '/apps/api/kitchen/all/tickets')).body.map((t: Ticket) => t.station),
    ).toEqual(['bar']);
    expect((await json(r.base, 'POST', '/apps/api/kitchen/tickets/99999/bump', {})).status).toBe(404);
    for (const s of [kitchen, bar, pos]) s.close();
  });

  it('an order sent before payment (table service) gets one ticket, not two; a void withdraws it', async () => {
    const id = cartId();
    await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id,
      cashier: 'alice',
      lines: [{ sku: 'burger', qty: 1, price: 900 }],
    });
    expect((await json(r.base, 'POST', `/apps/api/orders/${id}/send`)).body.tickets).toBe(1);
    expect((await json(r.base, 'POST', `/apps/api/orders/${id}/send`)).body.tickets).toBe(0);
    await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, { method: 'cash', cashier: 'alice' });
    const mine = ((await json(r.base, 'GET', '/apps/api/kitchen/kitchen/tickets')).body as Ticket[]).filter(
      (t) => t.orderId === id,
    );
    expect(mine).toHaveLength(1);
    const kitchen = await sse(`${r.base}/apps/api/kitchen/kitchen/events`);
    await json(r.base, 'POST', `/apps/api/orders/${id}/void`, { reason: 'cancelled', cashier: 'alice' });
    expect((await kitchen.next((e) => e.event === 'ticket')).data).toMatchObject({
      orderId: id,
      state: 'voided',
    });
    kitchen.close();
  });

  it('serves the display page, escaped', async () => {
    const html = await (await fetch(`${r.base}/apps/kitchen/bar?lang=en`)).text();
    expect(html).toContain('Preparation display · bar');
    expect((await fetch(`${r.base}/apps/kitchen/%3Cb%3E`)).status).toBe(400);
  });
});

describe('stock', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
    const put = (id: string, body: object) => json(r.base, 'PUT', `/apps/api/stock/items/${id}`, body);
    expect(
      (await put('keg', { name: 'Fût de bière', unit: 'cl', qty: 1000, low: 200, cost: 1 })).status,
    ).toBe(200);
    await put('bun', { name: 'Pain burger', unit: 'pc', qty: 3, low: 1, cost: 30 });
    await put('patty', { name: 'Steak', unit: 'pc', qty: 10, low: 2, cost: 120 });
    await put('soda', { name: EVIL, unit: 'can', qty: 10, low: 0, cost: 50 });
    expect(
      (await json(r.base, 'PUT', '/apps/api/stock/recipes/beer', { parts: [{ item: 'keg', qty: 25 }] }))
        .status,
    ).toBe(200);
    await json(r.base, 'PUT', '/apps/api/stock/recipes/burger', {
      parts: [
        { item: 'bun', qty: 1 },
        { item: 'patty', qty: 1 },
      ],
    });
    expect(
      (await json(r.base, 'PUT', '/apps/api/stock/recipes/x', { parts: [{ item: 'nope', qty: 1 }] })).status,
    ).toBe(404);
  });
  afterAll(async () => r?.close());

  const qty = async (id: string) =>
    ((await json(r.base, 'GET', '/apps/api/stock')).body.items as { id: string; qty: number }[]).find(
      (i) => i.id === id,
    )!.qty;

  it('a sale decrements its recipes (or the item of the same sku), alerts when low, and a void puts it back', async () => {
    const stock = await sse(`${r.base}/apps/api/stock/events`);
    const pos = await sse(`${r.base}/apps/api/pos/bar/events`);
    const id = await sell(r, 'alice', [
      { sku: 'beer', qty: 2, price: 350 },
      { sku: 'burger', qty: 2, price: 900 },
      { sku: 'soda', qty: 1, price: 200 },
    ]);
    expect(await qty('keg')).toBe(950);
    expect(await qty('bun')).toBe(1);
    expect(await qty('patty')).toBe(8);
    expect(await qty('soda')).toBe(9);
    expect((await stock.next((e) => e.event === 'low')).data).toMatchObject({ id: 'bun', qty: 1, low: 1 });
    expect((await pos.next((e) => e.event === 'low')).data).toMatchObject({ id: 'bun', name: 'Pain burger' });
    expect(
      (await json(r.base, 'GET', '/apps/api/stock')).body.alerts.map((a: { id: string }) => a.id),
    ).toEqual(['bun']);
    await json(r.base, 'POST', `/apps/api/orders/${id}/void`, { reason: 'test', cashier: 'alice' });
    expect(await qty('keg')).toBe(1000);
    expect(await qty('bun')).toBe(3);
    const moves = (await json(r.base, 'GET', '/apps/api/stock/moves')).body as {
      item: string;
      reason: string;
      ref: string;
    }[];
    expect(
      moves
        .filter((m) => m.ref === id)
        .map((m) => m.reason)
        .sort(),
    ).toEqual(['sale', 'sale', 'sale', 'sale', 'void', 'void', 'void', 'void']);
    stock.close();
    pos.close();
  });

  it('manual adjustments need a reason; inventory counts record the difference; stock value', async () => {
    expect((await json(r.base, 'POST', '/apps/api/stock/adjust', { item: 'keg', delta: -30 })).status).toBe(
      400,
    );
    expect(
      (await json(r.base, 'POST', '/apps/api/stock/adjust', { item: 'keg', delta: -30, reason: 'breakage' }))
        .body.item.qty,
    ).toBe(970);
    expect(
      (await json(r.base, 'POST', '/apps/api/stock/adjust', { item: 'ghost', delta: 1, reason: 'x' })).status,
    ).toBe(404);
    expect((await json(r.base, 'POST', '/apps/api/stock/count', { item: 'keg', counted: 900 })).body).toEqual(
      { ok: true, delta: -70 },
    );
    const s = (await json(r.base, 'GET', '/apps/api/stock')).body;
    expect(s.value).toBe(900 * 1 + 3 * 30 + 10 * 120 + 10 * 50);
    const moves = (await json(r.base, 'GET', '/apps/api/stock/moves')).body as {
      reason: string;
      delta: number;
    }[];
    expect(moves.slice(0, 2)).toMatchObject([
      { reason: 'count', delta: -70 },
      { reason: 'adjust:breakage', delta: -30 },
    ]);
    const html = await (await fetch(`${r.base}/apps/stock`)).text();
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img');
  });

  it('with staff declared, a cashier cannot adjust stock, a manager can', async () => {
    await json(r.base, 'PUT', '/apps/api/staff/mona', { name: 'Mona', role: 'manager' });
    await json(r.base, 'PUT', '/apps/api/staff/alice', { name: 'Alice', role: 'cashier', by: 'mona' });
    expect(
      (
        await json(r.base, 'POST', '/apps/api/stock/adjust', {
          item: 'keg',
          delta: 5,
          reason: 'x',
          by: 'alice',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await json(r.base, 'POST', '/apps/api/stock/adjust', {
          item: 'keg',
          delta: 5,
          reason: 'x',
          by: 'mona',
        })
      ).status,
    ).toBe(200);
  });
});

describe('reports', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
  });
  afterAll(async () => r?.close());

  it('Z-report per POS and cashier balances; the cash closure records counted vs expected and starts a new period', async () => {
    await sell(r, 'alice', [{ sku: 'beer', qty: 2, price: 350 }]);
    await sell(r, 'alice', [{ sku: 'soda', qty: 2, price: 200 }], 'bankcard');
    await sell(r, 'bob', [{ sku: 'burger', qty: 1, price: 900 }]);
    const voided = await sell(r, 'bob', [{ sku: 'soda', qty: 1, price: 200 }]);
    await json(r.base, 'POST', `/apps/api/orders/${voided}/void`, { reason: 'x', cashier: 'bob' });
    const z = (await json(r.base, 'GET', '/apps/api/reports/z?pos=bar')).body;
    expect(z).toMatchObject({
      pos: 'bar',
      orders: 3,
      voided: 1,
      sales: 2000,
      byMethod: { cash: 1600, bankcard: 400 },
      voids: { cash: 200 },
      expectedCash: 1600,
      byCashier: { alice: { orders: 2, sales: 1100 }, bob: { orders: 1, sales: 900 } },
    });
    expect(Object.values(z.byMethod as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(z.sales);
    const alice = (await json(r.base, 'GET', '/apps/api/reports/z?pos=bar&cashier=alice')).body;
    expect(alice).toMatchObject({ orders: 2, sales: 1100, expectedCash: 700 });
    const closed = (await json(r.base, 'POST', '/apps/api/reports/z/close', { pos: 'bar', counted: 1550 }))
      .body;
    expect(closed).toMatchObject({ counted: 1550, diff: -50, z: { expectedCash: 1600 } });
    await new Promise((res) => setTimeout(res, 5));
    expect((await json(r.base, 'GET', '/apps/api/reports/z?pos=bar')).body).toMatchObject({
      orders: 0,
      sales: 0,
      expectedCash: 0,
    });
    expect((await json(r.base, 'GET', '/apps/api/reports/closures')).body).toHaveLength(1);
  });

  it('sales by product and by hour, CSV export safe for spreadsheets, charts on the page', async () => {
    const byProduct = (await json(r.base, 'GET', '/apps/api/reports/sales?by=product')).body;
    expect(byProduct).toEqual([
      { key: 'burger', label: 'Burger', qty: 1, orders: 1, amount: 900 },
      { key: 'beer', label: 'Bière', qty: 2, orders: 1, amount: 700 },
      { key: 'soda', label: 'Soda', qty: 2, orders: 1, amount: 400 },
    ]);
    const byHour = (await json(r.base, 'GET', '/apps/api/reports/sales?by=hour')).body;
    expect(byHour).toHaveLength(1);
    expect(byHour[0]).toMatchObject({ orders: 3, amount: 2000 });
    expect(byHour[0].key).toMatch(/^\d{4}-\d\d-\d\d \d\d:00$/);

    // a menu change: the old price is refused, a formula-like label is defused in CSV
    const cfg = r.gw.ctx.config();
    await r.gw.setConfig({
      ...cfg,
      pointsOfSale: cfg.pointsOfSale.map((p) =>
        p.id === 'bar'
          ? {
              ...p,
              products: [
                ...p.products.filter((x) => x.sku !== 'evil'),
                { sku: 'evil', label: '=cmd|"/c calc"!A1', price: 150 },
              ],
            }
          : p,
      ),
    });
    const stale = await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id: cartId(),
      cashier: 'bob',
      lines: [{ sku: 'evil', qty: 1, price: 100 }],
    });
    expect(stale).toMatchObject({ status: 409, body: { error: 'stale-price' } });
    await sell(r, 'bob', [{ sku: 'evil', qty: 1, price: 150 }]);
    const res = await fetch(`${r.base}/apps/api/reports/sales.csv?by=product`);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toContain('sales-by-product.csv');
    const csv = await res.text();
    expect(csv.split('\r\n')[0]).toBe('product,label,qty,orders,amount_minor');
    expect(csv).toContain(`evil,"'=cmd|""/c calc""!A1",1,1,150`);

    const html = await (await fetch(`${r.base}/apps/reports?lang=en`)).text();
    expect(html).toContain('<svg class="chart"');
    expect(html).toContain('Z report · Bar');
    expect(html).toContain('Burger');
    const insight = (await json(r.base, 'GET', '/apps/api/reports/insight')).body;
    expect(insight).toMatchObject({ orders: 4, basketAvg: Math.round(2150 / 4) });
  });
});
