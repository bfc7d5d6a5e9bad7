/**
 * The same terminal on three targets, behind one driver interface, each wired to a PN532
 * simulator over HSU on a virtual clock:
 *  - host: the TypeScript core (Terminal + Pn532Driver + HsuTransport + startReader) on a fake HAL;
 *  - espruino: dist/espruino/terminal.js in the Espruino shim (test/espruino/rig.ts);
 *  - lua5.1 / lua5.3: dist/nodemcu/…/terminal.lua over fake NodeMCU modules (harness.lua), driven
 *    through a pipe, its clock stepped in lock-step with the simulator's.
 * Everything a target does towards the outside is recorded as text lines, in order.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Clock, pn532, type Serial, terminal } from '@tibillet/firmware';
import { createRig } from '../espruino/rig.js';
import { fakeHal } from '../terminal/fake-hal.js';

const here = dirname(fileURLToPath(import.meta.url));
const hexOf = (s: string) => Buffer.from(s, 'latin1').toString('hex');
const bytesHex = (b: number[]) => Buffer.from(b).toString('hex');
const unhex = (h: string) => Buffer.from(h, 'hex').toString('latin1');
const utf8 = (latin1: string) => Buffer.from(latin1, 'latin1').toString('utf8');

export interface Provision {
  venue: string;
  device: string;
  key: string;
  board: string;
  /** canonical JSON of the provisioning record */
  record: string;
}

/** What a target did, in order: `pub <topic> <payload>`, `uart <hex>`, `show <lines>`, `conn`. */
export interface Recording {
  published: string[];
  uart: string[];
  screens: string[];
  connects: number;
}

export interface TargetDriver {
  readonly name: string;
  readonly rec: Recording;
  boot(): Promise<void>;
  advance(ms: number): Promise<void>;
  /** The broker accepts the pending connection. */
  brokerUp(): Promise<void>;
  /** The broker goes away. */
  brokerDown(): Promise<void>;
  message(topic: string, payload: string): Promise<void>;
  placeCard(uid: number[]): void;
  removeCard(): void;
  /** One flow-meter pulse (rising then falling edge) on the board's flow-meter pin. */
  flowPulse(): Promise<void>;
  close(): void;
}

function emptyRecording(): Recording {
  return { published: [], uart: [], screens: [], connects: 0 };
}

const FREE_MEMORY = 12000; // what the Espruino shim and the Lua harness report

export function hostTarget(p: Provision, firmware: string): TargetDriver {
  const h = fakeHal({});
  const rec = emptyRecording();
  const clock = h.clock;
  const sim = new pn532.Pn532Simulator({ clock, awake: false });
  let toHost: (b: number[]) => void = () => {};
  let toChip: (b: number[]) => void = () => {};
  const hostEnd: Serial = {
    write: (bytes) => {
      rec.uart.push(bytesHex(bytes));
      const copy = bytes.slice();
      clock.setTimeout(() => toChip(copy), 0);
    },
    onData: (cb) => {
      toHost = cb;
    },
  };
  sim.attachSerial({
    write: (bytes) => {
      const copy = bytes.slice();
      clock.setTimeout(() => toHost(copy), 0);
    },
    onData: (cb) => {
      toChip = cb;
    },
  });
  const origShow = h.hal.display.show;
  h.hal.display.show = (lines) => {
    rec.screens.push(lines.join('|'));
    origShow(lines);
  };
  const origPublish = h.hal.mqtt.publish;
  h.hal.mqtt.publish = (topic, payload, qos, retain) => {
    if (!h.hal.mqtt.isConnected()) return; // as the Espruino and NodeMCU HALs do
    rec.published.push(`${topic} ${payload}`);
    origPublish(topic, payload, qos, retain);
  };
  let connecting = false;
  // The board's selfpour pins (esp32-devkitc: valve GPIO2, flow meter GPIO35), as the targets pass them.
  let flow: (high: boolean) => void = () => {};
  h.hal.gpio = {
    write: () => {},
    watch: (pin, cb) => {
      if (pin === 'GPIO35') flow = cb;
    },
  };
  return {
    name: 'host',
    rec,
    async boot() {
      const term = new terminal.Terminal(h.hal, {
        venue: p.venue,
        deviceId: p.device,
        keyHex: p.key,
        board: p.board,
        firmware,
        lang: 'fr',
        freeMemory: () => FREE_MEMORY,
        valvePin: 'GPIO2',
        flowPin: 'GPIO35',
      });
      const driver = new pn532.Pn532Driver({
        clock: clock as Clock,
        transport: new pn532.HsuTransport(hostEnd),
        reset: (done) => clock.setTimeout(() => clock.setTimeout(done, 10), 10),
      });
      terminal.startReader(driver, clock, (ev) => term.onReader(ev), { intervalMs: 40 });
      rec.connects++; // the targets connect as soon as the network is up
      connecting = true;
    },
    async advance(ms) {
      clock.advance(ms);
    },
    async brokerUp() {
      if (!connecting) throw new Error('host: no pending connection');
      connecting = false;
      h.connect();
    },
    async brokerDown() {
      h.disconnect();
      // the on-board HALs retry after 5 s
      clock.setTimeout(() => {
        rec.connects++;
        connecting = true;
      }, 5000);
    },
    async message(topic, payload) {
      h.deliver(topic, payload);
    },
    placeCard: (uid) => sim.placeCard(pn532.uidCard(uid)),
    removeCard: () => sim.removeCard(),
    async flowPulse() {
      flow(true);
      flow(false);
    },
    close() {},
  };
}

