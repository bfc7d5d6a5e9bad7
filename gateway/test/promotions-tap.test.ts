// Promotions through the whole gateway: a happy hour reaches the terminal's retained menu, a
// tap during it is charged the happy price and the real terminal firmware (host target, with
// the simulated PN532) shows it; partner perks and history rules per card; the journal says
// which rule applied; a cart priced before a rule change is refused as stale.
import { pn532, type protocol } from '@tibillet/firmware';
import { createHostTerminal, type HostTerminal } from '@tibillet/firmware/host';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.js';
import { localTime } from '../src/promotions/clock.js';
import { baseConfig } from '../src/promotions/menu.js';
import { discountsByRule } from '../src/promotions/report.js';
import type { HappyHourRule, PromotionRule } from '../src/promotions/rules.js';
import { device, keyOf, sleep, startGateway, type TestDevice } from './helpers.js';
import { COOP_A_RULE, LOYAL_RULE } from './promotion-rules.js';

const CARD = '04A1B2C3D4E5F6';
const TZ = 'Europe/Paris';
const hhmm = (m: number) =>
  `${String(Math.floor((((m % 1440) + 1440) % 1440) / 60)).padStart(2, '0')}:${String((((m % 1440) + 1440) % 1440) % 60).padStart(2, '0')}`;

/** A happy hour open from an hour ago to an hour from now, every day. */
function happyNow(): HappyHourRule {
  const t = localTime(Date.now(), TZ);
  return {
    id: 'hh',
    name: 'Happy hour',
    kind: 'happy-hour',
    windows: [{ days: [1, 2, 3, 4, 5, 6, 7], from: hhmm(t.minute - 60), to: hhmm(t.minute + 60) }],
    prices: [{ sku: 'beer', price: 250 }],
  };
}

