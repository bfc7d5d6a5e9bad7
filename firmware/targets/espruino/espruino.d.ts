/**
 * The subset of Espruino's API (2v29) the terminal uses. Declared by hand so the compiler
 * refuses anything else: the bundle is type-checked against `lib: ["ES5"]` plus this file.
 */
declare type Pin = number | string;

interface EspruinoSerial {
  setup(baud: number, options?: { rx?: Pin; tx?: Pin }): void;
  write(data: string | number[] | number): void;
  on(event: 'data', cb: (data: string) => void): void;
  removeAllListeners(event?: string): void;
}
interface EspruinoI2C {
  setup(options: { scl: Pin; sda: Pin; bitrate?: number }): void;
  writeTo(address: number, data: number[]): void;
  readFrom(address: number, quantity: number): Uint8Array;
}
interface EspruinoSPI {
  setup(options: {
    sck: Pin;
    miso: Pin;
    mosi: Pin;
    baud?: number;
    mode?: number;
    order?: 'msb' | 'lsb';
  }): void;
  send(data: number[], nss_pin?: Pin): Uint8Array;
}
interface EspruinoStorage {
  read(name: string): string | undefined;
  write(name: string, data: string): boolean;
  erase(name: string): void;
  getFree(): number;
}
interface EspruinoMqttClient {
  connect(): void;
  disconnect(): void;
  publish(topic: string, message: string, options?: { qos?: number; retain?: boolean }): void;
  subscribe(topic: string, options?: { qos?: number }): void;
  on(event: 'connected' | 'disconnected', cb: () => void): void;
  on(event: 'publish', cb: (pub: { topic: string; message: string }) => void): void;
  on(event: 'error', cb: (err: string) => void): void;
}
interface EspruinoMqttModule {
  create(
    server: string,
    options: { client_id: string; username?: string; password?: string; port?: number; keep_alive?: number },
  ): EspruinoMqttClient;
}
interface EspruinoWifiModule {
  connect(ssid: string, options: { password: string }, cb: (err: string | null) => void): void;
  on(event: 'disconnected', cb: () => void): void;
}
interface EspruinoCryptoModule {
  SHA256?(data: string | number[]): ArrayBuffer;
  /** Only on builds with AES (ESP32 has it); ECB on whole blocks. */
  AES?: {
    encrypt(data: number[], key: number[], options?: { mode?: string }): ArrayBuffer;
    decrypt(data: number[], key: number[], options?: { mode?: string }): ArrayBuffer;
  };
}
interface EspruinoSsd1306 {
  clear(): void;
  drawString(text: string, x: number, y: number): void;
  flip(): void;
  setFontVector?(size: number): void;
}

declare const Serial1: EspruinoSerial;
declare const Serial2: EspruinoSerial;
declare const I2C1: EspruinoI2C;
declare const I2C2: EspruinoI2C;
declare const SPI1: EspruinoSPI;
declare const SPI2: EspruinoSPI;
declare const E: {
  getErrorFlags(): string[];
  toString(data: Uint8Array | ArrayBuffer): string;
  /** 32 random bits from the hardware RNG. */
  hwRand?(): number;
};
/**
 * Espruino's `require`. Written `espruinoRequire` in the sources because esbuild would turn a
 * `require("X")` into its own CommonJS shim (which uses Proxy); scripts/build-espruino.mjs
 * renames it back to `require("X")` in the bundle, the form the Espruino IDE/CLI scans to
 * upload the modules (MQTT, SSD1306) with the code.
 */
declare function espruinoRequire(name: 'Storage'): EspruinoStorage;
declare function espruinoRequire(name: 'MQTT'): EspruinoMqttModule;
declare function espruinoRequire(name: 'Wifi'): EspruinoWifiModule;
declare function espruinoRequire(name: 'crypto'): EspruinoCryptoModule;
declare function espruinoRequire(name: 'SSD1306'): {
  connect(i2c: EspruinoI2C, cb: () => void, options?: { address?: number; height?: number }): EspruinoSsd1306;
};
/** A Storage module of the terminal (targets/espruino/modules.ts types it). */
declare function espruinoRequire(name: string): unknown;
/**
 * `module` of a Storage module's code (Espruino runs a required Storage file with `module` and
 * `exports` in scope); written `espruinoModule` for the same reason as `espruinoRequire`.
 */
declare const espruinoModule: { exports: unknown };
/** Espruino's global object (the bundle defines `onInit` and `tbProvision` on it). */
declare const global: { [name: string]: unknown };
declare function getTime(): number;
declare const process: {
  memory(): { free: number; total: number; usage: number };
  env: { VERSION: string; BOARD?: string };
};
declare function setTimeout(cb: () => void, ms: number): number;
declare function clearTimeout(id: number): void;
declare function setInterval(cb: () => void, ms: number): number;
declare function clearInterval(id: number): void;
declare function setWatch(
  cb: (e: { state: boolean; time: number }) => void,
  pin: Pin,
  options: { repeat: boolean; edge: 'rising' | 'falling' | 'both'; debounce?: number },
): number;
declare function digitalWrite(pin: Pin, value: boolean | number): void;
declare function analogWrite(pin: Pin, value: number, options?: { freq?: number }): void;
declare function pinMode(pin: Pin, mode: 'input' | 'input_pullup' | 'output'): void;
declare function save(): void;
declare function print(...args: unknown[]): void;
