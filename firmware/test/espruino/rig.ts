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
import { type Clock, pn532, type Serial } from '@tibillet/firmware';
import { createEspruinoShim, type EspruinoShim } from './shim.js';

export const FW = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUNDLE_PATH = join(FW, 'dist', 'espruino', 'terminal.js');

let built: string | undefined;

/** Builds the bundle once per test file (the build type-checks, bundles and ES5-parses it). */
export function buildBundle(): string {
  if (built === undefined) {
    execFileSync(process.execPath, [join(FW, 'scripts', 'build-espruino.mjs')], { stdio: 'pipe' });
    built = readFileSync(BUNDLE_PATH, 'utf8');
  }
  return built;
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
}

export interface RigOptions {
  storage?: { [name: string]: string };
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
    },
    opts?.storage ?? {},
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
  return rig;
}
