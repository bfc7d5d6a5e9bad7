// The venue's internet is down for a long time: the gateway keeps selling (leases, stand-in),
// journals hundreds of taps offline while its sync backs off, then the cloud comes back. The
// backlog drains with no re-sent batch counted twice (transfers by idempotency key), every
// approved tap is in the ledger exactly once, Σ per asset = 0, and the public log verifies.
import type { protocol } from '@tibillet/firmware';
import type { Gateway } from '@tibillet/gateway';
import { describe, expect, it } from 'vitest';
import type { TestDevice } from '../../gateway/test/helpers.js';
import { gate, startCloud } from '../e2e/cloud-harness.js';
import { cardUids } from '../helpers/card-uids.js';
import { expectCloudHoldsJournal } from '../helpers/cloud-holds-journal.js';
import { startVenueGateway, terminal } from '../helpers/venue-gateway.js';
import { seeds, sleep, until, withSeed } from './fault-kit.js';

const TILLS = ['till-1', 'till-2', 'till-3'];
const KNOWN = cardUids('04D0AA0000', 12);
const UNKNOWN = cardUids('04D0BB0000', 8);
const PRODUCTS = [
  { sku: 'beer', label: 'Beer', price: 350 },
  { sku: 'soda', label: 'Soda', price: 200 },
];

/** Re-sends a tap (fresh counter, same tx id) and returns the answer to this re-send. */
async function resend(d: TestDevice, tx: string, body: object): Promise<protocol.ResultBody> {
  const results = () => d.received.filter((m) => m.k === 'result' && (m.b as protocol.ResultBody).tx === tx);
  const seen = results().length;
  d.send('tap', body);
  await until(`answer to the re-sent ${tx}`, () => results().length > seen, 3000);
  return results()[seen].b as protocol.ResultBody;
}

