/**
 * An external broker (Mosquitto, EMQX): the gateway is one more MQTT client, logged in as the
 * `gateway` user. Device authentication and ACLs are the broker's (see mosquitto-config.ts);
 * the gateway still verifies every message, so a revoked device is ignored at once even before
 * the broker's password file is reloaded.
 */

import { protocol } from '@tibillet/firmware';
import mqtt from 'mqtt';
import type { Logger } from 'pino';
import { GATEWAY_USER } from './acl.js';
import type { Bus } from './bus.js';

export async function connectExternalBroker(o: {
  url: string;
  venue: string;
  password?: string;
  log: Logger;
}): Promise<Bus> {
  const client = mqtt.connect(o.url, {
    clientId: `tibillet-gateway-${o.venue}`,
    username: o.password ? GATEWAY_USER : undefined,
    password: o.password,
    clean: false, // the broker keeps our subscription and queues QoS1 taps while we restart
    reconnectPeriod: 500,
    connectTimeout: 5000,
  });
  client.on('error', (err) => o.log.warn({ err: err.message }, 'broker connection error'));
  client.on('reconnect', () => o.log.info('reconnecting to broker'));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const noDelay = () =>
    (client.stream as unknown as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
  noDelay();
  client.on('connect', noDelay);
  return {
    async start(onMessage) {
      client.on('message', (topic, payload) => onMessage(topic, payload));
      await client.subscribeAsync(`${protocol.TOPIC_ROOT}/${o.venue}/dev/+/up/+`, { qos: 1 });
    },
    async publish(topic, payload, retain) {
      await client.publishAsync(topic, payload, { qos: 1, retain });
    },
    disconnect() {},
    connectedDevices: () => -1,
    close: () => client.endAsync(),
  };
}
