/**
 * Test rig for the Espruino bundle: builds firmware/dist/espruino/terminal.js, runs it in the
 * Espruino shim (node:vm, no Node globals, none of what Espruino lacks) and wires its Serial2 to
 * the PN532 simulator, clocked by the shim's virtual timers. Everything the bundle does through
 * Espruino's APIs is recorded.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Clock, pn532, type Serial, type SPI } from '@tibillet/firmware';
import { createEspruinoShim, type EspruinoShim } from './shim.js';

export const FW = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = join(FW, 'dist', 'espruino');
export const BUNDLE_PATH = join(DIST, 'terminal.js');

/** dist/espruino/modules.json: the Storage modules beside the main file. */
export interface Manifest {
  main: string;
  modules: { storage: string; file: string; bytes: number }[];
}

let built: string | undefined;
let builtModules: { [storage: string]: string } | undefined;

/**
 * Builds the bundle once per test file (the build type-checks, bundles and ES5-parses it) and
 * returns the main file; `bundleModules()` then has the Storage modules.
 */
export function buildBundle(): string {
  if (built === undefined) {
    execFileSync(process.execPath, [join(FW, 'scripts', 'build-espruino.mjs')], { stdio: 'pipe' });
    built = readFileSync(BUNDLE_PATH, 'utf8');
    const manifest = JSON.parse(readFileSync(join(DIST, 'modules.json'), 'utf8')) as Manifest;
    builtModules = {};
    for (const m of manifest.modules) builtModules[m.storage] = readFileSync(join(DIST, m.file), 'utf8');
  }
  return built;
}

/** Storage name → code of each module of the last build (what the flash tool uploads). */
export function bundleModules(): { [storage: string]: string } {
  buildBundle();
  return { ...(builtModules as { [storage: string]: string }) };
}

export interface Published {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

export interface Rig {
  shim: EspruinoShim;
  sim: pn532.Pn532Simulator;
  published: Published[];
  subscriptions: string[];
  screens: string[][];
  /** Pin writes in order: [pin, value] (analogWrite values are the duty cycle). */
  pins: [string, number][];
  logs: string[];
  mqttConnects: number;
  /** Bytes the bundle wrote to the PN532 UART, per write. */
  uartWrites: number[][];
  /** The shim's virtual clock, for simulators. */
  clock: Clock;
  /** The chip on SPI1 (e.g. an MFRC522 simulator's port); none: the bus reads zeros. */
  spiDevice?: SPI;
}

export interface RigOptions {
  storage?: { [name: string]: string };
  /** Leave these Storage modules out (default: every module of the build is in Storage, as after a flash). */
  without?: string[];
  /** The Espruino build has require('crypto').SHA256 (default true). */
  nativeSha256?: boolean;
}

function storageAfterFlash(opts?: RigOptions): { [name: string]: string } {
  const storage = bundleModules();
  for (const name of opts?.without ?? []) delete storage[name];
  return { ...storage, ...(opts?.storage ?? {}) };
}

export function createRig(bundle: string, opts?: RigOptions): Rig {
  let toChip: (bytes: number[]) => void = () => {};
  const rig = {
    published: [] as Published[],
    subscriptions: [] as string[],
    screens: [] as string[][],
    pins: [] as [string, number][],
    logs: [] as string[],
    mqttConnects: 0,
    uartWrites: [] as number[][],
  } as Rig;
  const shim = createEspruinoShim(
    bundle,
    {
      onSerialWrite(port, bytes) {
        if (port !== 'Serial2') return;
        rig.uartWrites.push(bytes);
        const copy = bytes.slice();
        clock.setTimeout(() => toChip(copy), 0); // a UART delivers on a later tick
      },
      mqttPublish: (topic, payload, qos, retain) => rig.published.push({ topic, payload, qos, retain }),
      mqttSubscribe: (topic) => rig.subscriptions.push(topic),
      mqttConnect: () => {
        rig.mqttConnects++;
      },
      display: (lines) => rig.screens.push(lines),
      pin: (pin, value) => rig.pins.push([pin, value]),
      log: (text) => rig.logs.push(text),
      spiTransfer: (bytes) => (rig.spiDevice ? rig.spiDevice.transfer(bytes) : bytes.map(() => 0)),
    },
    storageAfterFlash(opts),
    { nativeSha256: opts?.nativeSha256 },
  );
  const ctx = shim.context as unknown as {
    setTimeout(cb: () => void, ms: number): number;
    clearTimeout(id: number): void;
  };
  const clock: Clock = {
    now: () => shim.now(),
    setTimeout: (cb, ms) => ctx.setTimeout(cb, ms),
    clearTimeout: (id) => ctx.clearTimeout(id),
  };
  const sim = new pn532.Pn532Simulator({ clock, awake: false });
  const chipEnd: Serial = {
    write: (bytes) => {
      const copy = bytes.slice();
      clock.setTimeout(() => shim.serialReceive('Serial2', copy), 0);
    },
    onData: (cb) => {
      toChip = cb;
    },
  };
  sim.attachSerial(chipEnd);
  rig.shim = shim;
  rig.sim = sim;
  rig.clock = clock;
  return rig;
}
