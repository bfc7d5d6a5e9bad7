/**
 * The HAL on Espruino (2v29; ESP32 and Raspberry Pi Pico W builds). Every piece is a small
 * factory over Espruino's globals and built-in modules, written in the portable subset (ES5
 * library only: see espruino.d.ts), so the bundle type-checks against nothing Espruino lacks.
 *
 * Espruino pitfalls handled here:
 * - a timer id is an index Espruino reuses, and clearTimeout() of an id that already fired may
 *   clear someone else's timer (or throw): the clock hands out its own ids and only clears live ones;
 * - clearTimeout() with no argument clears *every* timer: never called with a non-number;
 * - Uint8Array#slice returns a plain Array and typed arrays may be missing methods: bytes are
 *   copied with index loops;
 * - Storage.read returns a string mapped onto flash that changes when the file is rewritten:
 *   it is copied.
 */
import type {
  Buzzer,
  Clock,
  Display,
  Gpio,
  I2C,
  Led,
  Mqtt,
  Serial,
  SPI,
  Storage,
} from '../../src/hal/types.js';
import { type BoardProfile, espruinoPin } from './boards.js';

function bytesOf(data: ArrayBuffer | Uint8Array | number[]): number[] {
  const u = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
  const out: number[] = [];
  for (let i = 0; i < u.length; i++) out.push(u[i] & 255);
  return out;
}

function bytesOfString(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 255);
  return out;
}

// ---- clock ---------------------------------------------------------------------------------

/** Milliseconds from getTime() (seconds, µs resolution), timers with ids that are never reused. */
export function espruinoClock(): Clock {
  let nextId = 1;
  const live: { [id: string]: number } = {};
  return {
    now: () => Math.floor(getTime() * 1000 + 0.5),
    setTimeout: (cb, ms) => {
      const id = nextId++;
      const key = 'i' + id;
      live[key] = setTimeout(
        () => {
          delete live[key];
          cb();
        },
        Math.max(ms, 0),
      );
      return id;
    },
    clearTimeout: (id) => {
      const key = 'i' + id;
      const t = live[key];
      if (t === undefined) return;
      delete live[key];
      try {
        clearTimeout(t);
      } catch {
        // already gone
      }
    },
  };
}

// ---- storage -------------------------------------------------------------------------------

/** Espruino's flash Storage, one file per key, names prefixed so the terminal's keys never clash. */
export function espruinoStorage(prefix: string): Storage {
  const s = espruinoRequire('Storage');
  return {
    read: (key) => {
      const v = s.read(prefix + key);
      return v === undefined ? undefined : '' + v;
    },
    write: (key, value) => {
      s.write(prefix + key, value);
    },
    erase: (key) => {
      s.erase(prefix + key);
    },
  };
}

// ---- buses ---------------------------------------------------------------------------------

/** The PN532's UART (HSU): `uart` 2 → Serial2, otherwise Serial1. Received strings become bytes. */
export function espruinoSerial(board: BoardProfile): Serial {
  const h = board.pn532.hsu;
  const port = h.uart === 2 ? Serial2 : Serial1;
  port.setup(h.baud, { rx: espruinoPin(h.rx), tx: espruinoPin(h.tx) });
  return {
    write: (bytes) => port.write(bytes),
    onData: (cb) => {
      port.removeAllListeners('data');
      port.on('data', (data) => cb(bytesOfString(data)));
    },
  };
}

export function espruinoI2C(bus: EspruinoI2C, scl: string, sda: string, bitrate: number): I2C {
  bus.setup({ scl: espruinoPin(scl), sda: espruinoPin(sda), bitrate });
  return {
    writeTo: (address, bytes) => bus.writeTo(address, bytes),
    readFrom: (address, length) => bytesOf(bus.readFrom(address, length)),
  };
}