describe('promotions at the gateway', () => {
  let gw: Gateway;
  let till: HostTerminal;
  let raw: TestDevice;
  const screens: string[][] = [];
  const until = async (what: string, pred: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${what}; screens: ${JSON.stringify(screens.slice(-3))}`);
      await sleep(20);
    }
  };
  const setRules = async (rules: PromotionRule[]) =>
    gw.setConfig({ ...baseConfig(gw.ctx.config()), promotions: rules });
  const menuOf = (d: TestDevice) =>
    (d.received.filter((m) => m.k === 'config').at(-1)?.b as protocol.ConfigBody | undefined)?.menu ?? [];

  beforeAll(async () => {
    gw = await startGateway(['till-1', 'till-2', 'top-1'], {
      venue: {
        timeZone: TZ,
        promotions: [happyNow()],
        pointsOfSale: [
          {
            id: 'bar',
            name: 'Bar',
            mode: 'cashier',
            devices: ['till-1', 'till-2'],
            products: [
              { sku: 'beer', label: 'Bière', price: 350, category: 'drinks' },
              { sku: 'soda', label: 'Soda', price: 200, category: 'drinks' },
              { sku: 'burger', label: 'Burger', price: 900, category: 'food' },
            ],
          },
        ],
      },
    });
    const mqttUrl = `mqtt://127.0.0.1:${gw.brokerPort}`;
    till = await createHostTerminal({
      mqttUrl,
      venue: 'bar',
      reader: 'sim',
      lang: 'en',
      resultTimeoutMs: 10_000,
      deviceId: 'till-1',
      keyHex: keyOf('till-1'),
      onScreen: (e) => e.kind === 'display' && screens.push(e.value as string[]),
    });
    raw = await device(mqttUrl, 'till-2');
    raw.send('hello', { fw: 'test', board: 'sim', reader: 'none', mem: 0, reset: 'power' });
    await until('terminal configured', () => till.terminal.mode() === 'cashier');
    gw.ctx.book.apply(gw.ctx.book.get(CARD), [{ asset: 'EUR', amount: 5000 }], 1);
  });
  afterAll(async () => {
    await till?.close();
    await raw?.close();
    await gw?.close();
  });

  it('a tap during happy hour is charged the happy price, and the terminal shows it', async () => {
    till.terminal.onButton('ok'); // first menu item: beer at its happy price
    expect(screens.at(-1)?.join(' ')).toMatch(/Bi.re .*2[.,]50/);
    const sim = till.sim as pn532.Pn532Simulator;
    sim.placeCard(pn532.uidCard([0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6]));
    await until('approved on screen', () => screens.some((s) => s.join(' ').includes('Approved')));
    sim.removeCard();
    const shown = screens.find((s) => s.join(' ').includes('Approved'))!.join(' | ');
    expect(shown).toMatch(/Approved .*2[.,]50/);
    expect(shown).toMatch(/Happy hour -1\.00/);
    expect(gw.ctx.book.available(gw.ctx.book.get(CARD), 'EUR')).toBe(5000 - 250);
    const rec = gw.ctx.journal.recent(1)[0];
    expect(rec.extra?.promo).toEqual([{ rule: 'hh', amount: 100 }]);
    expect(rec.extra?.items).toEqual([{ sku: 'beer', qty: 1 }]);
  });

  it('the happy hour ends: terminals get the list price again, and a cart priced before is refused as stale', async () => {
    await until('raw terminal has the happy menu', () =>
      menuOf(raw).some((i) => i.sku === 'beer' && i.price === 250),
    );
    const pushes = raw.received.filter((m) => m.k === 'config').length;
    await setRules([]);
    await until('menu re-pushed', () => raw.received.filter((m) => m.k === 'config').length > pushes);
    expect(menuOf(raw).find((i) => i.sku === 'beer')?.price).toBe(350);
    const r = await raw.pay(CARD, { cart: [{ sku: 'beer', qty: 1, price: 250 }] });
    expect(r).toMatchObject({ ok: false, reason: 'stale-price' });
    // And the other way: a cart at the list price while a happy hour has started is stale too.
    await setRules([happyNow()]);
    const r2 = await raw.pay(CARD, { cart: [{ sku: 'beer', qty: 1, price: 350 }] });
    expect(r2).toMatchObject({ ok: false, reason: 'stale-price' });
    const r3 = await raw.pay(CARD, { cart: [{ sku: 'beer', qty: 1, price: 250 }] });
    expect(r3).toMatchObject({ ok: true, amt: 250 });
  });

  it('partner perk: a member of another venue (badge on the card) gets the percentage off', async () => {
    await setRules([COOP_A_RULE]);
    const before = await raw.pay(CARD, { cart: [{ sku: 'burger', qty: 1, price: 900 }] });
    expect(before).toMatchObject({ ok: true, amt: 900 });
    expect(before.lines).toBeUndefined();
    gw.ctx.book.apply(gw.ctx.book.get(CARD), [{ asset: 'BADGE:venue-a', amount: 1 }], 1);
    const r = await raw.pay(CARD, {
      cart: [
        { sku: 'burger', qty: 2, price: 900 },
        { sku: 'soda', qty: 1, price: 200 },
      ],
    });
    expect(r).toMatchObject({ ok: true, amt: 2 * 720 + 200, lines: ['Membre A -3.60'] });
    expect(gw.ctx.journal.find(r.tx)?.extra?.promo).toEqual([{ rule: 'coop-a', amount: 360 }]);
  });

  it('history: burgers bought here earn a soda discount; a voided sale does not count', async () => {
    const card = '04000000000042';
    gw.ctx.book.apply(gw.ctx.book.get(card), [{ asset: 'EUR', amount: 10_000 }], 1);
    await setRules([LOYAL_RULE]);
    const soda = [{ sku: 'soda', qty: 1, price: 200 }];
    const b1 = await raw.pay(card, { cart: [{ sku: 'burger', qty: 1, price: 900 }] });
    expect((await raw.pay(card, { cart: soda })).amt).toBe(200);
    const b2 = await raw.pay(card, { cart: [{ sku: 'burger', qty: 1, price: 900 }] });
    expect(b1.ok && b2.ok).toBe(true);
    const r = await raw.pay(card, { cart: soda });
    expect(r).toMatchObject({ ok: true, amt: 100 });
    expect(gw.ctx.journal.find(r.tx)?.extra?.promo).toEqual([{ rule: 'loyal', amount: 100 }]);
    // Another card's purchases are not this card's history.
    const other = '04000000000043';
    gw.ctx.book.apply(gw.ctx.book.get(other), [{ asset: 'EUR', amount: 1000 }], 1);
    expect((await raw.pay(other, { cart: soda })).amt).toBe(200);
    await gw.voidTx(b1.tx, 'mistake', 'test');
    expect((await raw.pay(card, { cart: soda })).amt).toBe(200);
    // The report counts the discounts of the sales that stand: a voided one drops out.
    const names = new Map([['loyal', 'Fidèle']]);
    const report = () =>
      discountsByRule(gw.ctx.journal.db, 0, Date.now() + 1, names).find((d) => d.rule === 'loyal');
    expect(report()).toEqual({ rule: 'loyal', name: 'Fidèle', uses: 1, amount: 100 });
    await gw.voidTx(r.tx, 'refund', 'test');
    expect(report()).toBeUndefined();
  });
});
