// Member prices at the cashier POS: the POS rings orders up at list prices (the same for everyone);
// once a card pays the whole order (terminal tap on the POS charge, or the POS's own NFC reader)
// and the gateway's membership cache (the door's source) says it is a member here, the order is
// charged at member prices: the terminal and the POS show the amount charged, the fiscal chain
// records the discounted lines, the receipt shows the discount. Partner perks follow the partner
// venue's membership periods (an expired one gets nothing, badge or not). Split payments keep
// the list prices.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMBER_PRICE_RULE } from '../src/authorizer/promotions.js';
import { baseConfig } from '../src/promotions/menu.js';
import type { PromotionRule } from '../src/promotions/rules.js';
import { membershipCacheOf } from '../src/sync/membership-cache.js';
import { json, posOrders, type Rig, receiptPrinter, rig } from './apps/apps-helpers.js';
import { orderFiscal } from './apps/order-fiscal.js';
import type { printerSim } from './apps/printer-sim.js';

const MEMBER = '04000000000401';
const BOTH = '04000000000402'; // a member here and of the partner café
const LAPSED = '04000000000403'; // not a member here; the café membership expired (badge kept)
const SPLIT = '04000000000404';
const DAY = 86_400_000;

const RULES: PromotionRule[] = [
  {
    id: 'cafe',
    name: 'Café',
    kind: 'partner',
    badge: 'MEMBER:cafe',
    pct: 10,
    categories: ['drinks', 'food'],
  },
];

