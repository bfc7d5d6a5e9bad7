// Broker restart: the gateway process that embeds the MQTT broker is killed (-9) and restarted,
// several times, while real host terminals (firmware state machine + simulated PN532) keep
// selling. Taps made while the broker is gone go to each terminal's offline queue; the terminals
// reconnect by themselves and drain it. Every queued tap is journaled exactly once, every answer a
// terminal got is the journal's, and nothing is journaled that no terminal sent.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protocol } from '@tibillet/firmware';
import { createHostTerminal, type HostTerminal } from '@tibillet/firmware/host';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { device, keyOf, VENUE, venueConfig } from '../../gateway/test/helpers.js';
import { journalRows, seeds, sleep, until, withSeed } from './fault-kit.js';
import { freePort, type GatewayProcess, spawnGateway } from './gateway-process.js';
import { probe, type TerminalProbe } from './terminal-probe.js';

const TILLS = ['till-1', 'till-2', 'till-3'];
const CARDS = Array.from(
  { length: 6 },
  (_, i) => `04B0C0D0E0F0${i.toString(16).padStart(2, '0').toUpperCase()}`,
);

describe('broker restart under load with real terminals', () => {
  for (const seed of seeds(2)) {
    it(
      `seed ${seed}: terminals reconnect; queued taps delivered once; answers match the journal`,
      () =>
        withSeed(seed, async (random) => {
          const dataDir = mkdtempSync(join(tmpdir(), 'tb-fault-broker-'));
          const mqttPort = await freePort();
          const config = {
            venue: VENUE,
            dataDir,
            mqttPort,
            httpPort: await freePort(),
            venueConfig: venueConfig(['top-1', ...TILLS], { terminalOfflineQueue: 40 }),
          };
          const cfgFile = join(dataDir, 'gateway.json');
          let gw: GatewayProcess = await spawnGateway(cfgFile, config);
          const url = `mqtt://127.0.0.1:${mqttPort}`;
          const terms: { id: string; ht: HostTerminal; p: TerminalProbe }[] = [];
          let running = true;
          try {
            const top = await device(url, 'top-1');
            for (const c of CARDS)
              expect(await top.pay(c, { mode: 'topup', amt: 200_000 })).toMatchObject({ ok: true });
            await top.close();
            for (const id of TILLS) {
              const ht = await createHostTerminal({
                mqttUrl: url,
                venue: VENUE,
                deviceId: id,
                keyHex: keyOf(id),
                reader: 'sim',
                lang: 'en',
                resultTimeoutMs: 1500,
                storagePath: join(dataDir, `${id}.flash.json`),
              });
              terms.push({ id, ht, p: probe(ht) });
            }
            await until('terminals configured', () =>
              terms.every((t) => t.p.connected() && t.p.hasMenu() && t.p.offq() === 40),
            );

            /** A cashier: items, card on the reader, wait for its effect (sent or queued), next. */
            const cashier = async (t: (typeof terms)[number]) => {
              while (running) {
                const sent = t.p.sent.length;
                const queued = t.p.queued.length;
                const items = 1 + Math.floor(random() * 2);
                for (let i = 0; i < items; i++) t.ht.terminal.onButton('ok');
                await t.ht.tap(CARDS[Math.floor(random() * CARDS.length)], 50 + Math.floor(random() * 50));
                const end = Date.now() + 2000;
                while (Date.now() < end && t.p.sent.length === sent && t.p.queued.length === queued)
                  await sleep(10);
                await until(`${t.id}: card gone`, () => t.p.fieldEmpty(), 2000);
                // A sale waits for its result (or the timeout screen) before the next customer.
                const tx = t.p.sent.at(-1);
                if (t.p.sent.length > sent && tx && t.p.connected()) {
                  const wait = Date.now() + 1700;
                  while (Date.now() < wait && !t.p.results.has(tx) && t.p.connected()) await sleep(10);
                }
                await sleep(20 + Math.floor(random() * 80));
              }
            };
            const loops = terms.map(cashier);

            const rounds = 2 + Math.floor(random() * 2);
            let downs = 0;
            for (let r = 0; r < rounds; r++) {
              await sleep(600 + Math.floor(random() * 900));
              await gw.kill9();
              const queuedBefore = terms.reduce((s, t) => s + t.p.queued.length, 0);
              await sleep(500 + Math.floor(random() * 1000));
              gw = await spawnGateway(cfgFile, config);
              await until('terminals reconnected', () => terms.every((t) => t.p.connected()), 8000);
              downs += terms.reduce((s, t) => s + t.p.queued.length, 0) - queuedBefore;
            }
            await sleep(800);
            running = false;
            await Promise.all(loops);
            await until(
              'offline queues drained',
              () => terms.every((t) => t.ht.terminal.queued() === 0),
              8000,
              () => terms.map((t) => t.ht.terminal.queued()),
            );
            await sleep(500); // the last drained taps reach the journal
            expect(terms.every((t) => t.p.connected())).toBe(true);
            await gw.stop();

            const db = new Database(join(dataDir, 'journal.sqlite'), { readonly: true });
            const rows = journalRows(db).filter((x) => TILLS.includes(x.device));
            db.close();
            const byTx = new Map(rows.map((x) => [x.tx, x]));
            const queued = terms.flatMap((t) => t.p.queued);
            const sent = new Set(terms.flatMap((t) => t.p.sent));
            const answered = terms.flatMap((t) => [...t.p.results]);
            console.log(
              `seed ${seed}: ${rounds} restarts, ${rows.length} journaled, ${queued.length} queued offline (${downs} between a kill and the reconnection), ${answered.length} answered`,
            );
            expect(queued.length).toBeGreaterThan(0);
            expect(rows.length).toBeGreaterThan(20);
            // Queued while the broker was down → delivered after reconnecting, journaled once (tx UNIQUE).
            expect(
              queued.filter((tx) => !byTx.has(tx)),
              'queued taps never journaled',
            ).toEqual([]);
            for (const tx of queued) expect(byTx.get(tx)?.type, tx).toBe('spend');
            // What a terminal was told is what the journal holds.
            for (const [tx, body] of answered)
              expect(byTx.get(tx)?.result, tx).toBe(
                protocol.encodeCanonical(body as unknown as protocol.Json),
              );
            // Nothing journaled that no terminal sent.
            expect(rows.filter((x) => !sent.has(x.tx)).map((x) => x.tx)).toEqual([]);
          } finally {
            running = false;
            for (const t of terms) await Promise.race([t.ht.close(), sleep(2000)]);
            if (gw.child.exitCode === null) await gw.kill9();
          }
        }),
      60_000,
    );
  }
});
