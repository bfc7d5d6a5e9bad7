/**
 * The subset of NodeMCU (ESP32 branch) modules the terminal uses, declared for
 * typescript-to-lua. `@noSelf` because NodeMCU modules are called with `.` not `:`.
 * In tests a Lua HAL shim (firmware/test/lua/nodemcu-shim.lua) provides the same modules.
 */

/** @noSelf */
declare namespace uart {
  function setup(
    id: number,
    baud: number,
    databits: number,
    parity: number,
    stopbits: number,
    echo_or_pins: number | { tx: number; rx: number },
  ): void;
  function write(id: number, data: string): void;
  function on(
    id: number,
    event: 'data',
    length: number,
    cb: (this: void, data: string) => void,
    runLua?: number,
  ): void;
  const PARITY_NONE: number;
  const STOPBITS_1: number;
}

/** @noSelf */
declare namespace tmr {
  function now(): number;
  function create(): TmrObject;
  const ALARM_SINGLE: number;
  const ALARM_AUTO: number;
}
interface TmrObject {
  alarm(ms: number, mode: number, cb: (this: void, t: TmrObject) => void): boolean;
  stop(): void;
  unregister(): void;
}

/** @noSelf */
declare namespace mqtt {
  function Client(clientId: string, keepalive: number, user?: string, pass?: string): MqttClient;
}
interface MqttClient {
  connect(
    host: string,
    port: number,
    secure: boolean,
    onConnect: (this: void, c: MqttClient) => void,
    onFail: (this: void, c: MqttClient, reason: number) => void,
  ): void;
  publish(topic: string, payload: string, qos: number, retain: number): void;
  subscribe(topic: string, qos: number): void;
  on(event: 'message', cb: (this: void, c: MqttClient, topic: string, data: string) => void): void;
  on(event: 'offline' | 'connect', cb: (this: void, c: MqttClient) => void): void;
}

/** @noSelf */
declare namespace crypto {
  function hmac(algo: string, data: string, key: string): string;
  function hash(algo: string, data: string): string;
}

/** @noSelf */
declare namespace file {
  function open(name: string, mode: string): NodeMcuFile | undefined;
  function remove(name: string): void;
  function exists(name: string): boolean;
  function rename(from: string, to: string): boolean;
}
interface NodeMcuFile {
  read(n?: number): string | undefined;
  write(s: string): boolean;
  close(): void;
}

/** @noSelf */
declare namespace gpio {
  function config(cfg: { gpio: number[]; dir: number; pull?: number }): void;
  function write(pin: number, level: number): void;
  function trig(pin: number, type: number, cb: (this: void, pin: number, level: number) => void): void;
  const IN: number;
  const OUT: number;
  const PULL_UP: number;
  const FLOATING: number;
  const INTR_UP_DOWN: number;
}

/** @noSelf */
declare namespace node {
  function heap(): number;
  function restart(): void;
  /** µs since boot (ESP32 branch). */
  function uptime(): number;
}

/** @noSelf */
declare namespace i2c {
  function setup(id: number, sda: number, scl: number, speed: number): void;
  const HW0: number;
  const FAST: number;
}

/** @noSelf */
declare namespace u8g2 {
  function ssd1306_i2c_128x64_noname(id: number, address: number): U8g2Display;
  const font_6x10_tf: unknown;
}
interface U8g2Display {
  clearBuffer(): void;
  setFont(font: unknown): void;
  drawStr(x: number, y: number, s: string): void;
  sendBuffer(): void;
}

/** @noSelf */
declare namespace wifi {
  function mode(m: number): void;
  function start(): void;
  const STATION: number;
}
/** @noSelf */
declare namespace wifi.sta {
  function config(cfg: { ssid: string; pwd: string; auto: boolean }): void;
  function connect(): void;
  function on(event: 'got_ip' | 'disconnected', cb: (this: void) => void): void;
}

/** The terminal's display sink: the Lua HAL draws with u8g2 when present. */
/** @noSelf */
declare function print(...args: unknown[]): void;

/** Lua's tonumber (nil when `s` is not a number): smaller than tstl's parseInt helper. */
/** @noSelf */
declare function tonumber(s: string): number | undefined;
