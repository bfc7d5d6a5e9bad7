import type { Socket } from 'node:net';
import { protocol } from '@tibillet/firmware';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.js';
import { device, keyOf, startGateway, type TestDevice, VENUE } from './helpers.js';

const CARD = '04A1B2C3D4E5F7';
const beer = { sku: 'beer', qty: 1, price: 350 };

describe("embedded broker: a tap's PUBACK leaves with its result", () => {
  let gw: Gateway;
  let till: TestDevice;
  let chunks: Buffer[] = [];
  const topic = protocol.deviceTopic(VENUE, 'till-1', 'up', 'tap');

  beforeAll(async () => {
    gw = await startGateway(['till-1']);
    gw.ctx.book.apply(gw.ctx.book.get(CARD), [{ asset: 'EUR', amount: 10_000 }], 1);
    till = await device(`mqtt://127.0.0.1:${gw.brokerPort}`, 'till-1');
    (till.client.stream as unknown as Socket).on('data', (c: Buffer) => chunks.push(c));
  });
  afterAll(async () => {
    await till?.close();
    await gw?.close();
  });

  it('one write: the PUBACK, then the result, in the same segment', async () => {
    for (let i = 0; i < 3; i++) {
      chunks = [];
      const tx = `till-1-${till.n}`;
      const acked = till.client.publishAsync(
        topic,
        till.sign('tap', { tx, uid: CARD, mode: 'cashier', cart: [beer] }),
        { qos: 1 },
      );
      expect(await till.waitResult(tx)).toMatchObject({ ok: true, amt: 350 });
      await acked;
      const withResult = chunks.filter((c) => c.includes(`"tx":"${tx}"`));
      expect(withResult).toHaveLength(1);
      // 0x40 0x02: a PUBACK's fixed header, ahead of the result's PUBLISH in the same chunk.
      expect([withResult[0][0], withResult[0][1]]).toEqual([0x40, 0x02]);
    }
  });

  it('a refused tap, or a tap with no result, is acknowledged at once', async () => {
    const forged = protocol.sign(
      {
        v: 1,
        k: 'tap',
        d: 'till-1',
        n: till.n++,
        b: { tx: `till-1-${till.n}`, uid: CARD, mode: 'cashier', cart: [beer] },
      } as protocol.Message,
      keyOf('till-2'),
    );
    const t0 = performance.now();
    await till.client.publishAsync(topic, forged, { qos: 1 });
    // Another device's tx id: the handler answers nothing.
    await till.client.publishAsync(
      topic,
      till.sign('tap', { tx: `till-2-${till.n}`, uid: CARD, mode: 'cashier', cart: [beer] }),
      { qos: 1 },
    );
    expect(performance.now() - t0).toBeLessThan(500);
    const rejected = (await gw.metrics.rejected.get()).values;
    expect(rejected.find((v) => v.labels.reason === 'bad-tx')?.value).toBe(1);
    expect(rejected.find((v) => v.labels.reason === 'bad-mac')?.value).toBe(1);
    // The terminal still taps normally afterwards.
    expect(await till.pay(CARD, { cart: [beer] })).toMatchObject({ ok: true });
  });
});
