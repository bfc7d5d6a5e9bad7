// A recording HAL for the pure terminal: a virtual clock, memory storage, and an MQTT link the
// test connects, disconnects and talks through. Everything the terminal does lands in `events`.
import { type Hal, pn532, protocol } from '@tibillet/firmware';
import { nodeCrypto } from '@tibillet/firmware/host';

export interface Published {
  topic: string;
  payload: string;
}

export function fakeHal(storage: Record<string, string> = {}) {
  const clock = new pn532.VirtualClock();
  let connected = false;
  const handlers = {
    connect: [] as (() => void)[],
    disconnect: [] as (() => void)[],
    message: [] as ((t: string, p: string) => void)[],
  };
  const published: Published[] = [];
  const screens: string[][] = [];
  const beeps: number[][] = [];
  const leds: string[] = [];
  const subscriptions: string[] = [];
  const hal: Hal = {
    clock,
    storage: {
      read: (k) => storage[k],
      write: (k, v) => {
        storage[k] = v;
      },
      erase: (k) => {
        delete storage[k];
      },
    },
    mqtt: {
      publish: (topic, payload) => published.push({ topic, payload }),
      subscribe: (t) => subscriptions.push(t),
      onMessage: (cb) => handlers.message.push(cb),
      onConnect: (cb) => handlers.connect.push(cb),
      onDisconnect: (cb) => handlers.disconnect.push(cb),
      isConnected: () => connected,
    },
    display: { show: (lines) => screens.push(lines) },
    buzzer: { beep: (p) => beeps.push(p) },
    led: { set: (c) => leds.push(c) },
    crypto: nodeCrypto,
  };
  return {
    hal,
    clock,
    storage,
    published,
    screens,
    beeps,
    leds,
    subscriptions,
    connect() {
      connected = true;
      for (const h of handlers.connect) h();
    },
    disconnect() {
      connected = false;
      for (const h of handlers.disconnect) h();
    },
    deliver(topic: string, payload: string) {
      for (const h of handlers.message) h(topic, payload);
    },
    lastScreen: () => screens[screens.length - 1],
    /** Verified up messages of a kind, in order. */
    sent(kind: string, keyHex: string) {
      return published
        .filter((p) => p.topic.endsWith(`/up/${kind}`))
        .map((p) => {
          const r = protocol.verify(p.payload, keyHex, -1);
          if (!r.ok) throw new Error(`terminal published an invalid ${kind}: ${r.reason}`);
          return r.message;
        });
    },
  };
}