/** SPI mode 0 at 1 MHz, MSB-first (the PN532 transport bit-reverses), chip select on `ss`. */
export function espruinoSpi(board: BoardProfile): SPI {
  const p = board.pn532.spi;
  const ss = espruinoPin(p.ss);
  SPI1.setup({
    sck: espruinoPin(p.sck),
    miso: espruinoPin(p.miso),
    mosi: espruinoPin(p.mosi),
    baud: 1000000,
    mode: 0,
  });
  digitalWrite(ss, 1);
  return { transfer: (bytes) => bytesOf(SPI1.send(bytes, ss)) };
}

// ---- outputs -------------------------------------------------------------------------------

/** Plays on/off patterns (starting with on) through `on`/`off`, one pattern at a time. */
function patternPlayer(
  clock: Clock,
  on: () => void,
  off: () => void,
): (pattern: number[], steady: boolean) => void {
  let timer = -1;
  return (pattern, steady) => {
    if (timer >= 0) clock.clearTimeout(timer);
    let i = 0;
    const step = (): void => {
      timer = -1;
      if (i >= pattern.length) {
        if (steady) on();
        else off();
        return;
      }
      if (i % 2 === 0) on();
      else off();
      timer = clock.setTimeout(step, pattern[i++]);
    };
    step();
  };
}

/** Passive buzzer on a PWM pin (2.7 kHz square wave while on). */
export function espruinoBuzzer(clock: Clock, pinName: string): Buzzer {
  const pin = espruinoPin(pinName);
  const play = patternPlayer(
    clock,
    () => analogWrite(pin, 0.5, { freq: 2700 }),
    () => digitalWrite(pin, 0),
  );
  digitalWrite(pin, 0);
  return { beep: (pattern) => play(pattern, false) };
}

/** Green and red LEDs; 'blue' (in progress) lights both. */
export function espruinoLeds(clock: Clock, board: BoardProfile): Led {
  const green = espruinoPin(board.ledGreen);
  const red = espruinoPin(board.ledRed);
  let g = 0;
  let r = 0;
  const play = patternPlayer(
    clock,
    () => {
      digitalWrite(green, g);
      digitalWrite(red, r);
    },
    () => {
      digitalWrite(green, 0);
      digitalWrite(red, 0);
    },
  );
  digitalWrite(green, 0);
  digitalWrite(red, 0);
  return {
    set: (colour, pattern) => {
      g = colour === 'green' || colour === 'blue' ? 1 : 0;
      r = colour === 'red' || colour === 'blue' ? 1 : 0;
      play(pattern, true);
    },
  };
}

/**
 * SSD1306 128x64 on its own I2C bus (I2C1), four lines of text. The module's init is
 * asynchronous: lines shown before it is ready are drawn when it is.
 */
export function espruinoDisplay(board: BoardProfile): Display {
  const d = board.display;
  I2C1.setup({ scl: espruinoPin(d.scl), sda: espruinoPin(d.sda), bitrate: 400000 });
  let ready = false;
  let pending: string[] | undefined;
  let g: EspruinoSsd1306 | undefined;
  /** Draws `lines` (else what waits) once the display is ready; until then keeps the last lines. */
  const draw = (lines?: string[]): void => {
    if (lines !== undefined) pending = lines;
    if (g === undefined || !ready || pending === undefined) return;
    const p = pending;
    pending = undefined;
    g.clear();
    if (g.setFontVector !== undefined) g.setFontVector(12);
    for (let i = 0; i < p.length && i < 4; i++) g.drawString(p[i], 0, i * 16);
    g.flip();
  };
  try {
    g = espruinoRequire('SSD1306').connect(
      I2C1,
      () => {
        ready = true;
        draw();
      },
      { address: d.address, height: 64 },
    );
    draw(); // modules may call back synchronously (before connect() returned g)
  } catch {
    g = undefined; // no display: the terminal still works (LEDs, buzzer)
  }
  return { show: (lines) => draw(lines) };
}

