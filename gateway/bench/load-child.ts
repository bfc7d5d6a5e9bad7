// Load generator in its own process: N MQTT terminals, each with a window of taps in flight
// (closed loop), or paced to a target rate (open loop) to measure latency. Prints one JSON line.

import { protocol } from '@tibillet/firmware';
import { nodeMac } from '@tibillet/firmware/host';
import mqtt from 'mqtt';

interface Args {
  port: number;
  venue: string;
  devices: { id: string; key: string }[];
  /**
   * 'echo': bare tx ids to an echo responder, no client work (the old baseline).
   * 'echo-signed': the same signed tap payloads as 'tap' to an echo responder; the client checks
   * the echoed payload's MAC as a terminal checks a result (the baseline that isolates the
   * gateway's business logic: both sides do the same client work).
   * 'tap': signed taps to the gateway; the client checks each result's MAC and counter.
   */
  mode: 'echo' | 'echo-signed' | 'tap';
  seconds: number;
  window: number;
  /** Open loop: total messages per second across all devices (0 = closed loop). */
  rate: number;
  /** First counter (a second run on the same gateway must start above the first). */
  start: number;
}

const args = JSON.parse(process.argv[2]) as Args;
protocol.setCrypto(nodeMac);
const latencies: number[] = [];
let done = 0;
/** Every answer, warm-up included: CPU per message = CPU over the whole run / total. */
let total = 0;
let errors = 0;
let measuring = false;

async function terminal(id: string, key: string, index: number) {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${args.port}`, {
    clientId: id,
    username: id,
    password: protocol.mqttPassword(key),
    reconnectPeriod: 0,
  });
  (client.stream as unknown as { setNoDelay(b: boolean): void }).setNoDelay(true);
  await client.subscribeAsync(`tb/v1/${args.venue}/dev/${id}/down/+`, { qos: 1 });
  let n = args.start;
  const sentAt = new Map<string, number>();
  const card = `04BE${index.toString(16).padStart(10, '0').toUpperCase()}`;
  let next: () => void = () => {};
  // Last accepted counter on what comes down: a terminal refuses a replayed result.
  let lastDown = -1;
  client.on('message', (topic, payload) => {
    let tx: string;
    if (args.mode === 'echo') tx = payload.toString();
    else {
      if (args.mode === 'tap' && !topic.endsWith('/result')) return;
      const r = protocol.verify(payload.toString(), key, lastDown);
      if (!r.ok) {
        errors++;
        return;
      }
      lastDown = r.message.n;
      const b = r.message.b as { tx: string; ok?: boolean };
      tx = b.tx;
      if (args.mode === 'tap' && !b.ok) errors++;
    }
    const t0 = sentAt.get(tx);
    if (t0 === undefined) return;
    sentAt.delete(tx);
    total++;
    if (measuring) {
      done++;
      latencies.push(performance.now() - t0);
    }
    next();
  });
  const send = () => {
    const k = n++;
    const tx = `${id}-${k}`;
    sentAt.set(tx, performance.now());
    if (args.mode === 'echo') client.publish(`tb/v1/${args.venue}/dev/${id}/up/echo`, tx, { qos: 1 });
    else {
      const b = { tx, uid: card, mode: 'cashier', cart: [{ sku: 'beer', qty: 1, price: 350 }] };
      client.publish(
        `tb/v1/${args.venue}/dev/${id}/up/${args.mode === 'tap' ? 'tap' : 'echo'}`,
        protocol.sign({ v: 1, k: 'tap', d: id, n: k, b } as protocol.Message, key),
        { qos: 1 },
      );
    }
  };
  return { client, send, sentAt, setNext: (f: () => void) => (next = f), card, id };
}

const terms = await Promise.all(args.devices.map((d, i) => terminal(d.id, d.key, i)));
// The parent samples its own CPU from here: connection set-up is not part of the figures.
process.stdout.write('READY\n');
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
// Warm-up, not measured: the JIT of both processes, and the first load of a fresh process would
// otherwise count its compile time against whichever variant happens to run first.
const WARM_UP_MS = 1000;
const stopAt = performance.now() + WARM_UP_MS + args.seconds * 1000;
setTimeout(() => (measuring = true), WARM_UP_MS);
if (args.rate === 0) {
  for (const t of terms) {
    t.setNext(() => {
      if (performance.now() < stopAt) t.send();
    });
    for (let i = 0; i < args.window; i++) t.send();
  }
} else {
  for (const t of terms) t.setNext(() => {});
  const perTick = args.rate / 1000; // messages per ms
  let owed = 0;
  let i = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    owed += (now - last) * perTick;
    last = now;
    while (owed >= 1) {
      terms[i++ % terms.length].send();
      owed--;
    }
    if (now >= stopAt) clearInterval(timer);
  }, 1);
}
await new Promise((r) => setTimeout(r, stopAt - performance.now() + 300));
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
const cpu = process.cpuUsage(cpu0);
const cpuUs = cpu.user + cpu.system;
process.stdout.write(
  `${JSON.stringify({
    perSecond: done / args.seconds,
    p50: pct(0.5),
    p99: pct(0.99),
    errors,
    samples: latencies.length,
    total,
    childCpu: cpuUs / 1000 / (performance.now() - wall0),
    childUsPerMsg: cpuUs / Math.max(1, total),
  })}\n`,
);
await Promise.all(terms.map((t) => t.client.endAsync(true)));
process.exit(0);
