// The card's own promotions (history rewards, partner perks) at the cashier POS: a card payment
// that pays the whole order carries the order's lines, the gateway applies the card's rules at
// the tap (terminal tap on the POS charge, or the POS's own NFC reader), charges the lower amount,
// and the POS settles the order at what was charged: discounted lines on the inalterable fiscal
// chain (VAT per rate, FEC balanced), the receipt shows the discount, the reports count it per
// rule, a void gives back exactly what was charged. A split payment keeps the order's prices.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayOf } from '../src/apps/fiscal.js';
import { decide } from '../src/authorizer/authorizer.js';
import { CardBook } from '../src/authorizer/card-book.js';
import { promoteCharge } from '../src/authorizer/promotions.js';
import { baseConfig, effectiveConfig } from '../src/promotions/menu.js';
import { orderDiscounts } from '../src/promotions/report.js';
import type { PromotionRule } from '../src/promotions/rules.js';
import { defaultVenueConfig } from '../src/venue-config.js';
import { json, posOrders, type Rig, receiptPrinter, rig } from './apps/apps-helpers.js';
import { orderFiscal } from './apps/order-fiscal.js';
import type { printerSim } from './apps/printer-sim.js';
import { sleep, tap } from './helpers.js';
import { COOP_A_RULE, LOYAL_RULE } from './promotion-rules.js';

const LOYAL = '04000000000101';
const PARTNER = '04000000000102';
const SPLIT = '04000000000103';

const RULES: PromotionRule[] = [LOYAL_RULE, COOP_A_RULE];

