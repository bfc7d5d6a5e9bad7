// PostgreSQL restart during ingest: the cloud runs on a throwaway cluster started by this test
// (initdb + pg_ctl on a free port, never the shared 5432 one); a gateway syncs a steady stream of
// taps in small batches; `pg_ctl restart -m immediate` (a crash: WAL recovery on start) hits it
// mid-ingest, once or twice. After recovery no approved transaction is lost or duplicated (by
// idempotency key), Σ per asset = 0, and the transparency log verifies.
import type { protocol } from '@tibillet/firmware';
import type { Gateway } from '@tibillet/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDevice } from '../../gateway/test/helpers.js';
import { type CloudHarness, startCloud } from '../e2e/cloud-harness.js';
import { cardUids } from '../helpers/card-uids.js';
import { expectCloudHoldsJournal } from '../helpers/cloud-holds-journal.js';
import { startVenueGateway, terminal } from '../helpers/venue-gateway.js';
import { seeds, sleep, until, withSeed } from './fault-kit.js';
import { type PgCluster, postgresBin, startPgCluster } from './pg-cluster.js';

const TILLS = ['till-1', 'till-2', 'till-3'];
const CARDS = cardUids('04F0AB0000', 12);

describe.skipIf(!postgresBin())('PostgreSQL restart during ingest (throwaway cluster)', () => {
  let pg: PgCluster;
  beforeAll(async () => {
    pg = await startPgCluster();
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
  });

  for (const seed of seeds(2)) {
    it(
      `seed ${seed}: pg_ctl restart -m immediate mid-ingest: nothing lost, nothing twice, Σ = 0, log verifies`,
      () =>
        withSeed(seed, async (random) => {
          const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
          let cloud: CloudHarness | undefined;
          let gw: Gateway | undefined;
          const devices: TestDevice[] = [];
          try {
            cloud = await startCloud('postgres', { url: pg.url });
            const c = cloud;
            gw = await startVenueGateway(c, {
              terminals: ['top-1', ...TILLS],
              dataDirPrefix: 'tb-fault-pg-',
              syncLingerMs: 5,
              syncBatchSize: 20, // many small batches: a restart lands inside one
              venue: {
                pointsOfSale: [
                  {
                    id: 'bar',
                    name: 'Bar',
                    mode: 'cashier',
                    devices: TILLS,
                    products: [{ sku: 'beer', label: 'Beer', price: 350 }],
                  },
                  { id: 'cash', name: 'Cash', mode: 'topup', devices: ['top-1'], products: [] },
                ],
                standIn: { perCard: 2000, perVenue: 100_000 },
              },
            });
            const g = gw;
            const top = await terminal(g, 'top-1');
            const tills = await Promise.all(TILLS.map((id) => terminal(g, id)));
            devices.push(top, ...tills);
            for (const card of CARDS)
              expect(await top.pay(card, { mode: 'topup', amt: 5000 })).toMatchObject({ ok: true });

            // A steady stream of sales and top-ups while PostgreSQL crashes and recovers.
            const answers = new Map<string, protocol.ResultBody>();
            let running = true;
            const stream = async (d: TestDevice) => {
              while (running) {
                const extra: Partial<protocol.TapBody> =
                  d === top
                    ? { mode: 'topup', amt: 100 * (1 + Math.floor(random() * 10)) }
                    : { cart: [{ sku: 'beer', qty: 1 + Math.floor(random() * 2), price: 350 }] };
                const tx = `${d.id}-${d.n}`;
                answers.set(tx, await d.pay(pick(CARDS), extra));
                await sleep(5 + Math.floor(random() * 20));
              }
            };
            const streams = [top, ...tills].map(stream);
            const restarts = 1 + Math.floor(random() * 2);
            let ingestedAtRestart = 0;
            for (let r = 0; r < restarts; r++) {
              await sleep(700 + Math.floor(random() * 1500));
              ingestedAtRestart = g.ctx.journal.count() - g.ctx.journal.unsyncedStats().count;
              const t0 = Date.now();
              await pg.restart('immediate');
              console.log(
                `seed ${seed}: restart ${r + 1} took ${Date.now() - t0} ms (journal ${g.ctx.journal.count()})`,
              );
            }
            await sleep(1000 + Math.floor(random() * 1000)); // sales go on after recovery
            running = false;
            await Promise.all(streams);
            const t0 = Date.now();
            await until(
              'backlog drained after recovery',
              () => g.ctx.journal.unsyncedStats().count === 0,
              30_000,
              () => g.ctx.journal.unsyncedStats(),
            );
            const metrics = await (await fetch(`${c.url}/metrics`)).text();
            const metric = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? 0);
            const failedBatches = metric(
              /tibillet_http_requests_total\{route="\/v1\/sync\/batches",code="5\d\d"\} (\d+)/,
            );
            const duplicates = metric(/tibillet_sync_items_total\{status="duplicate"\} (\d+)/);
            console.log(
              `seed ${seed}: ${restarts} restart(s), ${answers.size} taps, ${failedBatches} batch(es) failed by the crash, ${duplicates} item(s) re-sent as duplicates; drained ${Date.now() - t0} ms after the stream`,
            );
            expect(ingestedAtRestart).toBeGreaterThan(0);
            expect(failedBatches, 'the restart hit ingest').toBeGreaterThan(0);

            expect([...answers.values()].filter((a) => a.ok).length).toBeGreaterThan(100);
            // Declines are journaled too: every answer a terminal got is the journal's.
            await expectCloudHoldsJournal(c, g, answers);
          } catch (e) {
            const log = pg.log().split('\n').slice(-15).join('\n');
            (e as Error).message += `\n--- PostgreSQL log (tail) ---\n${log}`;
            throw e;
          } finally {
            for (const d of devices) await d.close().catch(() => {});
            await gw?.close();
            await cloud?.close();
          }
        }),
      60_000,
    );
  }
});
