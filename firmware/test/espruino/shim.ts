/**
 * Espruino API shim for Node, for tests only. Runs a bundle in a `node:vm` context that has no
 * Node globals (no require of Node modules, no process, no Buffer) and none of the JavaScript
 * built-ins Espruino 2v29 lacks (they are deleted before the bundle runs, so using one fails the
 * tests), only the Espruino globals the terminal may use. Peripherals are wired to callbacks the
 * test provides (PN532 simulator on the UART, a real MQTT broker through mqtt.js, a recording
 * display, buzzer and LEDs).
 */
import { createHash } from 'node:crypto';
import vm from 'node:vm';

/** What Espruino 2v29 lacks (checked on a host build of it; see the firmware targets issue). */
export const MISSING_GLOBALS = [
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'WeakRef',
  'Symbol',
  'Proxy',
  'Reflect',
  'BigInt',
  'TextEncoder',
  'TextDecoder',
  'setImmediate',
  'queueMicrotask',
  'structuredClone',
  'globalThis',
];
export const MISSING_STATICS: [string, string][] = [
  ['Array', 'from'],
  ['Array', 'of'],
  ['Uint8Array', 'from'],
  ['Uint8Array', 'of'],
  ['Object', 'freeze'],
  ['Object', 'isFrozen'],
  ['Object', 'fromEntries'],
  ['Object', 'entries'],
  ['Object', 'values'],
  ['Number', 'isInteger'],
  ['Number', 'isSafeInteger'],
  ['Number', 'isFinite'],
  ['Number', 'isNaN'],
  ['Number', 'parseFloat'],
  ['Number', 'parseInt'],
  ['Number', 'EPSILON'],
  ['Number', 'MAX_SAFE_INTEGER'],
  ['Number', 'MIN_SAFE_INTEGER'],
  ['Math', 'trunc'],
  ['Math', 'imul'],
  ['Math', 'log2'],
  ['Math', 'sign'],
  ['Math', 'cbrt'],
  ['Math', 'hypot'],
  ['Promise', 'allSettled'],
  ['Promise', 'race'],
  ['Promise', 'any'],
];
export const MISSING_PROTOTYPE: [string, string][] = [
  ['Array', 'flat'],
  ['Array', 'flatMap'],
  ['Array', 'at'],
  ['Array', 'findLast'],
  ['Array', 'includes'],
  ['String', 'at'],
  ['String', 'replaceAll'],
  ['String', 'padStart'],
  ['String', 'padEnd'],
  ['Promise', 'finally'],
  ['Uint8Array', 'at'],
];

export interface ShimIo {
  /** Bytes the bundle writes to a UART (e.g. to the PN532). */
  onSerialWrite(port: string, bytes: number[]): void;
  mqttPublish(topic: string, message: string, qos: number, retain: boolean): void;
  mqttSubscribe(topic: string): void;
  mqttConnect(): void;
  display(lines: string[]): void;
  pin(pin: string, value: number): void;
  log(text: string): void;
  /** A transfer on SPI1 (chip select `ss`); returns the bytes clocked in (default: zeros). */
  spiTransfer?(bytes: number[], ss: string): number[];
}

export interface ShimOptions {
  /** The build has require('crypto').SHA256 (ESP32 and Pico W builds do; default true). */
  nativeSha256?: boolean;
}

export interface EspruinoShim {
  context: vm.Context;
  /** Delivers bytes from a peripheral to the UART's `data` listeners (as a binary string, as Espruino does). */
  serialReceive(port: string, bytes: number[]): void;
  mqttConnected(): void;
  mqttDisconnected(): void;
  mqttMessage(topic: string, message: string): void;
  pressButton(pin: string, state: boolean): void;
  /** Runs `onInit` (Espruino's boot hook after save()). */
  boot(): void;
  /** Advances the virtual clock, firing due timers in order. */
  advance(ms: number): void;
  now(): number;
  storage: { [name: string]: string };
  /** Number of live timers (a leak shows up here). */
  timerCount(): number;
  /** When the next timer falls due (-1: none). */
  nextTimerAt(): number;
  /** Rough count of variables the bundle keeps alive (Espruino's limit is 16,383 on ESP32). */
  estimateVariables(): number;
  /** Storage modules the bundle has require()d so far, in load order. */
  loadedModules(): string[];
}

function listOf<T>(table: { [key: string]: T[] }, key: string): T[] {
  if (table[key] === undefined) table[key] = [];
  return table[key];
}