export function espruinoTarget(p: Provision, bundle: string): TargetDriver {
  const rig = createRig(bundle, { storage: { 'tb.prov': p.record } });
  const rec = emptyRecording();
  const sync = () => {
    rec.published = rig.published.map((x) => `${x.topic} ${x.payload}`);
    rec.uart = rig.uartWrites.map(bytesHex);
    rec.screens = rig.screens.map((l) => l.join('|'));
    rec.connects = rig.mqttConnects;
  };
  const step = async (fn: () => void) => {
    fn();
    sync();
  };
  return {
    name: 'espruino',
    rec,
    boot: () => step(() => rig.shim.boot()),
    advance: (ms) => step(() => rig.shim.advance(ms)),
    brokerUp: () => step(() => rig.shim.mqttConnected()),
    brokerDown: () => step(() => rig.shim.mqttDisconnected()),
    message: (topic, payload) => step(() => rig.shim.mqttMessage(topic, payload)),
    placeCard: (uid) => rig.sim.placeCard(pn532.uidCard(uid)),
    removeCard: () => rig.sim.removeCard(),
    flowPulse: () =>
      step(() => {
        rig.shim.pressButton('D35', true);
        rig.shim.pressButton('D35', false);
      }),
    close() {},
  };
}

/** A clock for the node side of the Lua world, which can say when its next timer falls due. */
class StepClock implements Clock {
  t = 0;
  private id = 1;
  timers: { id: number; at: number; cb: () => void }[] = [];
  now = () => this.t;
  setTimeout = (cb: () => void, ms: number) => {
    const id = this.id++;
    this.timers.push({ id, at: this.t + Math.max(0, ms), cb });
    return id;
  };
  clearTimeout = (id: number) => {
    this.timers = this.timers.filter((x) => x.id !== id);
  };
  nextAt(): number {
    let m = -1;
    for (const x of this.timers) if (m < 0 || x.at < m) m = x.at;
    return m;
  }
  /** Fires the timers due at or before `t` (in time, then creation order) and sets the time to t. */
  fireUntil(t: number): void {
    for (;;) {
      let next: (typeof this.timers)[number] | undefined;
      for (const x of this.timers) if (x.at <= t && (!next || x.at < next.at)) next = x;
      if (!next) break;
      this.t = next.at;
      this.clearTimeout(next.id);
      next.cb();
    }
    this.t = t;
  }
}

