/** The HAL on Node: real timers, a JSON file (or memory) for storage, mqtt.js, a console screen. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Hal, protocol, type Storage } from '@tibillet/firmware';
import mqtt, { type MqttClient } from 'mqtt';
import { nodeCrypto } from './crypto.js';

export interface ScreenEvent {
  kind: 'display' | 'beep' | 'led';
  value: string[] | number[] | string;
}

/** Storage in a JSON file, replaced atomically (write to a temp file, rename) like flash pages. */
export function fileStorage(path: string | undefined): Storage & { data: Record<string, string> } {
  let data: Record<string, string> = {};
  if (path && existsSync(path)) {
    try {
      data = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
    } catch {
      data = {}; // a corrupt file is an empty flash: the terminal reports it in its hello
    }
  }
  const flush = () => {
    if (!path) return;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, JSON.stringify(data));
    renameSync(`${path}.tmp`, path);
  };
  return {
    data,
    read: (k) => data[k],
    write: (k, v) => {
      data[k] = v;
      flush();
    },
    erase: (k) => {
      delete data[k];
      flush();
    },
  };
}

export interface NodeHalOptions {
  mqttUrl: string;
  venue: string;
  deviceId: string;
  keyHex: string;
  storagePath?: string;
  onScreen?: (ev: ScreenEvent) => void;
}

export function createNodeHal(o: NodeHalOptions): { hal: Hal; client: MqttClient } {
  const client = mqtt.connect(o.mqttUrl, {
    clientId: o.deviceId,
    username: o.deviceId,
    password: protocol.mqttPassword(o.keyHex),
    reconnectPeriod: 1000,
    connectTimeout: 5000,
    clean: true,
  });
  const screen = o.onScreen ?? (() => {});
  const hal: Hal = {
    clock: {
      now: () => performance.now(),
      setTimeout: (cb, ms) => setTimeout(cb, ms) as unknown as number,
      clearTimeout: (id) => clearTimeout(id as unknown as NodeJS.Timeout),
    },
    storage: fileStorage(o.storagePath),
    mqtt: {
      publish: (topic, payload, qos, retain) => {
        client.publish(topic, payload, { qos: qos as 0 | 1, retain });
      },
      subscribe: (topic, qos) => {
        client.subscribe(topic, { qos: qos as 0 | 1 });
      },
      onMessage: (cb) => client.on('message', (topic, payload) => cb(topic, payload.toString('utf8'))),
      onConnect: (cb) => client.on('connect', () => cb()),
      onDisconnect: (cb) => client.on('close', () => cb()),
      isConnected: () => client.connected,
    },
    display: { show: (lines) => screen({ kind: 'display', value: lines }) },
    buzzer: { beep: (pattern) => screen({ kind: 'beep', value: pattern }) },
    led: { set: (colour) => screen({ kind: 'led', value: colour }) },
    crypto: nodeCrypto,
  };
  return { hal, client };
}
