/** @noSelfInFile */
/**
 * The HAL on NodeMCU-Lua (ESP32 branch), compiled by typescript-to-lua. Lua strings are byte
 * strings, so UART data, MQTT payloads and files are converted byte by byte. Pins are GPIO
 * numbers ('GPIO16' → 16). Modules: uart, tmr, node, file, gpio, i2c, u8g2, wifi, mqtt, crypto
 * (declared in nodemcu.d.ts; the test shim test/lua/nodemcu-shim.lua provides the same).
 */
import type {
  Buzzer,
  Clock,
  Crypto,
  Display,
  Gpio,
  Led,
  Mqtt,
  Serial,
  Storage,
} from '../../src/hal/types.js';
import { hmacSha256 } from '../../src/util/hmac.js';
import { sha256 as pureSha256 } from '../../src/util/sha256.js';
import type { BoardProfile } from '../espruino/boards.js';

/** 'GPIO16' / 'GP5' / 'D4' → 16 / 5 / 4. */
export function gpioNumber(name: string): number {
  let n = 0;
  let scale = 1;
  for (let i = name.length - 1; i >= 0; i--) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n += (c - 48) * scale;
    scale *= 10;
  }
  return n;
}

function toBytes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  return out;
}

function fromBytes(bytes: number[]): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

export function nodemcuClock(): Clock {
  let nextId = 1;
  // `= undefined` rather than `delete`: in Lua both are `= nil`, and tstl's delete helper drags
  // lualib's property descriptors and Error classes (~2 KB) into the bundle.
  const live: { [id: string]: TmrObject | undefined } = {};
  return {
    now: () => Math.floor(node.uptime() / 1000),
    setTimeout: (cb, ms) => {
      const id = nextId++;
      const key = 'i' + id;
      const t = tmr.create();
      live[key] = t;
      t.alarm(ms >= 1 ? Math.floor(ms) : 1, tmr.ALARM_SINGLE, () => {
        live[key] = undefined;
        t.unregister();
        cb();
      });
      return id;
    },
    clearTimeout: (id) => {
      const key = 'i' + id;
      const t = live[key];
      if (t === undefined) return;
      live[key] = undefined;
      t.stop();
      t.unregister();
    },
  };
}

/** One file per key (`tb.<key>`), replaced through a temporary file and a rename. */
export function nodemcuStorage(): Storage {
  return {
    read: (key) => {
      const f = file.open('tb.' + key, 'r');
      if (f === undefined) return undefined;
      let s = '';
      for (;;) {
        const chunk = f.read(512);
        if (chunk === undefined) break;
        s += chunk;
      }
      f.close();
      return s;
    },
    write: (key, value) => {
      const f = file.open('tb.tmp', 'w');
      if (f === undefined) return;
      f.write(value);
      f.close();
      file.remove('tb.' + key);
      file.rename('tb.tmp', 'tb.' + key);
    },
    erase: (key) => {
      file.remove('tb.' + key);
    },
  };
}

/** SHA-256 from the crypto module where the firmware has it, the pure one otherwise; HMAC on top. */
export function nodemcuCrypto(): Crypto {
  const sha = (bytes: number[]): number[] => pureSha256(bytes);
  return {
    sha256: (bytes) => sha(bytes),
    hmacSha256: (key, bytes) => hmacSha256(key, bytes, sha),
    aes128EcbEncrypt: () => {
      throw new Error('aes-unavailable');
    },
    aes128EcbDecrypt: () => {
      throw new Error('aes-unavailable');
    },
    randomBytes: (n) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(Math.floor(Math.random() * 256));
      return out;
    },
  };
}

/** The PN532's UART (HSU), 8N1, bytes in and out as Lua strings. */
export function nodemcuSerial(board: BoardProfile): Serial {
  const h = board.pn532.hsu;
  uart.setup(h.uart, h.baud, 8, uart.PARITY_NONE, uart.STOPBITS_1, {
    tx: gpioNumber(h.tx),
    rx: gpioNumber(h.rx),
  });
  return {
    write: (bytes) => uart.write(h.uart, fromBytes(bytes)),
    onData: (cb) => {
      uart.on(h.uart, 'data', 0, (data) => cb(toBytes(data)), 0);
    },
  };
}

function patternPlayer(
  clock: Clock,
  set: (this: void, on: boolean) => void,
): (this: void, pattern: number[], steady: boolean) => void {
  let timer = -1;
  return (pattern, steady) => {
    if (timer >= 0) clock.clearTimeout(timer);
    timer = -1;
    let i = 0;
    const step = (): void => {
      timer = -1;
      if (i >= pattern.length) {
        set(steady);
        return;
      }
      set(i % 2 === 0);
      const ms = pattern[i];
      i++;
      timer = clock.setTimeout(step, ms);
    };
    step();
  };
}

/** Configures `pins` as outputs, low. */
export function output(pins: number[]): void {
  gpio.config({ gpio: pins, dir: gpio.OUT });
  for (let i = 0; i < pins.length; i++) gpio.write(pins[i], 0);
}