export function luaTarget(
  bin: string,
  bundle: string,
  p: Provision,
): TargetDriver & { selftest(): Promise<string> } {
  const rec = emptyRecording();
  const clock = new StepClock();
  const sim = new pn532.Pn532Simulator({ clock, awake: false });
  let toChip: (b: number[]) => void = () => {};
  const pendingRx: number[][] = [];
  sim.attachSerial({
    write: (bytes) => {
      const copy = bytes.slice();
      clock.setTimeout(() => pendingRx.push(copy), 0);
    },
    onData: (cb) => {
      toChip = cb;
    },
  });
  const child: ChildProcessWithoutNullStreams = spawn(bin, [join(here, 'harness.lua'), bundle]);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  let buf = '';
  let waiting: ((lines: string[]) => void) | undefined;
  let lines: string[] = [];
  let failed: Error | undefined;
  child.stdout.on('data', (d) => {
    buf += d;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      if (line.startsWith('= ')) {
        const done = lines;
        lines = [];
        waiting?.(done);
      }
      nl = buf.indexOf('\n');
    }
  });
  child.on('exit', (code) => {
    failed = new Error(`${bin} exited (${code}): ${stderr}`);
    waiting?.([]);
  });
  let luaNow = 0;
  let luaNext = -1;
  let selftestJson: string | undefined;
  const send = (cmd: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (failed) return reject(failed);
      waiting = (out) => {
        waiting = undefined;
        if (failed) return reject(failed);
        for (const l of out) {
          const f = l.split(' ');
          if (f[0] === 'tx') {
            rec.uart.push(f[1]);
            const bytes = [...Buffer.from(f[1], 'hex')];
            clock.setTimeout(() => toChip(bytes), 0); // a UART delivers on a later tick
          } else if (f[0] === 'pub') rec.published.push(`${utf8(unhex(f[1]))} ${utf8(unhex(f[2]))}`);
          else if (f[0] === 'conn') rec.connects++;
          else if (f[0] === 'show')
            rec.screens.push(
              f[1] === ''
                ? ''
                : f[1]
                    .split(',')
                    .map((x) => utf8(unhex(x)))
                    .join('|'),
            );
          else if (f[0] === 'st') selftestJson = utf8(unhex(f[1]));
          else if (f[0] === 'err') return reject(new Error(`harness: ${unhex(f[1])}`));
          else if (f[0] === '=') {
            luaNow = Number(f[1]);
            luaNext = Number(f[2]);
          }
        }
        resolve();
      };
      child.stdin.write(`${cmd}\n`);
    });
  /** Delivers what the simulator wrote, as the Espruino rig does (one chunk a write). */
  const flushRx = async () => {
    while (pendingRx.length > 0) await send(`rx ${bytesHex(pendingRx.shift() as number[])}`);
  };
  return {
    name: bin,
    rec,
    async boot() {
      await send(`prov ${hexOf(Buffer.from(p.record, 'utf8').toString('latin1'))}`);
      await send('boot');
    },
    async advance(ms) {
      const until = luaNow + ms;
      for (;;) {
        const cands = [until];
        if (luaNext >= 0) cands.push(luaNext);
        const n = clock.nextAt();
        if (n >= 0) cands.push(n);
        const t = Math.min(...cands);
        // the same tick on both sides: the simulator (and deliveries) first, then the terminal's timers
        clock.fireUntil(t);
        await flushRx();
        if (t > luaNow || (luaNext >= 0 && luaNext <= t)) await send(`adv ${t - luaNow}`);
        await flushRx();
        if (t >= until && (luaNext < 0 || luaNext > until) && (clock.nextAt() < 0 || clock.nextAt() > until))
          break;
      }
    },
    brokerUp: () => send('up'),
    brokerDown: () => send('down'),
    message: (topic, payload) =>
      send(
        `msg ${hexOf(Buffer.from(topic, 'utf8').toString('latin1'))} ${hexOf(Buffer.from(payload, 'utf8').toString('latin1'))}`,
      ),
    placeCard: (uid) => sim.placeCard(pn532.uidCard(uid)),
    removeCard: () => sim.removeCard(),
    flowPulse: () => send('pulse 35'),
    /** Calls the global tbselftest as the flash tool does; resolves with the JSON report string. */
    async selftest(): Promise<string> {
      await send('st');
      for (let i = 0; i < 200 && selftestJson === undefined; i++) await this.advance(100);
      if (selftestJson === undefined) throw new Error(`${bin}: tbselftest never called back`);
      return selftestJson;
    },
    close() {
      child.stdin.end();
      child.kill();
    },
  };
}
