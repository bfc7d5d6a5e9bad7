// Self-service tap, gateway side: the authorization holds what one glass costs (or what the card
// has), the pour is charged pro rata exactly once, a forged amount or an unknown tx is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizePour, pourCharge } from '../src/authorizer/selfpour.js';
import type { Gateway } from '../src/gateway.js';
import { device, sleep, startGateway, type TestDevice } from './helpers.js';

const CARD = '04AB0000000001';
const POOR = '04AB0000000002';

describe('selfpour pricing', () => {
  it('caps at one glass or the balance; the charge is pro rata, half up, never above the hold', () => {
    const ipa = { sku: 'ipa', label: 'IPA', price: 700, maxMl: 500 };
    expect(authorizePour(ipa, 700, 5000)).toEqual({ ok: true, amount: 350, ml: 500 });
    expect(authorizePour(ipa, 700, 200)).toEqual({ ok: true, amount: 200, ml: 285 });
    expect(authorizePour(ipa, 700, 0)).toEqual({ ok: false, reason: 'insufficient-funds' });
    expect(pourCharge(350, 500, 250)).toBe(175);
    expect(pourCharge(350, 500, 520)).toBe(350);
    expect(pourCharge(500, 330, 104)).toBe(158); // the protocol document's example
    expect(pourCharge(350, 500, 0)).toBe(0);
  });
});

describe('selfpour through the gateway', () => {
  let gw: Gateway;
  let tap: TestDevice;
  beforeAll(async () => {
    gw = await startGateway(['beer-1'], {
      venue: {
        pointsOfSale: [
          {
            id: 'ipa',
            name: 'IPA tap',
            mode: 'selfpour',
            devices: ['beer-1'],
            pulsesPerLitre: 450,
            products: [{ sku: 'ipa', label: 'IPA', price: 700, maxMl: 500 }],
          },
        ],
      },
    });
    tap = await device(`mqtt://127.0.0.1:${gw.brokerPort}`, 'beer-1');
    gw.ctx.book.apply(gw.ctx.book.get(CARD), [{ asset: 'EUR', amount: 1000 }], 1);
  });
  afterAll(async () => {
    await tap?.close();
    await gw?.close();
  });
  const eur = (uid: string) => gw.ctx.book.available(gw.ctx.book.get(uid), 'EUR');

  it('config carries the selfpour mode and the meter calibration', async () => {
    tap.send('hello', { fw: '0.1.0', board: 'esp32', reader: 'PN532 1.6', mem: 1, reset: 'power-on' });
    await sleep(150);
    expect(tap.received.find((m) => m.k === 'config')?.b).toMatchObject({ mode: 'selfpour', ppl: 450 });
  });

  it('authorize, pour half a glass, pay half; a repeated pour is not charged twice', async () => {
    const tx = `beer-1-${tap.n}`;
    expect(await tap.pay(CARD, { mode: 'selfpour' })).toEqual({
      tx,
      ok: true,
      amt: 350,
      ml: 500,
      bal: [{ a: 'EUR', v: 650 }],
    });
    tap.send('pour', { tx, ml: 250, amt: 175, end: 'removed' });
    await sleep(150);
    const acks = () =>
      tap.received.filter((m) => m.k === 'result' && (m.b as { tx: string }).tx === tx).slice(1);
    expect(acks()[0]?.b).toEqual({ tx, ok: true, amt: 175, bal: [{ a: 'EUR', v: 825 }] });
    tap.send('pour', { tx, ml: 250, amt: 175, end: 'removed' });
    await sleep(150);
    expect(acks()).toHaveLength(2);
    expect(acks()[1].b).toEqual(acks()[0].b);
    expect(eur(CARD)).toBe(825);
    expect(gw.ctx.journal.find(`${tx}-p`)).toMatchObject({
      type: 'spend',
      legs: [{ asset: 'EUR', amount: 175 }],
      sync: 0,
    });
  });

  it('a pour claiming less than the meter says, or for a tx never authorized, is refused', async () => {
    const tx = `beer-1-${tap.n}`;
    await tap.pay(CARD, { mode: 'selfpour' });
    tap.send('pour', { tx, ml: 500, amt: 10, end: 'limit' });
    tap.send('pour', { tx: 'beer-1-999999', ml: 100, amt: 70, end: 'limit' });
    await sleep(200);
    const refusals = tap.received.filter(
      (m) => m.k === 'result' && (m.b as { reason?: string }).reason === 'not-allowed',
    );
    expect(refusals).toHaveLength(2);
    expect(eur(CARD)).toBe(825 - 350); // still held until an honest pour arrives
    tap.send('pour', { tx, ml: 0, amt: 0, end: 'idle' });
    await sleep(150);
    expect(eur(CARD)).toBe(825); // nothing poured: the hold is released
  });

  it('an empty card gets no valve', async () => {
    expect(await tap.pay(POOR, { mode: 'selfpour' })).toMatchObject({
      ok: false,
      reason: 'insufficient-funds',
    });
  });
});
