// gateway.rawEchoPerSecond, gateway.tapsPerSecond, gateway.p99Ms (at 50 % of max), gateway.recoverSeconds.
// Terminals are 50 MQTT clients in another process (load-child.ts) over real TCP on 127.0.0.1,
// one message in flight each.
//
// What the ratio compares. Both loads do the SAME client work per message: the terminal signs a
// tap (canonical JSON + HMAC) and checks the MAC and counter of what comes back, as a terminal
// checks a result. The only difference is on the server:
// - gateway.rawEchoPerSecond: aedes QoS1, a responder subscribed inside the broker's process
//   (as the embedded gateway is) publishes the payload back untouched: no business logic.
//   Measured just before and just after the taps, and averaged (the shared machine's load drifts).
// - gateway.tapsPerSecond: the gateway: MQTT in → verify → authorize → durable journal (group
//   commit, fsync) → signed result out.
// So gateway.tapsVsEcho isolates the cost of the gateway's logic. The older baseline, kept for
// comparison, echoed bare tx ids with no client work at all (gateway.rawEchoBarePerSecond,
// gateway.tapsVsBareEcho): with 2 cores and the load on one of them, it also measured how much
// lighter an idle client is. gateway.*UsPerMsg: CPU microseconds per answered message of the
// server process and of the load process (what each side spends; contention inflates them too).
//
// BENCH_ONLY=taps: the tap load only. BENCH_ONLY=load: echoes and taps, no recovery run.
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
  /** Answers over the whole run (warm-up included). */
  total: number;
  childCpu: number;
  childUsPerMsg: number;
  /** CPU of this process (broker / gateway) per answer, µs. */
  serverUsPerMsg: number;
}

type Mode = 'echo' | 'echo-signed' | 'tap';

function load(
  port: number,
  venue: string,
  mode: Mode,
  rate: number,
  start = 1,
  seconds = SECONDS,
): Promise<Load> {
  const devices = Array.from({ length: CLIENTS }, (_, i) => ({ id: `load-${i}`, key: keyOf(`load-${i}`) }));
  const args = JSON.stringify({ port, venue, devices, mode, seconds, window: WINDOW, rate, start });
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', child, args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let cpu0: NodeJS.CpuUsage | undefined;
    let cpu: NodeJS.CpuUsage | undefined;
    p.stdout.on('data', (d) => {
      out += d;
      if (!cpu0 && out.includes('READY\n')) cpu0 = process.cpuUsage();
      else if (cpu0 && !cpu && out.trimEnd().endsWith('}')) cpu = process.cpuUsage(cpu0);
    });
    p.on('exit', (code) => {
      if (code !== 0 || !cpu) return reject(new Error(`load child exited ${code}`));
      const r = JSON.parse(out.trim().split('\n').pop() as string) as Load;
      r.serverUsPerMsg = (cpu.user + cpu.system) / Math.max(1, r.total);
      resolve(r);
    });
  });
}

/**
 * The echo without logic. `inProcess`: the responder subscribes inside the broker, as the
 * embedded gateway does (the fair baseline); otherwise it is an MQTT client of the broker, as in
 * the setup the issue's ~7,600/s was measured with.
 */
async function rawEcho(inProcess: boolean, mode: 'echo' | 'echo-signed', seconds = SECONDS): Promise<Load> {
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
  const r = await load(port, 'echo', mode, 0, 1, seconds);
  process.stderr.write(`echo ${mode}${inProcess ? '' : ' via client'} ${JSON.stringify(r)}\n`);
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
  const max = await load(port, 'bar', 'tap', 0);
  process.stderr.write(`taps ${JSON.stringify(max)}\n`);
  if (process.env.BENCH_ONLY === 'taps') {
    process.stderr.write(
      `${await gw.metrics.registry.getSingleMetricAsString('tibillet_gateway_tap_seconds')}\n${await gw.metrics.registry.getSingleMetricAsString('tibillet_gateway_journal_batch_size')}\n`,
    );
    await gw.close();
    return { max, half: max };
  }
  const half = await load(port, 'bar', 'tap', Math.round(max.perSecond / 2), 10_000_000);
  process.stderr.write(`taps at half load ${JSON.stringify(half)}\n`);
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
    return { 'gateway.tapsPerSecond': Math.round(max.perSecond) };
  }
  // Not measured: the first load of this process ran 1.6-5x slower than the same load run
  // later (aedes not compiled yet), which penalised whichever variant came first.
  await rawEcho(true, 'echo-signed', 2);
  const bare = await rawEcho(true, 'echo');
  const echo = await rawEcho(true, 'echo-signed');
  const echoViaClient = process.env.BENCH_ONLY === 'load' ? undefined : await rawEcho(false, 'echo');
  const { max, half } = await gatewayLoad();
  // The baseline again after the taps: on a shared machine the load drifts, the mean of both
  // sides of the tap run is a fairer comparison than one of them.
  const echoAfter = await rawEcho(true, 'echo-signed');
  const echoPerSecond = (echo.perSecond + echoAfter.perSecond) / 2;
  const errors = max.errors + half.errors + echo.errors + echoAfter.errors;
  if (errors > 0) throw new Error(`declined taps or bad MACs in the bench: ${errors}`);
  const recoverSeconds = process.env.BENCH_ONLY === 'load' ? undefined : await recover(1_000_000);
  const figures: Record<string, number> = {
    'gateway.rawEchoPerSecond': Math.round(echoPerSecond),
    'gateway.rawEchoBarePerSecond': Math.round(bare.perSecond),
    'gateway.tapsPerSecond': Math.round(max.perSecond),
    'gateway.tapsVsEcho': max.perSecond / echoPerSecond,
    'gateway.tapsVsBareEcho': max.perSecond / bare.perSecond,
    'gateway.echoServerUsPerMsg': (echo.serverUsPerMsg + echoAfter.serverUsPerMsg) / 2,
    'gateway.tapServerUsPerMsg': max.serverUsPerMsg,
    'gateway.echoClientUsPerMsg': (echo.childUsPerMsg + echoAfter.childUsPerMsg) / 2,
    'gateway.tapClientUsPerMsg': max.childUsPerMsg,
    'gateway.p99MsAtMax': max.p99,
    'gateway.p99Ms': half.p99,
    'gateway.p50Ms': half.p50,
  };
  if (echoViaClient) figures['gateway.rawEchoViaClientPerSecond'] = Math.round(echoViaClient.perSecond);
  if (recoverSeconds !== undefined) figures['gateway.recoverSeconds'] = recoverSeconds;
  return figures;
}