describe('card promotions at the POS', () => {
  let r: Rig;
  let printer: Awaited<ReturnType<typeof printerSim>>;
  const bal = (uid: string) => r.gw.ctx.book.available(r.gw.ctx.book.get(uid), 'EUR');

  const { order, getOrder, payByTap } = posOrders(() => r);
  const fecEntries = async () => {
    const day = dayOf(Date.now());
    const text = await (await fetch(`${r.base}/apps/api/fiscal/fec?from=${day}&to=${day}`)).text();
    const cents = (s: string) => Math.round(Number(s.replace(',', '.')) * 100);
    const rows = text
      .replace(/\r\n$/, '')
      .split('\r\n')
      .slice(1)
      .map((l) => l.split('\t'));
    const by = new Map<string, { d: number; c: number; rows: string[][] }>();
    for (const x of rows) {
      const e = by.get(`${x[8]} ${x[2]}`) ?? { d: 0, c: 0, rows: [] };
      e.d += cents(x[11]);
      e.c += cents(x[12]);
      e.rows.push(x);
      by.set(`${x[8]} ${x[2]}`, e);
    }
    return by;
  };
  const discounts = async () =>
    (await json(r.base, 'GET', '/apps/api/reports/discounts')).body as {
      rule: string;
      uses: number;
      amount: number;
    }[];

  beforeAll(async () => {
    r = await rig();
    const base = baseConfig(r.gw.ctx.config());
    await r.gw.setConfig({
      ...base,
      vatRate: 1000,
      promotions: RULES,
      pointsOfSale: base.pointsOfSale.map((p) => ({
        ...p,
        products: p.products.map((x) => (x.sku === 'beer' ? { ...x, vatRate: 2000 } : x)),
      })),
    });
    for (const uid of [LOYAL, PARTNER, SPLIT])
      r.gw.ctx.book.apply(r.gw.ctx.book.get(uid), [{ asset: 'EUR', amount: 10_000 }], 1);
    r.gw.ctx.book.apply(r.gw.ctx.book.get(PARTNER), [{ asset: 'BADGE:venue-a', amount: 1 }], 1);
    printer = await receiptPrinter(r);
  });
  afterAll(async () => {
    await printer?.close();
    await r?.close();
  });

  it('a card with history gets its reward on a POS order paid by a terminal tap: paid, fiscal, FEC, receipt, report', async () => {
    // two burgers bought here by card, at the POS: this card's history
    const first = await payByTap(await order([{ sku: 'burger', qty: 2, price: 900 }]), LOYAL);
    expect(first.result).toMatchObject({ ok: true, amt: 1800 });
    expect(first.result.lines).toBeUndefined();
    expect(first.order).toMatchObject({ status: 'paid', total: 1800 });
    await printer.job(1);

    const before = bal(LOYAL);
    const id = await order([
      { sku: 'soda', qty: 2, price: 200 },
      { sku: 'beer', qty: 1, price: 350 },
    ]);
    const { charge, result, order: o } = await payByTap(id, LOYAL);
    // the terminal was asked the order's total, and shows what the rule took off
    expect(charge.amt).toBe(750);
    expect(charge.cart).toBeUndefined(); // the lines stay at the gateway
    expect(result).toMatchObject({ ok: true, amt: 550, lines: ['Fidèle -2.00'] });
    expect(bal(LOYAL)).toBe(before - 550);
    expect(o).toMatchObject({ status: 'paid', total: 550, paid: 550, remaining: 0 });
    expect(o.payments).toEqual([
      expect.objectContaining({ method: 'card', status: 'approved', amount: 550 }),
    ]);
    expect(o.lines).toEqual([
      expect.objectContaining({ sku: 'soda', qty: 2, price: 100, list: 200, promo: 'Fidèle' }),
      expect.objectContaining({ sku: 'beer', qty: 1, price: 350 }),
    ]);
    expect(o.lines[1].list).toBeUndefined();
    expect(r.gw.ctx.journal.find(result.tx)?.extra?.promo).toEqual([{ rule: 'loyal', amount: 200 }]);

    // the inalterable records: lines at the prices charged, adding up to the ticket, VAT per rate
    const { lines, ticket } = orderFiscal(r, id);
    expect(lines.map((l) => [l.sku, l.unit, l.total, l.list, l.discount, l.promo])).toEqual([
      ['soda', 100, 200, 200, 200, 'Fidèle'],
      ['beer', 350, 350, undefined, undefined, undefined],
    ]);
    expect(lines.reduce((s, l) => s + l.total, 0)).toBe(ticket.total);
    expect(ticket).toMatchObject({ total: 550, payments: { card: 550 }, discount: 200 });
    expect(ticket.vat).toEqual({
      '2000': { ttc: 350, base: 292, tax: 58 },
      '1000': { ttc: 200, base: 182, tax: 18 },
    });
    expect((await json(r.base, 'GET', '/apps/api/fiscal/verify')).body.ok).toBe(true);
    const fec = [...(await fecEntries()).entries()].find(([k]) => k.startsWith(`${id} `))![1];
    expect(fec.d).toBe(550);
    expect(fec.c).toBe(550);
    expect(fec.rows.find((x) => x[4] === '419100')?.[11]).toBe('5,50');

    // the receipt: each line at the order's price, the discount under it, the total charged
    const rc = printer.text(await printer.job(2));
    expect(rc).toMatch(/2 x Soda +4,00 €/);
    expect(rc).toMatch(/ {2}Remise Fidèle +-2,00 €/);
    expect(rc).toMatch(/1 x Bière +3,50 €/);
    expect(rc).toMatch(/TOTAL +5,50 €/);
    expect(rc).toMatch(/Carte cashless +5,50 €/);

    // the reports count the rule's discount
    expect((await discounts()).find((d) => d.rule === 'loyal')).toMatchObject({ uses: 1, amount: 200 });

    // a second tap on the same charge is given back at once; the order stays as it was
    const again = tap(r.till, LOYAL, { ref: (o.payments[0] as { ref: string }).ref });
    expect(await r.till.waitResult(again)).toMatchObject({ ok: true, amt: 550 });
    const t0 = Date.now();
    while (bal(LOYAL) !== before - 550 && Date.now() - t0 < 5000) await sleep(10);
    expect(bal(LOYAL)).toBe(before - 550);
    expect(await getOrder(id)).toMatchObject({ status: 'paid', total: 550, paid: 550 });

    // a void gives back exactly what was charged, and the rule's discount leaves the report
    const v = await json(r.base, 'POST', `/apps/api/orders/${id}/void`, {
      reason: 'erreur',
      cashier: 'alice',
    });
    expect(v.status).toBe(200);
    expect(bal(LOYAL)).toBe(before);
    const voided = r.gw.ctx.journal.db
      .prepare("SELECT data FROM app_fiscal WHERE ref = ? AND kind = 'void'")
      .get(id) as { data: string };
    expect(JSON.parse(voided.data)).toMatchObject({ total: -550, payments: { card: -550 } });
    expect((await json(r.base, 'GET', '/apps/api/fiscal/verify')).body.ok).toBe(true);
    expect((await discounts()).find((d) => d.rule === 'loyal')).toBeUndefined();
  });

  it('the same reward when the POS reads the card with its own NFC reader', async () => {
    const before = bal(LOYAL);
    const id = await order([{ sku: 'soda', qty: 3, price: 200 }]);
    const res = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'nfc',
      uid: LOYAL,
      cashier: 'alice',
    });
    expect(res.status).toBe(200);
    expect(res.body.payment).toMatchObject({ method: 'nfc', status: 'approved', amount: 300 });
    expect(res.body.order).toMatchObject({ status: 'paid', total: 300, remaining: 0 });
    expect(res.body.order.lines).toEqual([
      expect.objectContaining({ sku: 'soda', qty: 3, price: 100, list: 200, promo: 'Fidèle' }),
    ]);
    expect(bal(LOYAL)).toBe(before - 300);
    expect(r.gw.ctx.journal.find(res.body.payment.tx)?.extra?.promo).toEqual([
      { rule: 'loyal', amount: 300 },
    ]);
    expect((await json(r.base, 'GET', '/apps/api/fiscal/verify')).body.ok).toBe(true);
    const fec = [...(await fecEntries()).entries()].find(([k]) => k.startsWith(`${id} `))![1];
    expect([fec.d, fec.c]).toEqual([300, 300]);
    expect(printer.text(await printer.job(3))).toMatch(/Remise Fidèle +-3,00 €/);
    expect((await discounts()).find((d) => d.rule === 'loyal')).toMatchObject({ uses: 1, amount: 300 });
  });

  it('a split payment keeps the order prices: no reward on a card paying part, or the rest, of an order', async () => {
    // this card has the history too
    for (let i = 0; i < 2; i++)
      expect((await payByTap(await order([{ sku: 'burger', qty: 1, price: 900 }]), SPLIT)).order.status).toBe(
        'paid',
      );
    const before = bal(SPLIT);
    // cash first, then the card pays the rest: charged the rest as it is
    const a = await order([
      { sku: 'soda', qty: 1, price: 200 },
      { sku: 'beer', qty: 1, price: 350 },
    ]);
    const cash = await json(r.base, 'POST', `/apps/api/orders/${a}/payments`, {
      method: 'cash',
      amount: 150,
      cashier: 'alice',
    });
    expect(cash.body.order).toMatchObject({ status: 'open', remaining: 400 });
    const rest = await payByTap(a, SPLIT);
    expect(rest.result).toMatchObject({ ok: true, amt: 400 });
    expect(rest.result.lines).toBeUndefined();
    expect(rest.order).toMatchObject({ status: 'paid', total: 550, paid: 550 });
    expect(rest.order.lines.map((l: { price: number; list?: number }) => [l.price, l.list])).toEqual([
      [200, undefined],
      [350, undefined],
    ]);
    // the card pays part of an order first: that part is charged as asked
    const b = await order([{ sku: 'soda', qty: 2, price: 200 }]);
    const part = await payByTap(b, SPLIT, 100);
    expect(part.result).toMatchObject({ ok: true, amt: 100 });
    expect(part.order).toMatchObject({ status: 'open', total: 400, remaining: 300 });
    const nfc = await json(r.base, 'POST', `/apps/api/orders/${b}/payments`, {
      method: 'nfc',
      uid: SPLIT,
      cashier: 'alice',
    });
    expect(nfc.body.payment).toMatchObject({ status: 'approved', amount: 300 });
    expect(nfc.body.order).toMatchObject({ status: 'paid', total: 400 });
    expect(bal(SPLIT)).toBe(before - 400 - 400);
    const tickets = [a, b].map((o) => orderFiscal(r, o).ticket);
    expect(tickets.map((t) => [t.total, t.discount])).toEqual([
      [550, undefined],
      [400, undefined],
    ]);
    expect((await json(r.base, 'GET', '/apps/api/fiscal/verify')).body.ok).toBe(true);
  });

  it('a partner perk (badge of another venue) at the POS, by terminal tap', async () => {
    const before = bal(PARTNER);
    const id = await order([
      { sku: 'burger', qty: 2, price: 900 },
      { sku: 'beer', qty: 1, price: 350 },
    ]);
    const { result, order: o } = await payByTap(id, PARTNER);
    expect(result).toMatchObject({ ok: true, amt: 2 * 720 + 350, lines: ['Membre A -3.60'] });
    expect(bal(PARTNER)).toBe(before - 1790);
    expect(o).toMatchObject({ status: 'paid', total: 1790, paid: 1790 });
    expect(o.lines[0]).toMatchObject({ sku: 'burger', price: 720, list: 900, promo: 'Membre A' });
    const { ticket } = orderFiscal(r, id);
    expect(ticket).toMatchObject({ total: 1790, discount: 360, payments: { card: 1790 } });
    expect(Object.values(ticket.vat ?? {}).reduce((s, p) => s + p.ttc, 0)).toBe(1790);
    const fec = [...(await fecEntries()).entries()].find(([k]) => k.startsWith(`${id} `))![1];
    expect([fec.d, fec.c]).toEqual([1790, 1790]);
    expect((await discounts()).find((d) => d.rule === 'coop-a')).toMatchObject({ uses: 1, amount: 360 });
    expect((await json(r.base, 'GET', '/apps/api/fiscal/verify')).body.ok).toBe(true);
  });
});