export function createEspruinoShim(
  bundle: string,
  io: ShimIo,
  storage: { [name: string]: string } = {},
  options: ShimOptions = {},
): EspruinoShim {
  let clock = 0;
  let nextTimer = 1;
  const timers: { id: number; at: number; every: number; cb: () => void }[] = [];
  const serialListeners: { [port: string]: ((data: string) => void)[] } = {};
  const watches: { [pin: string]: ((e: { state: boolean; time: number }) => void)[] } = {};
  const mqttHandlers: { [ev: string]: ((arg?: unknown) => void)[] } = {};
  const loadedModules: string[] = [];

  const serial = (port: string) => ({
    setup() {},
    write(data: string | number[] | number) {
      let bytes: number[];
      if (typeof data === 'number') bytes = [data];
      else if (typeof data === 'string') bytes = [...data].map((c) => c.charCodeAt(0) & 0xff);
      else bytes = [...data];
      io.onSerialWrite(port, bytes);
    },
    on(event: string, cb: (data: string) => void) {
      if (event === 'data') listOf(serialListeners, port).push(cb);
    },
    removeAllListeners() {
      serialListeners[port] = [];
    },
  });

  const modules: { [name: string]: unknown } = {
    Storage: {
      read: (name: string) => storage[name],
      write: (name: string, data: string) => {
        storage[name] = String(data);
        return true;
      },
      erase: (name: string) => {
        delete storage[name];
      },
      getFree: () => 200_000,
    },
    MQTT: {
      create: (_server: string, _options: unknown) => ({
        connect: () => io.mqttConnect(),
        disconnect: () => {},
        publish: (topic: string, message: string, options?: { qos?: number; retain?: boolean }) =>
          io.mqttPublish(topic, String(message), options?.qos ?? 0, options?.retain ?? false),
        subscribe: (topic: string) => io.mqttSubscribe(topic),
        on: (event: string, cb: (arg?: unknown) => void) => {
          listOf(mqttHandlers, event).push(cb);
        },
      }),
    },
    Wifi: {
      connect: (_ssid: string, _opts: unknown, cb: (err: string | null) => void) => cb(null),
      on: () => {},
    },
    crypto: {
      SHA256: (data: string | number[]) => {
        const bytes = typeof data === 'string' ? [...data].map((c) => c.charCodeAt(0) & 0xff) : data;
        const digest = createHash('sha256').update(Uint8Array.from(bytes)).digest();
        const ab = new ctxArrayBuffer(32);
        new ctxUint8Array(ab).set(digest);
        return ab;
      },
    },
    SSD1306: {
      connect: (_i2c: unknown, cb: () => void) => {
        let lines: string[] = [];
        const g = {
          clear: () => {
            lines = [];
          },
          drawString: (text: string, _x: number, y: number) => {
            lines[Math.floor(y / 16)] = String(text);
          },
          flip: () => io.display([...lines].map((l) => l ?? '')),
        };
        cb();
        return g;
      },
    },
  };

  const sandbox: { [k: string]: unknown } = {
    Serial1: serial('Serial1'),
    Serial2: serial('Serial2'),
    I2C1: { setup() {}, writeTo() {}, readFrom: (_a: number, n: number) => new Uint8Array(n) },
    SPI1: {
      setup() {},
      send: (d: number[], ss: string) =>
        new ctxUint8Array(io.spiTransfer ? io.spiTransfer([...d], String(ss)) : d.map(() => 0)),
    },
    E: {
      getErrorFlags: () => [],
      toString: (d: Uint8Array) => String.fromCharCode(...d),
    },
    require: (name: string) => {
      if (name in modules) return modules[name];
      // As Espruino 2v29 does: a Storage file of that name is run once as a module (`module` and
      // `exports` in scope) and its exports are cached.
      const code = storage[name];
      if (typeof code !== 'string') throw new Error(`Module ${name} not found`);
      const fn = vm.runInContext(`(function (module, exports) {${code}\n})`, context, {
        filename: `Storage:${name}`,
      }) as (module: { exports: unknown }, exports: unknown) => void;
      const module = { exports: vm.runInContext('({})', context) as unknown };
      fn(module, module.exports);
      modules[name] = module.exports;
      loadedModules.push(name);
      return module.exports;
    },
    getTime: () => clock / 1000,
    setTimeout: (cb: () => void, ms: number) => addTimer(cb, ms, 0),
    setInterval: (cb: () => void, ms: number) => addTimer(cb, ms, Math.max(1, ms)),
    clearTimeout: (id: number) => removeTimer(id),
    clearInterval: (id: number) => removeTimer(id),
    setWatch: (cb: (e: { state: boolean; time: number }) => void, pin: string) => {
      listOf(watches, String(pin)).push(cb);
      return 1;
    },
    digitalWrite: (pin: string, value: boolean | number) => io.pin(String(pin), value ? 1 : 0),
    analogWrite: (pin: string, value: number) => io.pin(String(pin), value),
    pinMode: () => {},
    save: () => {},
    print: (...args: unknown[]) => io.log(args.map(String).join(' ')),
    console: { log: (...args: unknown[]) => io.log(args.map(String).join(' ')) },
    process: { memory: () => ({ free: 12000, total: 16383, usage: 4383 }), env: { VERSION: '2v29' } },
  };
  if (options.nativeSha256 === false) delete modules.crypto; // require("crypto") throws, as on a build without it
  const context = vm.createContext(sandbox, { codeGeneration: { strings: false, wasm: false } });
  const ctxArrayBuffer = vm.runInContext('ArrayBuffer', context) as ArrayBufferConstructor;
  const ctxUint8Array = vm.runInContext('Uint8Array', context) as Uint8ArrayConstructor;
  vm.runInContext(
    `(function (g, globals, statics, protos) {
       g.global = g;
       for (var i = 0; i < globals.length; i++) delete g[globals[i]];
       for (var j = 0; j < statics.length; j++) delete g[statics[j][0]][statics[j][1]];
       for (var k = 0; k < protos.length; k++) delete g[protos[k][0]].prototype[protos[k][1]];
       // Quirks: Uint8Array#slice returns a plain Array; String.fromCharCode takes at most 256 arguments.
       g.Uint8Array.prototype.slice = function (a, b) { return Array.prototype.slice.call(this, a, b); };
       var fcc = g.String.fromCharCode;
       g.String.fromCharCode = function () {
         if (arguments.length > 256) throw new Error('Espruino: String.fromCharCode takes at most 256 arguments');
         return fcc.apply(null, arguments);
       };
     })(this, ${JSON.stringify(MISSING_GLOBALS)}, ${JSON.stringify(MISSING_STATICS)}, ${JSON.stringify(MISSING_PROTOTYPE)})`,
    context,
  );
  vm.runInContext(bundle, context, { filename: 'terminal.js' });

  function addTimer(cb: () => void, ms: number, every: number): number {
    const id = nextTimer++;
    timers.push({ id, at: clock + Math.max(0, ms), every, cb });
    return id;
  }
  function removeTimer(id: number): void {
    const i = timers.findIndex((t) => t.id === id);
    if (i >= 0) timers.splice(i, 1);
  }
  function emitMqtt(event: string, arg?: unknown): void {
    for (const cb of mqttHandlers[event] ?? []) cb(arg);
  }

  return {
    context,
    storage,
    serialReceive(port, bytes) {
      const data = String.fromCharCode(...bytes);
      for (const cb of serialListeners[port] ?? []) cb(data);
    },
    mqttConnected: () => emitMqtt('connected'),
    mqttDisconnected: () => emitMqtt('disconnected'),
    mqttMessage: (topic, message) => emitMqtt('publish', { topic, message }),
    pressButton(pin, state) {
      for (const cb of watches[pin] ?? []) cb({ state, time: clock / 1000 });
    },
    boot() {
      const onInit = (context as { onInit?: () => void }).onInit;
      if (typeof onInit !== 'function') throw new Error('bundle defines no onInit()');
      onInit();
    },
    advance(ms) {
      const until = clock + ms;
      for (;;) {
        let next: (typeof timers)[number] | undefined;
        for (const t of timers) if (t.at <= until && (!next || t.at < next.at)) next = t;
        if (!next) break;
        clock = next.at;
        if (next.every > 0) next.at += next.every;
        else removeTimer(next.id);
        next.cb();
      }
      clock = until;
    },
    now: () => clock,
    timerCount: () => timers.length,
    nextTimerAt: () => timers.reduce((m, t) => (m < 0 || t.at < m ? t.at : m), -1),
    loadedModules: () => loadedModules.slice(),
    estimateVariables() {
      // Espruino keeps function source as text (~12 characters a variable) and every array
      // element / object property / string chunk in a variable: bundle text (and the text of the
      // Storage modules it loaded: counted as if in RAM, although Espruino can run them from
      // flash) plus what the bundle's globals reach is a fair lower bound of its footprint.
      const seen = new Set<unknown>();
      let count = Math.ceil(bundle.length / 12);
      for (const name of loadedModules) count += Math.ceil((storage[name] ?? '').length / 12);
      const walk = (v: unknown, depth: number): void => {
        count++;
        if (typeof v === 'string') count += Math.floor(v.length / 12);
        if (depth > 40 || (typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v))
          return;
        seen.add(v);
        for (const key of Object.getOwnPropertyNames(v)) {
          const desc = Object.getOwnPropertyDescriptor(v, key);
          if (desc && 'value' in desc && key !== 'prototype') walk(desc.value, depth + 1);
        }
      };
      const ctx = context as Record<string, unknown>;
      for (const key of Object.keys(ctx)) if (!(key in sandbox)) walk(ctx[key], 0);
      return count;
    },
  };
}