describe('member prices on POS orders paid by card', () => {
  let r: Rig;
  let printer: Awaited<ReturnType<typeof printerSim>>;
  let jobs = 0;
  const bal = (uid: string) => r.gw.ctx.book.available(r.gw.ctx.book.get(uid), 'EUR');
  const { order, payByTap } = posOrders(() => r);

  beforeAll(async () => {
    r = await rig();
    const base = baseConfig(r.gw.ctx.config());
    await r.gw.setConfig({ ...base, promotions: RULES });
    for (const uid of [MEMBER, BOTH, LAPSED, SPLIT]) {
      r.gw.ctx.book.apply(r.gw.ctx.book.get(uid), [{ asset: 'EUR', amount: 10_000 }], 1);
      r.gw.ctx.book.apply(r.gw.ctx.book.get(uid), [{ asset: 'MEMBER:cafe', amount: 1 }], 1);
    }
    // What the cloud shipped: this venue's members, and the café's (the partner rule's badge)
    const now = Date.now();
    const run = (cardUid: string, from: number, until: number) => ({
      cardUid,
      validFrom: from,
      validUntil: until,
    });
    membershipCacheOf(r.gw.ctx)!.applyDoc(
      {
        ttlMs: 15 * 60_000,
        standInMs: DAY,
        cards: [
          run(MEMBER, now - 10 * DAY, now + 300 * DAY),
          run(BOTH, now - 10 * DAY, now + 300 * DAY),
          run(SPLIT, now - 10 * DAY, now + 300 * DAY),
        ],
        partners: [
          {
            key: 'MEMBER:cafe',
            cards: [run(BOTH, now - DAY, now + 100 * DAY), run(LAPSED, now - 400 * DAY, now - 35 * DAY)],
          },
        ],
      },
      now,
    );
    printer = await receiptPrinter(r);
  });
  afterAll(async () => {
    await printer?.close();
    await r?.close();
  });

  it('a member pays a whole order at member prices by a terminal tap: terminal, POS, fiscal, receipt, report', async () => {
    const before = bal(MEMBER);
    const id = await order([
      { sku: 'beer', qty: 2, price: 350 },
      { sku: 'soda', qty: 1, price: 200 },
    ]);
    const { charge, result, order: o } = await payByTap(id, MEMBER);
    expect(charge.amt).toBe(900); // asked the order's total (list prices)
    expect(result).toMatchObject({ ok: true, amt: 800, lines: ['Membre -1.00'] }); // charged at member prices
    expect(bal(MEMBER)).toBe(before - 800);
    expect(o).toMatchObject({ status: 'paid', total: 800, paid: 800, remaining: 0 });
    expect(o.payments).toEqual([
      expect.objectContaining({ method: 'card', status: 'approved', amount: 800 }),
    ]);
    expect(o.lines).toEqual([
      expect.objectContaining({ sku: 'beer', qty: 2, price: 300, list: 350, promo: 'Prix adhérent' }),
      expect.objectContaining({ sku: 'soda', qty: 1, price: 200 }),
    ]);
    expect(r.gw.ctx.journal.find(result.tx)?.extra?.promo).toEqual([
      { rule: MEMBER_PRICE_RULE, amount: 100 },
    ]);

    const f = orderFiscal(r, id);
    expect(f.lines.map((l) => [l.sku, l.unit, l.total, l.list, l.discount, l.promo])).toEqual([
      ['beer', 300, 600, 350, 100, 'Prix adhérent'],
      ['soda', 200, 200, undefined, undefined, undefined],
    ]);
    expect(f.ticket).toMatchObject({ total: 800, discount: 100, payments: { card: 800 } });
    expect(Object.values(f.ticket.vat ?? {}).reduce((s, p) => s + p.ttc, 0)).toBe(800);
    expect((await json(r.base, 'GET', '/apps/api/fiscal/verify')).body.ok).toBe(true);

    const rc = printer.text(await printer.job(++jobs));
    expect(rc).toMatch(/2 x Bière +7,00 €/);
    expect(rc).toMatch(/ {2}Remise Prix adhérent +-1,00 €/);
    expect(rc).toMatch(/TOTAL +8,00 €/);
    expect(rc).toMatch(/Carte cashless +8,00 €/);

    const report = (await json(r.base, 'GET', '/apps/api/reports/discounts')).body as {
      rule: string;
      name: string;
      amount: number;
    }[];
    expect(report.find((d) => d.rule === MEMBER_PRICE_RULE)).toMatchObject({
      name: 'Prix adhérent',
      amount: 100,
    });
  });

  it('a member of the partner café too, by the POS NFC reader: member price then the perk, both named', async () => {
    const before = bal(BOTH);
    const id = await order([
      { sku: 'beer', qty: 1, price: 350 },
      { sku: 'burger', qty: 1, price: 900 },
    ]);
    const res = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'nfc',
      uid: BOTH,
      cashier: 'alice',
    });
    expect(res.status).toBe(200);
    // beer: 350 → member 300 → café 10 % = 270; burger (no member price): 900 → 810
    expect(res.body.payment).toMatchObject({ method: 'nfc', status: 'approved', amount: 270 + 810 });
    expect(res.body.order).toMatchObject({ status: 'paid', total: 1080, remaining: 0 });
    expect(res.body.order.lines).toEqual([
      expect.objectContaining({ sku: 'beer', price: 270, list: 350, promo: 'Prix adhérent + Café' }),
      expect.objectContaining({ sku: 'burger', price: 810, list: 900, promo: 'Café' }),
    ]);
    expect(bal(BOTH)).toBe(before - 1080);
    expect(r.gw.ctx.journal.find(res.body.payment.tx)?.extra?.promo).toEqual([
      { rule: MEMBER_PRICE_RULE, amount: 50 },
      { rule: 'cafe', amount: 30 + 90 },
    ]);
    const f = orderFiscal(r, id);
    expect(f.lines.map((l) => [l.unit, l.list, l.discount])).toEqual([
      [270, 350, 80],
      [810, 900, 90],
    ]);
    expect(f.ticket).toMatchObject({ total: 1080, discount: 170 });
    expect((await json(r.base, 'GET', '/apps/api/fiscal/verify')).body.ok).toBe(true);
    const rc = printer.text(await printer.job(++jobs));
    expect(rc).toMatch(/Remise Prix adhérent \+ Café +-0,80 €/);
    expect(rc).toMatch(/TOTAL +10,80 €/);
  });

  it('not a member here, the café membership expired (badge still held): list prices', async () => {
    const before = bal(LAPSED);
    const id = await order([
      { sku: 'beer', qty: 1, price: 350 },
      { sku: 'burger', qty: 1, price: 900 },
    ]);
    const { result, order: o } = await payByTap(id, LAPSED);
    expect(result).toMatchObject({ ok: true, amt: 1250 });
    expect(result.lines).toBeUndefined();
    expect(bal(LAPSED)).toBe(before - 1250);
    expect(o).toMatchObject({ status: 'paid', total: 1250 });
    expect(orderFiscal(r, id).ticket.discount).toBeUndefined();
    await printer.job(++jobs);
  });

  it('a member paying the rest after cash: the order keeps its list prices', async () => {
    const before = bal(SPLIT);
    const id = await order([{ sku: 'beer', qty: 2, price: 350 }]);
    const cash = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'cash',
      amount: 100,
      cashier: 'alice',
    });
    expect(cash.body.order).toMatchObject({ status: 'open', remaining: 600 });
    const rest = await payByTap(id, SPLIT);
    expect(rest.result).toMatchObject({ ok: true, amt: 600 });
    expect(rest.order).toMatchObject({ status: 'paid', total: 700, paid: 700 });
    expect(rest.order.lines[0]).toMatchObject({ price: 350 });
    expect(rest.order.lines[0].list).toBeUndefined();
    expect(bal(SPLIT)).toBe(before - 600);
    expect(orderFiscal(r, id).ticket).toMatchObject({ total: 700 });
  });
});
