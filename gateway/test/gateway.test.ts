import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.js';
import { device, keyOf, sleep, startGateway, type TestDevice, tap, VENUE } from './helpers.js';

const CARD = '04A1B2C3D4E5F6';
const beer = { sku: 'beer', qty: 2, price: 350 };

describe('gateway on the embedded broker (standalone venue)', () => {
  let gw: Gateway;
  let url: string;
  let till: TestDevice;
  let topup: TestDevice;
  const journalCount = () => gw.ctx.journal.count();
  const rejected = async (reason: string) =>
    (await gw.metrics.rejected.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

  beforeAll(async () => {
    gw = await startGateway(['till-1', 'till-2', 'top-1']);
    url = `mqtt://127.0.0.1:${gw.brokerPort}`;
    till = await device(url, 'till-1');
    topup = await device(url, 'top-1');
    const tx = tap(topup, CARD, { mode: 'topup', amt: 2000 });
    expect(await topup.waitResult(tx)).toMatchObject({ ok: true, amt: 2000, bal: [{ a: 'EUR', v: 2000 }] });
  });
  afterAll(async () => {
    await till?.close();
    await topup?.close();
    await gw?.close();
  });

  it('hello gets the signed config with the menu of its point of sale', async () => {
    till.send('hello', { fw: '0.1.0', board: 'test', reader: 'PN532 1.6', mem: 1000, reset: 'power-on' });
    await sleep(200);
    const cfg = till.received.find((m) => m.k === 'config');
    expect(cfg?.b).toMatchObject({
      venue: VENUE,
      mode: 'cashier',
      cur: 'EUR',
      menu: [{ sku: 'beer', price: 350, mprice: 300 }, { sku: 'soda' }, { sku: 'rum' }],
    });
    expect(gw.ctx.devices.list().find((d) => d.deviceId === 'till-1')).toMatchObject({
      online: true,
      firmware: '0.1.0',
      reader: 'PN532 1.6',
    });
  });

  it('a cart is priced from the menu, approved after the journal write, with the new balance', async () => {
    const before = journalCount();
    const tx = tap(till, CARD, { cart: [beer], amt: 700 });
    const r = await till.waitResult(tx);
    expect(r).toEqual({ tx, ok: true, amt: 700, bal: [{ a: 'EUR', v: 1300 }] });
    expect(journalCount()).toBe(before + 1);
    expect(gw.ctx.journal.find(tx)).toMatchObject({
      type: 'spend',
      legs: [{ asset: 'EUR', amount: 700 }],
      card: CARD,
      sync: 0,
    });
  });

  it('a re-sent tap (same tx id, new counter) gets the original answer and is journaled once', async () => {
    const tx = tap(till, CARD, { cart: [{ sku: 'soda', qty: 1, price: 200 }] });
    const first = await till.waitResult(tx);
    const count = journalCount();
    till.send('tap', { tx, uid: CARD, mode: 'cashier', cart: [{ sku: 'soda', qty: 1, price: 200 }] });
    await sleep(150);
    const answers = till.received.filter((m) => m.k === 'result' && (m.b as { tx: string }).tx === tx);
    expect(answers).toHaveLength(2);
    expect(answers[1].b).toEqual(first);
    expect(journalCount()).toBe(count);
    expect(gw.ctx.book.available(gw.ctx.book.get(CARD), 'EUR')).toBe(1100);
  });

  it('declines with a reason: insufficient funds, stale price, unknown item, age check, bare amount', async () => {
    const cases: [object, string][] = [
      [{ cart: [{ sku: 'beer', qty: 9, price: 350 }] }, 'insufficient-funds'],
      [{ cart: [{ sku: 'beer', qty: 1, price: 250 }] }, 'stale-price'],
      [{ cart: [{ sku: 'wine', qty: 1, price: 400 }] }, 'unknown-sku'],
      [{ cart: [{ sku: 'rum', qty: 1, price: 600 }] }, 'age-check'],
      [{ amt: 100 }, 'not-allowed'],
    ];
    for (const [extra, reason] of cases) {
      const tx = tap(till, CARD, extra);
      expect(await till.waitResult(tx)).toMatchObject({ ok: false, reason });
    }
    expect(gw.ctx.book.available(gw.ctx.book.get(CARD), 'EUR')).toBe(1100);
  });

  it('a POS charge is paid by the next tap on that terminal, for the amount the POS pushed', async () => {
    const ref = await gw.charge('till-1', 450);
    await sleep(100);
    expect(till.received.some((m) => m.k === 'charge' && (m.b as { ref: string }).ref === ref)).toBe(true);
    const tx = tap(till, CARD, { ref, amt: 1 }); // the terminal's amount is ignored
    expect(await till.waitResult(tx)).toMatchObject({ ok: true, amt: 450 });
    const other = await device(url, 'till-2');
    const tx2 = tap(other, CARD, { ref }); // a charge belongs to its terminal
    expect(await other.waitResult(tx2)).toMatchObject({ ok: false, reason: 'not-allowed' });
    await other.close();
  });

  it('void gives the money back once, and is journaled for the cloud', async () => {
    const tx = tap(till, CARD, { cart: [{ sku: 'soda', qty: 1, price: 200 }] });
    await till.waitResult(tx);
    const before = gw.ctx.book.available(gw.ctx.book.get(CARD), 'EUR');
    expect(await gw.voidTx(tx, 'wrong drink', 'cashier-7')).toEqual({ ok: true });
    expect(await gw.voidTx(tx, 'wrong drink', 'cashier-7')).toEqual({ ok: true });
    expect(gw.ctx.book.available(gw.ctx.book.get(CARD), 'EUR')).toBe(before + 200);
    expect(gw.ctx.journal.find(`void-${tx}`)).toMatchObject({
      type: 'void',
      extra: { voids: tx, cashierId: 'cashier-7' },
    });
    expect(await gw.voidTx('till-1-nope', 'x', 'c')).toEqual({ ok: false, reason: 'void-target-unknown' });
  });

  it('forged MAC, replayed counter, bad JSON, a foreign tx id, oversize, another venue: refused, nothing written', async () => {
    const d = await device(url, 'till-2');
    d.n = 5000; // till-2 already spoke in an earlier test: its counter must move on
    const card = gw.ctx.book.get(CARD);
    const balance = gw.ctx.book.available(card, 'EUR');
    const tx = tap(d, CARD, { cart: [{ sku: 'soda', qty: 1, price: 200 }] });
    await d.waitResult(tx);
    const signed = d.send('heartbeat', { up: 1, q: 0 });
    const count = journalCount();
    const topic = `tb/v1/${VENUE}/dev/till-2/up/tap`;
    d.raw(
      topic,
      d
        .sign('tap', { tx: `till-2-${d.n}`, uid: CARD, mode: 'cashier', cart: [beer] })
        .replace(/"m":"[0-9a-f]{8}/, '"m":"00000000'),
    );
    d.raw(`tb/v1/${VENUE}/dev/till-2/up/heartbeat`, signed); // replay: same counter
    d.raw(topic, '{"v":1,"k":"tap",');
    d.send('tap', { tx: `till-1-${d.n}`, uid: CARD, mode: 'cashier', cart: [beer] }); // another device's id space
    await sleep(200);
    const closed = new Promise<void>((resolve) => d.client.once('close', () => resolve()));
    d.raw(topic, `{"v":1,"k":"tap","d":"till-2","n":99999,"b":{"pad":"${'x'.repeat(5000)}"},"m":"00"}`);
    await closed; // the broker drops a client that sends an oversize message
    expect(journalCount(), JSON.stringify(gw.ctx.journal.recent(2))).toBe(count);
    expect(gw.ctx.book.available(card, 'EUR')).toBe(balance - 200);
    for (const reason of ['replay', 'bad-mac', 'too-large', 'bad-json', 'bad-tx'])
      expect(await rejected(reason), reason).toBeGreaterThanOrEqual(1);
    await d.close();
  });

  it("a device cannot publish on another device's topic nor read its results", async () => {
    const spy = await device(url, 'till-2');
    spy.n = 6000;
    const count = journalCount();
    const acl = await rejected('acl');
    const closed = new Promise<void>((resolve) => spy.client.once('close', () => resolve()));
    const tx = `till-1-${till.n}`;
    const signed = till.sign('tap', {
      tx,
      uid: CARD,
      mode: 'cashier',
      cart: [{ sku: 'soda', qty: 1, price: 200 }],
    });
    spy.raw('tb/v1/bar/dev/till-1/up/tap', signed.replace(/"n":\d+/, '"n":99999'));
    await closed; // aedes drops a client that publishes outside its ACL
    await sleep(100);
    expect(journalCount()).toBe(count);
    expect(await rejected('acl')).toBe(acl + 1);
    const spy2 = await device(url, 'till-2');
    await expect(spy2.client.subscribeAsync('tb/v1/bar/dev/till-1/down/+', { qos: 1 })).rejects.toThrow();
    expect(await rejected('acl')).toBe(acl + 2);
    await spy2.close().catch(() => {});
  });

  it('unknown device and wrong password cannot connect', async () => {
    await expect(device(url, 'ghost')).rejects.toThrow();
    await expect(device(url, 'till-2', { password: 'wrong' })).rejects.toThrow();
  });

  it('a revoked device is cut off within 1 s and cannot reconnect', async () => {
    const victim = await device(url, 'till-2');
    const config = gw.ctx.config();
    const t0 = Date.now();
    const closed = new Promise<number>((resolve) =>
      victim.client.once('close', () => resolve(Date.now() - t0)),
    );
    await gw.setConfig({
      ...config,
      devices: config.devices.map((d) => (d.deviceId === 'till-2' ? { ...d, revoked: true } : d)),
    });
    expect(await closed).toBeLessThan(1000);
    await expect(device(url, 'till-2')).rejects.toThrow();
    expect(keyOf('till-2')).toHaveLength(32);
  });
});