describe('cloud down for a long time, then back', () => {
  for (const seed of seeds(2)) {
    it(
      `seed ${seed}: hundreds of offline taps drain exactly once; Σ = 0; the log verifies`,
      () =>
        withSeed(seed, async (random) => {
          const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
          const cloud = await startCloud('pglite');
          const net = await gate(cloud.url);
          let gw: Gateway | undefined;
          const devices: TestDevice[] = [];
          try {
            gw = await startVenueGateway(cloud, {
              terminals: ['top-1', ...TILLS],
              dataDirPrefix: 'tb-fault-cloud-',
              cloudUrl: net.url,
              syncLingerMs: 10,
              syncBatchSize: 100,
              venue: {
                pointsOfSale: [
                  { id: 'bar', name: 'Bar', mode: 'cashier', devices: TILLS, products: PRODUCTS },
                  { id: 'cash', name: 'Cash', mode: 'topup', devices: ['top-1'], products: [] },
                ],
                standIn: { perCard: 1500, perVenue: 100_000 },
              },
            });
            const g = gw;
            const top = await terminal(g, 'top-1');
            devices.push(top);
            const tills = await Promise.all(TILLS.map((id) => terminal(g, id)));
            devices.push(...tills);

            // Online: the known cards get money and leases.
            for (const card of KNOWN)
              expect(
                await top.pay(card, { mode: 'topup', amt: 2000 + Math.floor(random() * 30) * 100 }),
              ).toMatchObject({
                ok: true,
              });
            await until('initial sync', () => g.ctx.journal.unsyncedStats().count === 0);
            const before = g.ctx.journal.count();

            // The internet goes down for long enough that the sync backs off many times over.
            net.down();
            await until('gateway sees the cloud down', () => g.sync?.online === false);
            const downMs = 3000 + Math.floor(random() * 2000);
            const downSince = Date.now();
            const answers = new Map<string, protocol.ResultBody>();
            const sent = new Map<string, { d: TestDevice; body: object }>();
            const tapper = async (d: TestDevice, count: number) => {
              for (let i = 0; i < count || Date.now() - downSince < downMs; i++) {
                const topup = d === top;
                const card = random() < 0.8 ? pick(KNOWN) : pick(UNKNOWN);
                const product = pick(PRODUCTS);
                const extra: Partial<protocol.TapBody> = topup
                  ? { mode: 'topup', amt: 100 * (1 + Math.floor(random() * 5)) }
                  : { cart: [{ sku: product.sku, qty: 1 + Math.floor(random() * 2), price: product.price }] };
                const tx = `${d.id}-${d.n}`;
                sent.set(tx, { d, body: { tx, uid: card, mode: 'cashier', ...extra } });
                answers.set(tx, await d.pay(card, extra));
                if (random() < 0.05) {
                  // A terminal re-sends an earlier tap (its answer was lost): the original answer again.
                  const [old, s] = pick([...sent]);
                  expect(await resend(s.d, old, s.body)).toEqual(answers.get(old));
                }
                if (i >= count) await sleep(50);
              }
            };
            await Promise.all([tapper(top, 30), ...tills.map((t) => tapper(t, 60))]);
            expect(Date.now() - downSince).toBeGreaterThanOrEqual(downMs);
            const offline = g.ctx.journal.unsyncedStats().count;
            const approved = [...answers.values()].filter((a) => a.ok).length;
            expect(offline).toBe(approved);
            expect(approved).toBeGreaterThan(150);
            expect(g.ctx.journal.count() - before).toBe(answers.size); // declines journaled too

            // Back, but flapping first: the link is cut again while batches are in flight (the cloud
            // may have committed a batch whose answer never arrives), then it stays up. The backlog
            // drains without a new tap to wake the sync.
            for (let flap = 0; flap < 3; flap++) {
              net.up();
              await sleep(20 + Math.floor(random() * 200));
              net.down();
              await sleep(100 + Math.floor(random() * 200));
            }
            // Down again for a while, with a few more sales: a backlog, and a sync deep in its backoff.
            const lateSince = Date.now();
            for (let i = 0; i < 10 || Date.now() - lateSince < 1500; i++) {
              const tx = `${top.id}-${top.n}`;
              const card = pick(KNOWN);
              sent.set(tx, { d: top, body: { tx, uid: card, mode: 'topup', amt: 100 } });
              answers.set(tx, await top.pay(card, { mode: 'topup', amt: 100 }));
              await sleep(50);
            }
            const leftAtUp = g.ctx.journal.unsyncedStats().count;
            expect(leftAtUp).toBeGreaterThanOrEqual(10);
            const upAt = Date.now();
            net.up();
            await until(
              'backlog drained',
              () => g.ctx.journal.unsyncedStats().count === 0,
              40_000,
              () => g.ctx.journal.unsyncedStats(),
            );
            const drainMs = Date.now() - upAt;
            const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
            const duplicates = Number(
              /tibillet_sync_items_total\{status="duplicate"\} (\d+)/.exec(metrics)?.[1] ?? 0,
            );
            console.log(
              `seed ${seed}: ${offline} taps journaled offline over ${downMs} ms; ${leftAtUp} in the backlog when the link returned; drained in ${drainMs} ms; ${duplicates} item(s) re-sent as duplicates`,
            );
            // The sync wakes as soon as the cloud answers again (config poll), not after its backoff (≤ 30 s).
            expect(drainMs).toBeLessThan(5000);

            // Every approval a terminal got is the journal's; the ledger holds the journal exactly once.
            await expectCloudHoldsJournal(
              cloud,
              g,
              [...answers].filter(([, a]) => a.ok),
            );

            // Re-sending offline taps now that they are in the cloud changes nothing anywhere.
            const transfers = await cloud.db.query<{ c: string }>('SELECT count(*)::text c FROM transfers');
            for (const [tx, s] of [...sent].slice(0, 20))
              expect(await resend(s.d, tx, s.body)).toEqual(answers.get(tx));
            await sleep(300);
            expect(g.ctx.journal.unsyncedStats().count).toBe(0);
            expect(
              (await cloud.db.query<{ c: string }>('SELECT count(*)::text c FROM transfers')).rows[0].c,
            ).toBe(transfers.rows[0].c);
          } finally {
            for (const d of devices) await d.close().catch(() => {});
            await gw?.close();
            await net.close();
            await cloud.close();
          }
        }),
      60_000,
    );
  }
});