/** Active buzzer (on/off) on the board's buzzer pin. */
export function nodemcuBuzzer(clock: Clock, board: BoardProfile): Buzzer {
  const pin = gpioNumber(board.buzzer);
  output([pin]);
  const play = patternPlayer(clock, (on) => gpio.write(pin, on ? 1 : 0));
  return { beep: (pattern) => play(pattern, false) };
}

/** Green and red LEDs; 'blue' (in progress) lights both. */
export function nodemcuLeds(clock: Clock, board: BoardProfile): Led {
  const green = gpioNumber(board.ledGreen);
  const red = gpioNumber(board.ledRed);
  output([green, red]);
  let g = 0;
  let r = 0;
  const play = patternPlayer(clock, (on) => {
    gpio.write(green, on ? g : 0);
    gpio.write(red, on ? r : 0);
  });
  return {
    set: (colour, pattern) => {
      g = colour === 'green' || colour === 'blue' ? 1 : 0;
      r = colour === 'red' || colour === 'blue' ? 1 : 0;
      play(pattern, true);
    },
  };
}

/** SSD1306 through u8g2 on I2C HW0; four lines of text, 16 px apart. */
export function nodemcuDisplay(board: BoardProfile): Display {
  const d = board.display;
  i2c.setup(i2c.HW0, gpioNumber(d.sda), gpioNumber(d.scl), i2c.FAST);
  const disp = u8g2.ssd1306_i2c_128x64_noname(i2c.HW0, d.address);
  disp.setFont(u8g2.font_6x10_tf);
  return {
    show: (lines) => {
      disp.clearBuffer();
      for (let i = 0; i < lines.length && i < 4; i++) disp.drawStr(0, 12 + i * 16, lines[i]);
      disp.sendBuffer();
    },
  };
}

export function nodemcuGpio(): Gpio {
  return {
    write: (pin, high) => gpio.write(gpioNumber(pin), high ? 1 : 0),
    // No debounce in NodeMCU's gpio.trig. A pulse input (debounceMs 0: the flow meter, on ESP32's
    // input-only GPIO35 that has no pull-up) floats: its pull-up is on the board (hardware/).
    watch: (pin, cb, debounceMs) => {
      const n = gpioNumber(pin);
      gpio.config({ gpio: [n], dir: gpio.IN, pull: debounceMs === 0 ? gpio.FLOATING : gpio.PULL_UP });
      gpio.trig(n, gpio.INTR_UP_DOWN, (_p, level) => cb(level === 1));
    },
  };
}

export interface NetworkOptions {
  ssid: string;
  password: string;
  host: string;
  port: number;
  clientId: string;
  username: string;
  mqttPassword: string;
  retryMs?: number;
}

export interface NodemcuNetwork extends Mqtt {
  start(): void;
  /** Station has an IP address (the self-test reports it). */
  wifi(this: void): boolean;
}

/** Wi-Fi station and an MQTT client that reconnects after `retryMs` (default 5 s). */
export function nodemcuNetwork(clock: Clock, o: NetworkOptions): NodemcuNetwork {
  const retryMs = o.retryMs !== undefined ? o.retryMs : 5000;
  const connectHandlers: ((this: void) => void)[] = [];
  const disconnectHandlers: ((this: void) => void)[] = [];
  const messageHandlers: ((this: void, topic: string, payload: string) => void)[] = [];
  let connected = false;
  let wifiUp = false;
  let retry = -1;
  const client = mqtt.Client(o.clientId, 60, o.username, o.mqttPassword);
  const connect = (): void => {
    client.connect(
      o.host,
      o.port,
      false,
      () => {
        connected = true;
        for (let i = 0; i < connectHandlers.length; i++) connectHandlers[i]();
      },
      () => later(),
    );
  };
  const later = (): void => {
    if (retry >= 0) clock.clearTimeout(retry);
    retry = clock.setTimeout(() => {
      retry = -1;
      connect();
    }, retryMs);
  };
  client.on('offline', () => {
    const was = connected;
    connected = false;
    if (was) for (let i = 0; i < disconnectHandlers.length; i++) disconnectHandlers[i]();
    later();
  });
  client.on('message', (_c, topic, data) => {
    for (let i = 0; i < messageHandlers.length; i++)
      messageHandlers[i](topic, data !== undefined ? data : '');
  });
  return {
    start: () => {
      wifi.mode(wifi.STATION);
      wifi.sta.config({ ssid: o.ssid, pwd: o.password, auto: true });
      wifi.sta.on('got_ip', () => {
        wifiUp = true;
        if (!connected) connect();
      });
      wifi.sta.on('disconnected', () => {
        wifiUp = false;
      });
      wifi.start();
      wifi.sta.connect();
    },
    publish: (topic, payload, qos, retain) => {
      if (connected) client.publish(topic, payload, qos, retain ? 1 : 0);
    },
    subscribe: (topic, qos) => {
      if (connected) client.subscribe(topic, qos);
    },
    onMessage: (cb) => {
      messageHandlers.push(cb);
    },
    onConnect: (cb) => {
      connectHandlers.push(cb);
    },
    onDisconnect: (cb) => {
      disconnectHandlers.push(cb);
    },
    isConnected: () => connected,
    wifi: () => wifiUp,
  };
}
