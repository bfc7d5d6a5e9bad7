// Reconnect storm: 200 terminals connect at once to one gateway (embedded aedes) and each taps;
// then the gateway restarts on the same port and journal, and all 200 reconnect at the same
// moment, re-send their first tap (lost answer) and tap again. Everything is answered within a
// bound, nothing is lost, re-sends get the original answer, and no tx is journaled twice.
import { protocol } from '@tibillet/firmware';
import type { Gateway } from '@tibillet/gateway';
import mqtt, { type MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { keyOf, startGateway, tmp, VENUE } from '../../gateway/test/helpers.js';
import { journalRows, seeds, sleep, until, withSeed } from './fault-kit.js';

const N = 200;
const IDS = Array.from({ length: N }, (_, i) => (i % 2 === 0 ? `top-${i}` : `till-${i}`));
const cardOf = (i: number) => `04E1${i.toString(16).padStart(10, '0').toUpperCase()}`;

/** A lean terminal: one MQTT client that reconnects by itself, signs taps, keeps verified results. */
function terminal(port: number, id: string, reconnectMs: number) {
  const key = keyOf(id);
  let n = 1;
  let last = -1;
  const results = new Map<string, protocol.ResultBody[]>();
  const client: MqttClient = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: id,
    username: id,
    password: protocol.mqttPassword(key),
    reconnectPeriod: reconnectMs,
    connectTimeout: 10_000,
  });
  client.on('error', () => {});
  client.on('connect', () => client.subscribe(`tb/v1/${VENUE}/dev/${id}/down/+`, { qos: 1 }));
  client.on('message', (_t, payload) => {
    const r = protocol.verify(payload.toString(), key, last);
    if (!r.ok || r.message.k !== 'result') return;
    last = r.message.n;
    const b = r.message.b as protocol.ResultBody;
    results.set(b.tx, [...(results.get(b.tx) ?? []), b]);
  });
  const connected = () =>
    new Promise<void>((resolve) => (client.connected ? resolve() : client.once('connect', () => resolve())));
  return {
    id,
    client,
    results,
    connected,
    /** Publishes a tap (a fresh counter; `tx` given = a re-send of that tap). */
    async tap(body: Omit<protocol.TapBody, 'tx'>, tx?: string): Promise<string> {
      await connected();
      const c = n++;
      const id2 = tx ?? `${id}-${c}`;
      const payload = protocol.sign(
        { v: 1, k: 'tap', d: id, n: c, b: { tx: id2, ...body } } as protocol.Message,
        key,
      );
      await client.publishAsync(`tb/v1/${VENUE}/dev/${id}/up/tap`, payload, { qos: 1 });
      return id2;
    },
    close: () => client.endAsync(true),
  };
}

describe(`reconnect storm: ${N} terminals on one gateway`, () => {
  for (const seed of seeds(2)) {
    it(
      `seed ${seed}: ${N} connect at once and tap, then reconnect at once after a restart: all answered`,
      () =>
        withSeed(seed, async (random) => {
          const dataDir = tmp();
          let gw: Gateway = await startGateway(IDS, { dataDir });
          const port = gw.brokerPort as number;
          const credit = () => {
            for (let i = 1; i < N; i += 2)
              if (gw.ctx.book.available(gw.ctx.book.get(cardOf(i)), 'EUR') < 1000)
                gw.ctx.book.apply(gw.ctx.book.get(cardOf(i)), [{ asset: 'EUR', amount: 10_000 }], 1);
          };
          credit();
          const body = (i: number): Omit<protocol.TapBody, 'tx'> =>
            i % 2 === 0
              ? { uid: cardOf(i), mode: 'topup', amt: 100 * (1 + Math.floor(random() * 20)) }
              : { uid: cardOf(i), mode: 'cashier', cart: [{ sku: 'beer', qty: 1, price: 350 }] };
          const terms = IDS.map((id) => terminal(port, id, 300 + Math.floor(random() * 400)));
          try {
            // Storm 1: everyone connects at once and taps as soon as connected.
            let t0 = Date.now();
            const first = await Promise.all(terms.map((t, i) => t.tap(body(i))));
            await until(
              'all first taps answered',
              () => first.every((tx, i) => terms[i].results.has(tx)),
              20_000,
              () => first.filter((tx, i) => !terms[i].results.has(tx)).length,
            );
            const storm1 = Date.now() - t0;
            expect(first.every((tx, i) => terms[i].results.get(tx)?.[0].ok)).toBe(true);

            // The gateway restarts (same port, same journal): all 200 reconnect in the same second.
            await gw.close();
            await sleep(200 + Math.floor(random() * 500));
            gw = await startGateway(IDS, { dataDir, mqttPort: port });
            credit(); // standalone gateway: the test's credit is not in the journal, give it again
            t0 = Date.now();
            // Each re-sends its first tap (as after a lost answer) and makes a new one.
            const second = await Promise.all(
              terms.map(async (t, i) => {
                await t.connected();
                await t.tap(body(i), first[i]);
                return t.tap(body(i));
              }),
            );
            await until(
              'all re-sends and second taps answered',
              () =>
                terms.every(
                  (t, i) => (t.results.get(first[i])?.length ?? 0) >= 2 && t.results.has(second[i]),
                ),
              20_000,
              () => terms.filter((t, i) => !t.results.has(second[i])).length,
            );
            const storm2 = Date.now() - t0;
            console.log(`seed ${seed}: storm 1 answered in ${storm1} ms, reconnect storm in ${storm2} ms`);
            expect(storm1).toBeLessThan(10_000);
            expect(storm2).toBeLessThan(10_000);
            for (const [i, t] of terms.entries()) {
              const [a, b] = t.results.get(first[i]) as protocol.ResultBody[];
              expect(b, `re-send of ${first[i]}`).toEqual(a); // the original answer, not a second charge
              expect(t.results.get(second[i])?.[0].ok, second[i]).toBe(true);
            }
            const rows = journalRows(gw.ctx.journal.db);
            expect(rows.length).toBe(2 * N);
            expect(new Set(rows.map((r) => r.tx))).toEqual(new Set([...first, ...second]));
            expect(gw.bus.connectedDevices()).toBe(N);
          } finally {
            await Promise.all(terms.map((t) => t.close()));
            await gw.close();
          }
        }),
      60_000,
    );
  }
});