/** Digital pins; watches fire on both edges with a 25 ms debounce (buttons) or none (flow meter). */
export function espruinoGpio(): Gpio {
  return {
    write: (pin, high) => digitalWrite(espruinoPin(pin), high ? 1 : 0),
    watch: (pin, cb, debounceMs) => {
      const p = espruinoPin(pin);
      // A pulse input (debounceMs 0: the flow meter) has its pull-up on the board (ESP32 GPIO35 has none).
      pinMode(p, debounceMs === 0 ? 'input' : 'input_pullup');
      setWatch((e) => cb(e.state), p, {
        repeat: true,
        edge: 'both',
        debounce: debounceMs !== undefined ? debounceMs : 25,
      });
    },
  };
}

// ---- network -------------------------------------------------------------------------------

export interface NetworkOptions {
  ssid: string;
  password: string;
  /** Broker host name or address. */
  host: string;
  port: number;
  clientId: string;
  username: string;
  mqttPassword: string;
  /** Delay before reconnecting Wi-Fi or MQTT, ms (default 5000). */
  retryMs?: number;
}

export interface EspruinoNetwork extends Mqtt {
  /** Joins Wi-Fi, then connects to the broker; reconnects both forever. */
  start(): void;
  /** Wi-Fi joined (the self-test reports it). */
  wifi(this: void): boolean;
}

/** Runs `fn` after `ms`; a new call replaces the pending one. */
function retrier(clock: Clock, ms: number): (fn: (this: void) => void) => void {
  let timer = -1;
  return (fn) => {
    if (timer >= 0) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = -1;
      fn();
    }, ms);
  };
}

/** Wi-Fi (require('Wifi')) and MQTT (Espruino's MQTT module), as the HAL's Mqtt. */
export function espruinoNetwork(clock: Clock, o: NetworkOptions): EspruinoNetwork {
  const retryMs = o.retryMs !== undefined ? o.retryMs : 5000;
  const connectHandlers: ((this: void) => void)[] = [];
  const disconnectHandlers: ((this: void) => void)[] = [];
  const messageHandlers: ((this: void, topic: string, payload: string) => void)[] = [];
  let connected = false;
  let wifiUp = false;
  let client: EspruinoMqttClient | undefined;
  const mqttRetry = retrier(clock, retryMs);
  const wifiRetry = retrier(clock, retryMs);

  const connectMqtt = (): void => {
    if (client === undefined) {
      const c = espruinoRequire('MQTT').create(o.host, {
        client_id: o.clientId,
        username: o.username,
        password: o.mqttPassword,
        port: o.port,
        keep_alive: 60,
      });
      client = c;
      c.on('connected', () => {
        connected = true;
        for (let i = 0; i < connectHandlers.length; i++) connectHandlers[i]();
      });
      c.on('disconnected', () => {
        const was = connected;
        connected = false;
        if (was) for (let i = 0; i < disconnectHandlers.length; i++) disconnectHandlers[i]();
        mqttRetry(() => c.connect());
      });
      c.on('publish', (pub) => {
        for (let i = 0; i < messageHandlers.length; i++) messageHandlers[i](pub.topic, '' + pub.message);
      });
      c.on('error', () => {});
    }
    client.connect();
  };
  const joinWifi = (): void => {
    const wifi = espruinoRequire('Wifi');
    wifi.connect(o.ssid, { password: o.password }, (err) => {
      wifiUp = !err;
      if (err) wifiRetry(joinWifi);
      else connectMqtt();
    });
  };

  return {
    start: () => {
      const wifi = espruinoRequire('Wifi');
      wifi.on('disconnected', () => {
        wifiUp = false;
        wifiRetry(joinWifi);
      });
      joinWifi();
    },
    publish: (topic, payload, qos, retain) => {
      if (client !== undefined && connected) client.publish(topic, payload, { qos, retain });
    },
    subscribe: (topic, qos) => {
      if (client !== undefined) client.subscribe(topic, { qos });
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
