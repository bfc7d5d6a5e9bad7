/**
 * Hardware abstraction layer: the only way the portable core touches the world.
 *
 * Portable subset (compiles to Espruino ES5 and, through typescript-to-lua, to Lua 5.1/5.3):
 * bytes are `number[]` of 0..255, no Map/Set/Symbol/async/generators, callbacks instead of
 * promises (callbacks are `this: void` so the Lua build passes no `self`). Each target (host, espruino, nodemcu) implements these interfaces.
 */

/** Byte stream to the PN532 in HSU mode (UART 115200 8N1). */
export interface Serial {
  write(bytes: number[]): void;
  /** Register the receive callback; chunks arrive in arbitrary sizes. */
  onData(cb: (this: void, bytes: number[]) => void): void;
}

/** I2C master (PN532 at 7-bit address 0x24). */
export interface I2C {
  writeTo(address: number, bytes: number[]): void;
  readFrom(address: number, length: number): number[];
}

/** SPI master, full duplex, MSB-first on the wire; LSB-first framing is done by the PN532 transport. */
export interface SPI {
  /** Assert chip select, clock out `bytes`, return the bytes clocked in, release chip select. */
  transfer(bytes: number[]): number[];
}

/** Monotonic milliseconds and timers. Timer ids are opaque numbers. */
export interface Clock {
  now(): number;
  setTimeout(cb: (this: void) => void, ms: number): number;
  clearTimeout(id: number): void;
}

/** Small persistent key/value store (Espruino Storage, NodeMCU file, a file or memory on host). */
export interface Storage {
  read(key: string): string | undefined;
  write(key: string, value: string): void;
  erase(key: string): void;
}

/** MQTT client owned by the target; the core only sees connection events and messages. */
export interface Mqtt {
  publish(topic: string, payload: string, qos: number, retain: boolean): void;
  subscribe(topic: string, qos: number): void;
  onMessage(cb: (this: void, topic: string, payload: string) => void): void;
  onConnect(cb: (this: void) => void): void;
  onDisconnect(cb: (this: void) => void): void;
  isConnected(): boolean;
}

/** Small monochrome screen (SSD1306 128x64: 4 lines of 16 characters in the default font). */
export interface Display {
  show(lines: string[]): void;
}

export interface Buzzer {
  /** Alternating on/off durations in ms, starting with on. */
  beep(pattern: number[]): void;
}

export interface Led {
  /** colour: 'green' | 'red' | 'blue' | 'off'; pattern as for Buzzer. */
  set(colour: string, pattern: number[]): void;
}

/** Digital input/output pins (buttons, solenoid valve, reset lines, flow meter). */
export interface Gpio {
  write(pin: string, high: boolean): void;
  /**
   * Calls back on each edge; returns nothing, there is one watcher per pin. `debounceMs`: the
   * target's button debounce when absent; 0 for a pulse counter (flow meter).
   */
  watch(pin: string, cb: (this: void, high: boolean) => void, debounceMs?: number): void;
}

/**
 * Cryptographic primitives. Host: node:crypto. NodeMCU: the `crypto` module. Espruino: none in
 * the HAL (the codec's HMAC runs on require('crypto').SHA256, else the tb-sha256 module).
 */
export interface Crypto {
  sha256(bytes: number[]): number[];
  hmacSha256(key: number[], bytes: number[]): number[];
  /** AES-128 in ECB mode on whole 16-byte blocks, no padding (CMAC and SUN are built on it). */
  aes128EcbEncrypt(key: number[], block: number[]): number[];
  aes128EcbDecrypt(key: number[], block: number[]): number[];
  randomBytes(n: number): number[];
}

/** Everything a terminal needs; a target passes one of these to the core. */
export interface Hal {
  clock: Clock;
  storage: Storage;
  mqtt: Mqtt;
  display: Display;
  buzzer: Buzzer;
  led: Led;
  /** Not used by the terminal core: the Espruino build leaves it out (its codec hashes natively). */
  crypto?: Crypto;
  gpio?: Gpio;
}
