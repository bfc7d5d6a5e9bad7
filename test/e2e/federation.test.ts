// Two venues of one federation, each with its own gateway, spending the same federated card:
// the second venue sees what the first spent, and every spend is in the public log with an
// inclusion proof that verifies against the signed checkpoint. Run on PGlite with the embedded
// broker and on PostgreSQL with the machine's Mosquitto (127.0.0.1:1883).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, type Gateway } from '@tibillet/gateway';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryBytes, type PublicLogEntry } from '../../cloud/src/transparency/chain.js';
import { leafHash, verifyInclusion } from '../../cloud/src/transparency/merkle.js';
import { device, keyOf, sleep, type TestDevice } from '../../gateway/test/helpers.js';
import { type CloudHarness, startCloud } from './cloud-harness.js';

const CARD = '04FEDE00000001';

for (const variant of [
  { db: 'pglite', broker: 'embedded' },
  { db: 'postgres', broker: 'mosquitto' },
] as const) {
  describe(`two venues, one card [${variant.db}, ${variant.broker}]`, () => {
    let cloud: CloudHarness;
    const gws: Gateway[] = [];
    const tills: TestDevice[] = [];
    let top: TestDevice;

    beforeAll(async () => {
      cloud = await startCloud(variant.db);
      for (const [i, venue] of cloud.venues.entries()) {
        const ids = i === 0 ? ['till-a', 'top-a'] : ['till-b'];
        for (const d of ids) await cloud.registerDevice(venue, d, keyOf(d));
        const gw = await createGateway({
          venueId: venue,
          dataDir: mkdtempSync(join(tmpdir(), 'tb-fed-')),
          mqttPort: 0,
          mqttHost: '127.0.0.1',
          mqttUrl: variant.broker === 'mosquitto' ? 'mqtt://127.0.0.1:1883' : undefined,
          cloudUrl: cloud.url,
          cloudApiKey: cloud.apiKeys[i],
          syncLingerMs: 5,
          witnessIntervalMs: 0,
          logger: pino({ level: 'silent' }),
          venue: {
            pointsOfSale: [
              {
                id: 'bar',
                name: 'Bar',
                mode: 'cashier',
                devices: [ids[0]],
                products: [{ sku: 'beer', label: 'Beer', price: 350 }],
              },
              { id: 'cash', name: 'Cash', mode: 'topup', devices: ids.slice(1), products: [] },
            ],
          },
        });
        gws.push(gw);
        const url =
          variant.broker === 'mosquitto' ? 'mqtt://127.0.0.1:1883' : `mqtt://127.0.0.1:${gw.brokerPort}`;
        tills.push(await device(url, ids[0], { venue }));
        if (i === 0) top = await device(url, 'top-a', { venue });
      }
    }, 60_000);
    afterAll(async () => {
      for (const d of [...tills, top]) await d?.close();
      for (const g of gws) await g.close();
      await cloud?.close();
    });

    const synced = async (gw: Gateway) => {
      for (let i = 0; i < 200 && gw.ctx.journal.unsyncedStats().count > 0; i++) await sleep(25);
      expect(gw.ctx.journal.unsyncedStats().count).toBe(0);
    };

    it('venue B sees what venue A spent; its overspend is declined; both spends are provably in the log', async () => {
      const [a, b] = tills;
      expect(await top.pay(CARD, { mode: 'topup', amt: 1000 })).toMatchObject({ ok: true });
      const txA = `till-a-${a.n}`;
      expect(await a.pay(CARD, { cart: [{ sku: 'beer', qty: 2, price: 350 }] })).toMatchObject({
        ok: true,
        bal: [{ a: 'EUR', v: 300 }],
      });
      await synced(gws[0]);
      // Venue B has never seen the card: it leases the balance from the cloud.
      expect(await b.pay(CARD, { cart: [{ sku: 'beer', qty: 1, price: 350 }] })).toMatchObject({
        ok: false,
        reason: 'insufficient-funds',
        bal: [{ a: 'EUR', v: 300 }],
      });
      await top.pay(CARD, { mode: 'topup', amt: 500 });
      await synced(gws[0]);
      gws[1].ctx.book.get(CARD).leaseUntil = 0; // let B renew its lease now rather than in a minute
      const txB = `till-b-${b.n}`;
      expect(await b.pay(CARD, { cart: [{ sku: 'beer', qty: 1, price: 350 }] })).toMatchObject({
        ok: true,
        bal: [{ a: 'EUR', v: 450 }],
      });
      await synced(gws[1]);
      expect(await cloud.balances(CARD)).toEqual({ EUR: 450 });
      for (const [asset, sum] of Object.entries(await cloud.sums())) expect(sum, asset).toBe(0);

      // A signed checkpoint, then each venue's spend found in the public log and proven in it.
      const signed = await fetch(`${cloud.url}/v1/log/checkpoints`, {
        method: 'POST',
        headers: { authorization: `Bearer ${cloud.apiKeys[0]}` },
      });
      expect(signed.status).toBeLessThan(300);
      const cp = (await (await fetch(`${cloud.url}/v1/log/checkpoint`)).json()) as {
        treeSize: number;
        rootHash: string;
      };
      const { entries } = (await (
        await fetch(`${cloud.url}/v1/log/entries?start=0&end=${Math.min(cp.treeSize, 1000)}`)
      ).json()) as { entries: PublicLogEntry[] };
      for (const tx of [txA, txB]) {
        const entry = entries.find((e) => e.id.includes(tx));
        expect(entry, tx).toBeDefined();
        const e = entry as PublicLogEntry;
        const p = (await (
          await fetch(`${cloud.url}/v1/log/proof/inclusion?index=${e.index}&treeSize=${cp.treeSize}`)
        ).json()) as { proof: string[] };
        const leaf = leafHash(entryBytes(e));
        expect(verifyInclusion(leaf, e.index, cp.treeSize, p.proof, cp.rootHash), tx).toBe(true);
        expect(verifyInclusion(leaf, e.index, cp.treeSize, p.proof, 'ab'.repeat(32))).toBe(false);
      }
    });
  });
}
