// gateway.rawEchoPerSecond, gateway.tapsPerSecond, gateway.p99Ms (at 50 % of max), gateway.recoverSeconds.
// Terminals are 50 MQTT clients in another process (load-child.ts) over real TCP on 127.0.0.1.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import pino from 'pino';
import { createGateway } from '../src/gateway.js';
import { Journal } from '../src/journal/journal.js';
import { keyOf, venueConfig } from '../test/helpers.js';

const CLIENTS = 50;
const SECONDS = 5;
// A terminal has one tap in flight: it waits for the answer before the next holder taps.
const WINDOW = 1;
const child = fileURLToPath(new URL('./load-child.ts', import.meta.url));

interface Load {
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  samples: number;
}

function load(port: number, venue: string, mode: 'echo' | 'tap', rate: number, start = 1): Promise<Load> {
  const devices = Array.from({ length: CLIENTS }, (_, i) => ({ id: `load-${i}`, key: keyOf(`load-${i}`) }));
  const args = JSON.stringify({ port, venue, devices, mode, seconds: SECONDS, window: WINDOW, rate, start });
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', child, args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop() as string))
        : reject(new Error(`load child exited ${code}`)),
    );
  });
}

/**
 * The echo without logic. `inProcess`: the responder subscribes inside the broker, as the
 * embedded gateway does (the fair baseline); otherwise it is an MQTT client of the broker, as in
 * the setup the issue's ~7,600/s was measured with.
 */
async function rawEcho(inProcess: boolean): Promise<Load> {
  const broker = await Aedes.createBroker();
  const echoTopic = (topic: string) => `tb/v1/echo/dev/${topic.split('/')[4]}/down/echo`;
  if (inProcess)
    broker.subscribe(
      'tb/v1/echo/dev/+/up/+',
      (packet, cb) => {
        const echo = {
          cmd: 'publish',
          topic: echoTopic(packet.topic),
          payload: packet.payload,
          qos: 1,
          retain: false,
          dup: false,
        } as const;
        broker.publish(echo, () => {});
        cb();
      },
      () => {},
    );
  const server = createServer((s) => {
    s.setNoDelay(true);
    broker.handle(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  let responder: mqtt.MqttClient | undefined;
  if (!inProcess) {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'echo-responder' });
    (client.stream as unknown as { setNoDelay(b: boolean): void }).setNoDelay(true);
    client.on('message', (topic, payload) => client.publish(echoTopic(topic), payload, { qos: 1 }));
    await client.subscribeAsync('tb/v1/echo/dev/+/up/+', { qos: 1 });
    responder = client;
  }
  const r = await load(port, 'echo', 'echo', 0);
  await responder?.endAsync(true);
  await new Promise<void>((res) => server.close(() => broker.close(() => res())));
  return r;
}

async function gatewayLoad(): Promise<{ max: Load; half: Load }> {
  const ids = Array.from({ length: CLIENTS }, (_, i) => `load-${i}`);
  const gw = await createGateway({
    venueId: 'bar',
    dataDir: mkdtempSync(join(tmpdir(), 'tb-bench-')),
    mqttPort: 0,
    mqttHost: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    venue: venueConfig(ids),
    synchronous: process.env.JOURNAL_SYNC === 'NORMAL' ? 'NORMAL' : 'FULL',
  });
  for (let i = 0; i < CLIENTS; i++) {
    const card = `04BE${i.toString(16).padStart(10, '0').toUpperCase()}`;
    gw.ctx.book.apply(gw.ctx.book.get(card), [{ asset: 'EUR', amount: 90_000_000 }], 1);
  }
  const port = gw.brokerPort as number;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const max = await load(port, 'bar', 'tap', 0);
  const c1 = process.cpuUsage(c0);
  process.stderr.write(
    `gateway cpu ${((c1.user + c1.system) / 1e3 / (performance.now() - t0)).toFixed(2)} child ${JSON.stringify(max)}\n`,
  );
  if (process.env.BENCH_ONLY === 'taps') {
    process.stderr.write(
      `${await gw.metrics.registry.getSingleMetricAsString('tibillet_gateway_tap_seconds')}\n${await gw.metrics.registry.getSingleMetricAsString('tibillet_gateway_journal_batch_size')}\n`,
    );
    await gw.close();
    return { max, half: max };
  }
  const half = await load(port, 'bar', 'tap', Math.round(max.perSecond / 2), 10_000_000);
  await gw.close();
  return { max, half };
}

async function recover(rows: number): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-recover-'));
  const j = new Journal(join(dataDir, 'journal.sqlite'), { synchronous: 'NORMAL' });
  const ins = j.db.prepare(
    'INSERT INTO tx (tx, device, card, type, legs, result, offline, at, extra, sync) VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL, ?)',
  );
  const legs = JSON.stringify([{ asset: 'EUR', amount: 350 }]);
  const batch = j.db.transaction((from: number) => {
    for (let i = from; i < Math.min(rows, from + 50_000); i++) {
      const card = `04CD${(i % 5000).toString(16).padStart(10, '0').toUpperCase()}`;
      // The last 10 % never reached the cloud (a long outage): recovery rebuilds their balance deltas.
      ins.run(
        `load-${i % 50}-${i}`,
        `load-${i % 50}`,
        card,
        'spend',
        legs,
        `{"amt":350,"ok":true,"tx":"load-${i % 50}-${i}"}`,
        1764000000000 + i,
        i >= rows * 0.9 ? 0 : 1,
      );
    }
  });
  for (let i = 0; i < rows; i += 50_000) batch(i);
  j.close();
  const t0 = performance.now();
  const gw = await createGateway({
    venueId: 'bar',
    dataDir,
    mqttPort: 0,
    mqttHost: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    venue: venueConfig([]),
  });
  const seconds = (performance.now() - t0) / 1000;
  if (gw.recoveredRecords !== rows * 0.1) throw new Error(`recovered ${gw.recoveredRecords}`);
  await gw.close();
  return seconds;
}

export async function run(): Promise<Record<string, number>> {
  if (process.env.BENCH_ONLY === 'taps') {
    const { max } = await gatewayLoad();
    process.stderr.write(`${JSON.stringify(max)}\n`);
    return { 'gateway.tapsPerSecond': Math.round(max.perSecond) };
  }
  const echo = await rawEcho(true);
  const echoViaClient = await rawEcho(false);
  const { max, half } = await gatewayLoad();
  if (max.errors + half.errors > 0)
    throw new Error(`declined taps in the bench: ${max.errors + half.errors}`);
  const recoverSeconds = await recover(1_000_000);
  return {
    'gateway.rawEchoPerSecond': Math.round(echo.perSecond),
    'gateway.rawEchoViaClientPerSecond': Math.round(echoViaClient.perSecond),
    'gateway.tapsPerSecond': Math.round(max.perSecond),
    'gateway.tapsVsEcho': max.perSecond / echo.perSecond,
    'gateway.p99MsAtMax': max.p99,
    'gateway.p99Ms': half.p99,
    'gateway.p50Ms': half.p50,
    'gateway.recoverSeconds': recoverSeconds,
  };
}
