// Test helpers: a gateway on a temp dir and a free port, and raw MQTT devices that sign their
// own messages (so tests can also forge, replay and oversize them).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protocol } from '@tibillet/firmware';
import { nodeCrypto } from '@tibillet/firmware/host';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { createGateway, type Gateway, type GatewayOptions } from '../src/gateway.js';
import { defaultVenueConfig, type VenueConfig } from '../src/venue-config.js';

protocol.setCrypto(nodeCrypto);

export const VENUE = 'bar';
export const keyOf = (id: string) =>
  nodeCrypto
    .sha256([...Buffer.from(`key:${id}`)])
    .slice(0, 16)
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');

export function venueConfig(devices: string[], patch: Partial<VenueConfig> = {}): VenueConfig {
  return {
    ...defaultVenueConfig(VENUE),
    devices: devices.map((d) => ({ deviceId: d, keyHex: keyOf(d), revoked: false })),
    pointsOfSale: [
      {
        id: 'bar',
        name: 'Bar',
        mode: 'cashier',
        devices: devices.filter((d) => !d.startsWith('top')),
        products: [
          { sku: 'beer', label: 'Bière', price: 350, memberPrice: 300 },
          { sku: 'soda', label: 'Soda', price: 200 },
          { sku: 'rum', label: 'Rhum', price: 600, minAge: 18 },
        ],
      },
      {
        id: 'cash',
        name: 'Caisse',
        mode: 'topup',
        devices: devices.filter((d) => d.startsWith('top')),
        products: [],
      },
    ],
    ...patch,
  };
}

export const tmp = () => mkdtempSync(join(tmpdir(), 'tb-gw-'));

export async function startGateway(devices: string[], o: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const { venue, ...rest } = o;
  return createGateway({
    venueId: VENUE,
    dataDir: o.dataDir ?? tmp(),
    mqttPort: 0,
    mqttHost: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    venue: venueConfig(devices, venue),
    ...rest,
  });
}

export interface TestDevice {
  id: string;
  client: MqttClient;
  n: number;
  /** Verified down messages, in order. */
  received: protocol.Message[];
  send(kind: protocol.Kind, body: object): string;
  /** Signs with the next counter without publishing. */
  sign(kind: protocol.Kind, body: object): string;
  raw(topic: string, payload: string | Buffer): void;
  waitResult(tx: string, ms?: number): Promise<protocol.ResultBody>;
  /** Taps (cashier mode unless given) and waits for the result. */
  pay(uid: string, extra?: Partial<protocol.TapBody>): Promise<protocol.ResultBody>;
  close(): Promise<void>;
}

export async function device(
  url: string,
  id: string,
  o: { key?: string; password?: string; venue?: string } = {},
): Promise<TestDevice> {
  const key = o.key ?? keyOf(id);
  const client = await mqtt.connectAsync(url, {
    clientId: id,
    username: id,
    password: o.password ?? protocol.mqttPassword(key),
    reconnectPeriod: 0,
    connectTimeout: 3000,
  });
  const venue = o.venue ?? VENUE;
  await client.subscribeAsync(`tb/v1/${venue}/dev/${id}/down/+`, { qos: 1 });
  const received: protocol.Message[] = [];
  let last = -1;
  const waiters: (() => void)[] = [];
  client.on('message', (_t, payload) => {
    const r = protocol.verify(payload.toString(), key, last);
    if (!r.ok) return;
    last = r.message.n;
    received.push(r.message);
    for (const w of waiters.splice(0)) w();
  });
  const d: TestDevice = {
    id,
    client,
    n: 1000,
    received,
    sign: (kind, body) => protocol.sign({ v: 1, k: kind, d: id, n: d.n++, b: body } as protocol.Message, key),
    send(kind, body) {
      const payload = d.sign(kind, body);
      client.publish(protocol.deviceTopic(venue, id, 'up', kind), payload, { qos: 1 });
      return payload;
    },
    raw(topic, payload) {
      client.publish(topic, payload, { qos: 1 });
    },
    waitResult(tx, ms = 3000) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`no result for ${tx} within ${ms} ms`)), ms);
        const check = () => {
          const m = received.find((x) => x.k === 'result' && (x.b as protocol.ResultBody).tx === tx);
          if (m) {
            clearTimeout(deadline);
            resolve(m.b as protocol.ResultBody);
          } else waiters.push(check);
        };
        check();
      });
    },
    pay(uid, extra = {}) {
      const tx = `${id}-${d.n}`;
      d.send('tap', { tx, uid, mode: 'cashier', ...extra });
      return d.waitResult(tx);
    },
    close: () => (client.connected ? client.endAsync() : Promise.resolve(void client.end(true))),
  };
  return d;
}

/** Sends a tap without waiting; returns its tx id. */
export const tap = (d: TestDevice, uid: string, extra: Partial<protocol.TapBody> = {}) => {
  const tx = `${d.id}-${d.n}`;
  d.send('tap', { tx, uid, mode: 'cashier', ...extra });
  return tx;
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `pred` until it holds; past `ms`, fails naming `what`. */
export async function until(what: string, pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
