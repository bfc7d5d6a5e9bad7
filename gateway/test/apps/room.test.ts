// Restaurant room over HTTP: table plan, a tab per table, lines per seat, rounds to the kitchen,
// move and merge, and the tab paid by seat (card tap), by amount (bank card) and the rest in cash.
import type { protocol } from '@tibillet/firmware';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ticket } from '../../src/apps/kitchen.js';
import { sleep, tap } from '../helpers.js';
import { CARD, json, type Rig, rig } from './apps-helpers.js';

async function waitCharge(r: Rig, ref: string, ms = 2000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const c = r.till.received.find((m) => m.k === 'charge' && (m.b as protocol.ChargeBody).ref === ref);
    if (c) return c.b as protocol.ChargeBody;
    await sleep(10);
  }
  throw new Error(`charge ${ref} never reached the terminal`);
}

describe('restaurant room', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ credit: 3000 });
    await json(r.base, 'PUT', '/apps/api/kitchen/routes', {
      routes: { 'cat:food': 'kitchen', 'cat:drinks': 'bar' },
    });
    for (const [id, name, x] of [
      ['t1', 'T1', 5],
      ['t2', 'T2', 25],
      ['t3', 'T3', 45],
    ] as const)
      expect(
        (
          await json(r.base, 'PUT', `/apps/api/room/bar/tables/${id}`, {
            name,
            seats: 4,
            x,
            y: 10,
            shape: 'round',
          })
        ).status,
      ).toBe(200);
  });
  afterAll(async () => {
    await r?.close();
  });

  it('keeps the table plan (positions, seats, shapes) and serves the page escaped', async () => {
    await json(r.base, 'PUT', '/apps/api/room/bar/tables/t3', { name: 'T3 <b>', seats: 6, x: 50.5, y: 60 });
    const room = (await json(r.base, 'GET', '/apps/api/room/bar')).body;
    expect(room.tables.find((t: { id: string }) => t.id === 't3')).toMatchObject({
      name: 'T3 <b>',
      seats: 6,
      x: 50.5,
      y: 60,
      shape: 'round',
    });
    expect(
      (await json(r.base, 'PUT', '/apps/api/room/bar/tables/t9', { name: 'x', seats: 4, x: 120 })).status,
    ).toBe(400);
    const html = await (await fetch(`${r.base}/apps/room/bar?lang=en`)).text();
    expect(html).toContain('Edit plan');
    expect(html).not.toContain('<img src=x');
    expect((await fetch(`${r.base}/apps/static/room.js`)).status).toBe(200);
    expect((await fetch(`${r.base}/apps/room/nope`)).status).toBe(404);
  });

  it('a tab: lines per seat, rounds to the kitchen with notes, move, merge, then paid by seat, amount and cash', async () => {
    const open = await json(r.base, 'POST', '/apps/api/room/bar/tables/t1/tab', {
      covers: 2,
      cashier: 'wanda',
    });
    expect(open.status).toBe(200);
    const id = open.body.tab.id as string;
    // a second waiter opening the same table gets the same tab
    expect(
      (await json(r.base, 'POST', '/apps/api/room/bar/tables/t1/tab', { covers: 3, cashier: 'x' })).body.tab
        .id,
    ).toBe(id);
    const add = (lines: object[], key?: string) =>
      json(r.base, 'POST', `/apps/api/tabs/${id}/lines`, { cashier: 'wanda', lines, key });
    const key = 'key-burger-1';
    expect((await add([{ sku: 'burger', qty: 1, price: 900, seat: 1, note: 'no onions' }], key)).status).toBe(
      200,
    );
    expect(
      (await add([{ sku: 'burger', qty: 1, price: 900, seat: 1, note: 'no onions' }], key)).body.tab.lines,
    ).toHaveLength(1); // a double tap adds once
    await add([{ sku: 'soda', qty: 1, price: 200, seat: 2 }]);
    await add([{ sku: 'beer', qty: 1, price: 350, seat: 0 }]);
    expect((await add([{ sku: 'beer', qty: 1, price: 300 }])).body).toMatchObject({ error: 'stale-price' });

    let tab = (await json(r.base, 'GET', `/apps/api/tabs/${id}`)).body;
    expect(tab.order.total).toBe(1450);
    expect(tab.seats).toEqual([
      { seat: 1, total: 1075, paid: 0, due: 1075 },
      { seat: 2, total: 375, paid: 0, due: 375 },
    ]);

    const sent = await json(r.base, 'POST', `/apps/api/tabs/${id}/send`, {
      cashier: 'wanda',
      note: 'allergy: nuts',
    });
    expect(sent.body).toMatchObject({ round: 1, tickets: 2 });
    const kitchen = (await json(r.base, 'GET', '/apps/api/kitchen/kitchen/tickets')).body as Ticket[];
    const k = kitchen.find((t) => t.orderId === `${id}.1`)!;
    expect(k.note).toBe('T1 · 2p · #1 — allergy: nuts');
    expect(k.lines).toEqual([{ sku: 'burger', label: 'Burger', qty: 1, note: 'S1 · no onions' }]);
    expect((await json(r.base, 'POST', `/apps/api/tabs/${id}/send`, { cashier: 'wanda' })).body.tickets).toBe(
      0,
    );
    await add([{ sku: 'soda', qty: 1, price: 200, seat: 1 }]);
    expect(
      (await json(r.base, 'POST', `/apps/api/tabs/${id}/send`, { cashier: 'wanda' })).body,
    ).toMatchObject({
      round: 2,
      tickets: 1,
    });
    // the kitchen bumps round 1 to ready: the room sees it
    for (let i = 0; i < 2; i++) await json(r.base, 'POST', `/apps/api/kitchen/tickets/${k.id}/bump`, {});
    let room = (await json(r.base, 'GET', '/apps/api/room/bar')).body;
    expect(room.tabs).toEqual([
      expect.objectContaining({ id, tables: ['t1'], ready: 1, unsent: 0, total: 1650 }),
    ]);

    // move to T2; T1 is free again
    expect(
      (await json(r.base, 'POST', `/apps/api/tabs/${id}/move`, { to: 't2', cashier: 'wanda' })).body.tab
        .tables,
    ).toEqual(['t2']);
    // T3 has its own tab; it joins T2's (tables pushed together)
    const other = (
      await json(r.base, 'POST', '/apps/api/room/bar/tables/t3/tab', { covers: 1, cashier: 'wanda' })
    ).body.tab.id;
    await json(r.base, 'POST', `/apps/api/tabs/${other}/lines`, {
      cashier: 'wanda',
      lines: [{ sku: 'soda', qty: 2, price: 200, seat: 1 }],
    });
    expect(
      (await json(r.base, 'POST', `/apps/api/tabs/${id}/move`, { to: 't3', cashier: 'wanda' })).body.error,
    ).toBe('table-busy');
    const merged = await json(r.base, 'POST', `/apps/api/tabs/${other}/merge`, {
      table: 't2',
      cashier: 'wanda',
    });
    expect(merged.status).toBe(200);
    tab = merged.body.tab;
    expect(tab).toMatchObject({ id, tables: ['t2', 't3'], covers: 3 });
    expect(tab.order.total).toBe(2050);
    expect(tab.lines.at(-1)).toMatchObject({ sku: 'soda', qty: 2, seat: 3, round: 0 });
    expect((await json(r.base, 'GET', `/apps/api/tabs/${other}`)).body.id).toBe(id); // the merged tab leads to its new home
    room = (await json(r.base, 'GET', '/apps/api/room/bar')).body;
    expect(room.tabs.map((t: { id: string }) => t.id)).toEqual([id]);

    // seat 1 pays by cashless card on the paired terminal
    const p1 = await json(r.base, 'POST', `/apps/api/tabs/${id}/payments`, {
      method: 'card',
      seats: [1],
      cashier: 'wanda',
    });
    expect(p1.status).toBe(200);
    const charge = await waitCharge(r, p1.body.payment.ref);
    expect(charge.amt).toBe(900 + 200 + 117); // seat 1: burger, soda, a third of the shared beer (3 covers now)
    tab = (await json(r.base, 'GET', `/apps/api/tabs/${id}`)).body;
    expect(tab.order.payments[0].status).toBe('pending');
    const tx = tap(r.till, CARD, { ref: charge.ref });
    expect(await r.till.waitResult(tx)).toMatchObject({ ok: true, amt: charge.amt });
    await sleep(50);
    tab = (await json(r.base, 'GET', `/apps/api/tabs/${id}`)).body;
    expect(tab.seats[0]).toMatchObject({ seat: 1, due: 0 });
    expect(tab.status).toBe('open');
    // seat 2 by amount on a bank card, the rest in cash with change
    const p2 = await json(r.base, 'POST', `/apps/api/tabs/${id}/payments`, {
      method: 'bankcard',
      amount: 300,
      cashier: 'wanda',
    });
    expect(p2.body.order.remaining).toBe(2050 - charge.amt - 300);
    const p3 = await json(r.base, 'POST', `/apps/api/tabs/${id}/payments`, {
      method: 'cash',
      tendered: 5000,
      cashier: 'wanda',
    });
    expect(p3.body.order.status).toBe('paid');
    expect(p3.body.change).toBe(5000 - (2050 - charge.amt - 300));
    tab = (await json(r.base, 'GET', `/apps/api/tabs/${id}`)).body;
    expect(tab.status).toBe('closed');
    expect((await json(r.base, 'GET', '/apps/api/room/bar')).body.tabs).toEqual([]);
    // paying did not send the tab to the kitchen again (its rounds went already)
    const all = (await json(r.base, 'GET', '/apps/api/kitchen/all/tickets')).body as Ticket[];
    expect(all.filter((t) => t.orderId === id)).toEqual([]);
    // closing a paid tab wrote its sale on the inalterable chain
    expect((await json(r.base, 'GET', '/apps/api/fiscal/verify')).body).toMatchObject({ ok: true });
    expect(
      (
        r.gw.ctx.journal.db
          .prepare("SELECT count(*) AS n FROM app_fiscal WHERE ref = ? AND kind = 'line'")
          .get(id) as { n: number }
      ).n,
    ).toBe(5);
    expect(
      (
        await json(r.base, 'POST', `/apps/api/tabs/${id}/lines`, {
          cashier: 'w',
          lines: [{ sku: 'soda', qty: 1, price: 200 }],
        })
      ).body.error,
    ).toBe('tab-closed');
  });

  it('a line already sent to the kitchen is removed only with the void right; a busy table cannot be deleted', async () => {
    const id = (
      await json(r.base, 'POST', '/apps/api/room/bar/tables/t1/tab', { covers: 1, cashier: 'mona' })
    ).body.tab.id;
    await json(r.base, 'POST', `/apps/api/tabs/${id}/lines`, {
      cashier: 'mona',
      lines: [
        { sku: 'burger', qty: 1, price: 900 },
        { sku: 'soda', qty: 1, price: 200 },
      ],
    });
    await json(r.base, 'POST', `/apps/api/tabs/${id}/send`, { cashier: 'mona' });
    await json(r.base, 'PUT', '/apps/api/staff/mona', { name: 'Mona', role: 'manager' });
    await json(r.base, 'PUT', '/apps/api/staff/wanda', { name: 'Wanda', role: 'waiter', by: 'mona' });
    await json(r.base, 'POST', `/apps/api/tabs/${id}/lines`, {
      cashier: 'wanda',
      lines: [{ sku: 'beer', qty: 1, price: 350 }],
    });
    let tab = (await json(r.base, 'GET', `/apps/api/tabs/${id}`)).body;
    expect(
      (
        await json(r.base, 'POST', `/apps/api/tabs/${id}/lines/${tab.lines[2].n}/remove`, {
          cashier: 'wanda',
        })
      ).status,
    ).toBe(200);
    const denied = await json(r.base, 'POST', `/apps/api/tabs/${id}/lines/${tab.lines[0].n}/remove`, {
      cashier: 'wanda',
    });
    expect(denied).toMatchObject({ status: 403, body: { error: 'no-right' } });
    const ok = await json(r.base, 'POST', `/apps/api/tabs/${id}/lines/${tab.lines[0].n}/remove`, {
      cashier: 'mona',
    });
    tab = ok.body.tab;
    expect(tab.order.total).toBe(200);
    expect((await fetch(`${r.base}/apps/api/room/bar/tables/t1?by=mona`, { method: 'DELETE' })).status).toBe(
      409,
    );
    expect(
      (await json(r.base, 'PUT', '/apps/api/room/bar/tables/t1', { name: 'T1', seats: 2, by: 'wanda' }))
        .status,
    ).toBe(403);
  });
});
