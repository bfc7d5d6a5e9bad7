// NTAG 424 DNA taps (SUN MAC and counter: a cloned card replaying an old counter is refused),
// the operations endpoints, and random garbage on device topics.
import { randomBytes } from 'node:crypto';
import { ntag424 } from '@tibillet/firmware';
import { nodeCrypto } from '@tibillet/firmware/host';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.js';
import { startHttp } from '../src/http/server.js';
import { device, sleep, startGateway, type TestDevice } from './helpers.js';

const UID = [0x04, 0x96, 0x5b, 0x3a, 0x6e, 0x61, 0x80];
const UID_HEX = '04965B3A6E6180';
const metaReadKey = randomBytes(16);
const fileReadKey = randomBytes(16);
const sun = (counter: number) => {
  const s = ntag424.generateSun(
    {
      uid: UID,
      counter,
      metaReadKey: [...metaReadKey],
      fileReadKey: [...fileReadKey],
      random: [...randomBytes(5)],
    },
    nodeCrypto,
  );
  return { picc: s.piccData, cmac: s.cmac };
};

describe('NTAG 424 DNA taps and operations', () => {
  let gw: Gateway;
  let http: FastifyInstance;
  let base: string;
  let till: TestDevice;
  beforeAll(async () => {
    gw = await startGateway(['till-1'], {
      venue: {
        cardKeys: [
          {
            cardUid: UID_HEX,
            metaReadKey: metaReadKey.toString('hex'),
            fileReadKey: fileReadKey.toString('hex'),
            lastCounter: 5,
          },
        ],
      },
    });
    http = await startHttp(gw, { port: 0, host: '127.0.0.1', staffToken: 's3cret-token' });
    base = `http://127.0.0.1:${(http.server.address() as { port: number }).port}`;
    till = await device(`mqtt://127.0.0.1:${gw.brokerPort}`, 'till-1');
    gw.ctx.book.apply(gw.ctx.book.get(UID_HEX), [{ asset: 'EUR', amount: 5000 }], 1);
  });
  afterAll(async () => {
    await till?.close();
    await http?.close();
    await gw?.close();
  });
  const soda = { cart: [{ sku: 'soda', qty: 1, price: 200 }] };

  it('a genuine tap with a fresh counter pays; the same or an older counter is a clone', async () => {
    expect(await till.pay(UID_HEX, { ...soda, sun: sun(6) })).toMatchObject({ ok: true });
    expect(await till.pay(UID_HEX, { ...soda, sun: sun(6) })).toMatchObject({
      ok: false,
      reason: 'card-cloned',
    });
    expect(await till.pay(UID_HEX, { ...soda, sun: sun(3) })).toMatchObject({
      ok: false,
      reason: 'card-cloned',
    });
    expect(await till.pay(UID_HEX, { ...soda, sun: sun(9) })).toMatchObject({ ok: true });
  });

  it('a wrong MAC, a missing SUN, or SUN data of another card are refused as bad-sun', async () => {
    const s = sun(20);
    expect(await till.pay(UID_HEX, { ...soda, sun: { ...s, cmac: '0000000000000000' } })).toMatchObject({
      ok: false,
      reason: 'bad-sun',
    });
    expect(await till.pay(UID_HEX, soda)).toMatchObject({ ok: false, reason: 'bad-sun' });
    const other = ntag424.generateSun(
      {
        uid: [4, 1, 2, 3, 4, 5, 6],
        counter: 30,
        metaReadKey: [...metaReadKey],
        fileReadKey: [...fileReadKey],
        random: [1, 2, 3, 4, 5],
      },
      nodeCrypto,
    );
    expect(
      await till.pay(UID_HEX, { ...soda, sun: { picc: other.piccData, cmac: other.cmac } }),
    ).toMatchObject({ ok: false, reason: 'bad-sun' });
    expect(gw.ctx.book.available(gw.ctx.book.get(UID_HEX), 'EUR')).toBe(4600);
  });

  it('healthz, metrics and the terminals page; the staff API needs the token and validates input', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({ ok: true, venue: 'bar' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/tibillet_gateway_declines_total\{reason="card-cloned"\} 2/);
    expect(metrics).toMatch(/tibillet_gateway_connected_devices 1/);
    till.send('hello', {
      fw: '0.1.0',
      board: '<script>alert(1)</script>',
      reader: 'PN532 1.6',
      mem: 1,
      reset: 'power-on',
    });
    await sleep(100);
    const page = await (await fetch(`${base}/status`)).text();
    expect(page).toContain('till-1');
    expect(page).toContain('&lt;script&gt;');
    expect(page).not.toContain('<script>alert');
    expect((await fetch(`${base}/api/devices`)).status).toBe(401);
    const auth = { authorization: 'Bearer s3cret-token', 'content-type': 'application/json' };
    expect((await fetch(`${base}/api/devices`, { headers: auth })).status).toBe(200);
    const bad = await fetch(`${base}/api/charges`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ deviceId: 'till-1', amount: -5 }),
    });
    expect(bad.status).toBe(400);
    const unknown = await fetch(`${base}/api/charges`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ deviceId: 'ghost', amount: 100 }),
    });
    expect(unknown.status).toBe(404);
    const ok = await fetch(`${base}/api/charges`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ deviceId: 'till-1', amount: 100 }),
    });
    expect(ok.status).toBe(200);
  });

  it('fuzz: random payloads on a device topic are refused without a crash and write nothing', async () => {
    const count = gw.ctx.journal.count();
    const samples = fc.sample(
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.json({ maxDepth: 4 }),
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      ),
      300,
    );
    for (const s of samples)
      till.raw('tb/v1/bar/dev/till-1/up/tap', typeof s === 'string' ? s : Buffer.from(s));
    await sleep(300);
    expect(gw.ctx.journal.count()).toBe(count);
    expect(await till.pay(UID_HEX, { ...soda, sun: sun(40) })).toMatchObject({ ok: true }); // still serving
  });
});
