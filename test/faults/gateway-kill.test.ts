// kill -9 of the gateway under load, at random moments, several times: every tap the terminals
// saw approved is in the journal exactly once with the same answer, nothing approved is lost,
// and re-sent taps get their original answer after the restart.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protocol } from '@tibillet/firmware';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { keyOf, sleep, VENUE, venueConfig } from '../../gateway/test/helpers.js';
import { freePort, spawnGateway } from './gateway-process.js';

const DEVICES = ['top-1', 'top-2', 'top-3', 'top-4'];
const ROUNDS = 3;

/** A terminal that keeps tapping, re-sends unanswered taps after reconnecting, and remembers answers. */
function loadTerminal(port: number, id: string, start: number) {
  const key = keyOf(id);
  const answers = new Map<string, string>();
  const pending = new Map<string, object>();
  let n = start;
  let lastDown = -1;
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: id,
    username: id,
    password: protocol.mqttPassword(key),
    reconnectPeriod: 100,
    connectTimeout: 2000,
  });
  client.on('error', () => {});
  client.on('connect', () => {
    lastDown = -1; // the gateway restarted or we reconnected: its counter only rises anyway
    client.subscribe(`tb/v1/${VENUE}/dev/${id}/down/+`, { qos: 1 });
    for (const body of pending.values()) publish(body); // same tx id, fresh counter
  });
  client.on('message', (_t, payload) => {
    const r = protocol.verify(payload.toString(), key, lastDown);
    if (!r.ok || r.message.k !== 'result') return;
    lastDown = r.message.n;
    const b = r.message.b as protocol.ResultBody;
    const body = protocol.encodeCanonical(b as unknown as protocol.Json);
    const before = answers.get(b.tx);
    if (before !== undefined && before !== body)
      throw new Error(`two different answers for ${b.tx}: ${before} / ${body}`);
    answers.set(b.tx, body);
    pending.delete(b.tx);
  });
  const publish = (body: object) => {
    const payload = protocol.sign({ v: 1, k: 'tap', d: id, n: n++, b: body } as protocol.Message, key);
    client.publish(`tb/v1/${VENUE}/dev/${id}/up/tap`, payload, { qos: 1 });
  };
  let running = true;
  const loop = (async () => {
    let i = 0;
    while (running) {
      if (client.connected && pending.size < 8) {
        const tx = `${id}-${n}`;
        const body = {
          tx,
          uid: `04AA00000000${(i++ % 16).toString(16).padStart(2, '0').toUpperCase()}`,
          mode: 'topup',
          amt: 100,
        };
        pending.set(tx, body);
        publish(body);
      }
      await sleep(2);
    }
  })();
  return {
    answers,
    pending,
    stopTapping: async () => {
      running = false;
      await loop;
    },
    close: () => client.endAsync(true),
  };
}

describe('gateway kill -9 under load', () => {
  it(`${ROUNDS} random kills: approved taps journaled exactly once, re-sends answered identically`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tb-kill-'));
    const mqttPort = await freePort();
    const config = {
      venue: VENUE,
      dataDir,
      mqttPort,
      httpPort: await freePort(),
      venueConfig: venueConfig(DEVICES),
    };
    const cfgFile = join(dataDir, 'gateway.json');
    let gw = await spawnGateway(cfgFile, config);
    const terms = DEVICES.map((d, i) => loadTerminal(mqttPort, d, 1000 + i));
    const seenBeforeKill: Map<string, string>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await sleep(300 + Math.floor(Math.random() * 700));
      seenBeforeKill.push(new Map(terms.flatMap((t) => [...t.answers])));
      await gw.kill9();
      gw = await spawnGateway(cfgFile, config);
    }
    for (const t of terms) await t.stopTapping();
    // Every tap still unanswered is re-sent on reconnect; wait until all are answered.
    const deadline = Date.now() + 15_000;
    while (terms.some((t) => t.pending.size > 0) && Date.now() < deadline) await sleep(50);
    expect(terms.map((t) => t.pending.size)).toEqual(DEVICES.map(() => 0));
    await gw.stop();
    for (const t of terms) await t.close();

    const db = new Database(join(dataDir, 'journal.sqlite'), { readonly: true });
    const rows = db.prepare("SELECT tx, result, legs FROM tx WHERE type = 'topup'").all() as {
      tx: string;
      result: string;
      legs: string;
    }[];
    db.close();
    const journal = new Map(rows.map((r) => [r.tx, r.result]));
    expect(journal.size).toBe(rows.length); // UNIQUE: never twice
    const answers = new Map(terms.flatMap((t) => [...t.answers]));
    expect(answers.size).toBeGreaterThan(50);
    // Every answer a terminal got is the journal's, and every journaled tap was answered.
    for (const [tx, body] of answers) expect(journal.get(tx), tx).toBe(body);
    expect([...journal.keys()].filter((tx) => !answers.has(tx))).toEqual([]);
    // Nothing seen approved before a kill went missing after it.
    for (const seen of seenBeforeKill) for (const [tx, body] of seen) expect(journal.get(tx)).toBe(body);
  }, 90_000);
});