describe('a POS charge priced by the card rules (pure)', () => {
  const at = Date.parse('2026-11-25T19:00:00+01:00'); // a Wednesday, during the happy hour below
  const happy: PromotionRule = {
    id: 'hh',
    name: 'Happy hour',
    kind: 'happy-hour',
    windows: [{ days: [3], from: '18:00', to: '20:00' }],
    prices: [{ sku: 'beer', price: 250 }],
  };
  const loyalBeer: PromotionRule = {
    id: 'loyal-beer',
    name: 'Fidèle bière',
    kind: 'history',
    bought: 'burger',
    times: 1,
    days: 30,
    target: 'beer',
    pct: 50,
  };
  const config = {
    ...defaultVenueConfig('bar'),
    timeZone: 'Europe/Paris',
    promotions: [happy, loyalBeer, RULES[1]],
    pointsOfSale: [
      {
        id: 'bar',
        name: 'Bar',
        mode: 'cashier' as const,
        devices: [],
        products: [
          { sku: 'beer', label: 'Bière', price: 350, memberPrice: 300, category: 'drinks' },
          { sku: 'burger', label: 'Burger', price: 900, category: 'food' },
        ],
      },
    ],
  };
  const pos = effectiveConfig(config, at).pointsOfSale[0];
  const history = () => [{ sku: 'burger', qty: 1, at: at - 86_400_000 }];

  it('a line the order had at the happy price: the card rule that beats it is measured from that price', () => {
    expect(pos.products[0]).toMatchObject({ price: 250, list: { price: 350, rule: 'hh' } });
    const cart = [{ sku: 'beer', qty: 2, price: 250 }];
    const p = promoteCharge({ config, pos, cart, badges: [], now: at, history });
    expect(p).toEqual({
      total: 350,
      promo: [{ rule: 'loyal-beer', amount: 150 }],
      items: [{ sku: 'beer', qty: 2, unit: 175, rule: 'loyal-beer' }],
      lines: ['Fidèle bière -1.50'],
    });
    // the happy hour's part of that line stays counted with the order, from the price it had
    const base = config.pointsOfSale[0];
    expect(orderDiscounts(config, base, [{ sku: 'beer', qty: 2, price: 175, list: 250 }], at)).toEqual([
      { rule: 'hh', amount: 200 },
    ]);
  });

  it('no rule of the card lowers a line: nothing changes, and no member price at the POS', () => {
    const cart = [{ sku: 'beer', qty: 1, price: 250 }];
    const p = promoteCharge({ config, pos, cart, badges: [], now: at, history: () => [] });
    expect(p).toMatchObject({ total: 250, promo: [], items: [{ sku: 'beer', qty: 1, unit: 250 }] });
    expect(p?.items[0].rule).toBeUndefined();
  });

  it('decide(): a charge with its cart is charged the lower total, with promo, items and lines', () => {
    const book = new CardBook();
    const card = book.get('04000000000001');
    book.apply(card, [{ asset: 'EUR', amount: 5000 }], 1);
    book.apply(card, [{ asset: 'BADGE:venue-a', amount: 1 }], 1);
    const tap = { tx: 't-1', uid: card.uid, mode: 'cashier' as const, ref: 'c1' };
    const cart = [
      { sku: 'burger', qty: 1, price: 900 },
      { sku: 'beer', qty: 1, price: 250 },
    ];
    const base = { config, pos, book, card, now: at, leaseValid: true, history: () => [] };
    expect(decide(tap, { ...base, charge: { amt: 1150, cart } })).toMatchObject({
      ok: true,
      amount: 720 + 250,
      promo: [{ rule: 'coop-a', amount: 180 }],
      lines: ['Membre A -1.80'],
    });
    // the same charge without its cart (a split payment) is charged as asked
    const plain = decide(tap, { ...base, charge: { amt: 1150 } });
    expect(plain).toMatchObject({ ok: true, amount: 1150 });
    expect(plain.ok && plain.type === 'spend' && plain.promo).toBeFalsy();
  });
});
