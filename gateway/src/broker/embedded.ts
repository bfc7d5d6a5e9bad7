/**
 * The embedded broker: aedes on a TCP port, with per-device authentication and topic ACLs in
 * its hooks. The gateway core subscribes inside the process (no socket hop). Broker sockets
 * get TCP_NODELAY: without it every QoS1 round trip waits ~40 ms (Nagle + delayed ACK).
 */
import { createServer, type Server } from 'node:net';
import { protocol } from '@tibillet/firmware';
import { Aedes, type Client } from 'aedes';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { canPublish, canSubscribe } from './acl.js';
import type { Bus } from './bus.js';

export interface EmbeddedBrokerOptions {
  venue: string;
  port: number;
  host?: string;
  /** Current key of a device, undefined when unknown or revoked. */
  deviceKey(deviceId: string): string | undefined;
  log: Logger;
  metrics: Metrics;
}

export async function createEmbeddedBroker(o: EmbeddedBrokerOptions): Promise<Bus & { port: number }> {
  const broker = await Aedes.createBroker({
    maxClientsIdLength: 64,
    connectTimeout: 5000,
    authenticate: (client, username, password, done) => {
      const key = username ? o.deviceKey(username) : undefined;
      const ok =
        key !== undefined && client.id === username && password?.toString() === protocol.mqttPassword(key);
      if (!ok) {
        o.metrics.rejected.inc({ reason: key === undefined ? 'unknown-device' : 'bad-credentials' });
        o.log.warn({ clientId: client.id, username }, 'mqtt connection refused');
        const err = Object.assign(new Error('bad credentials'), { returnCode: 4 });
        done(err as never, false);
        return;
      }
      done(null, true);
    },
    authorizePublish: (client, packet, done) => {
      const user = client?.id ?? '';
      if (!client || !canPublish(o.venue, user, packet.topic)) {
        o.metrics.rejected.inc({ reason: 'acl' });
        o.log.warn({ deviceId: user, topic: packet.topic }, 'publish outside own topics refused');
        done(new Error('acl'));
        return;
      }
      if (packet.payload.length > protocol.MAX_PAYLOAD) {
        o.metrics.rejected.inc({ reason: 'too-large' });
        o.log.warn({ deviceId: user, bytes: packet.payload.length }, 'oversize publish refused');
        done(new Error('too-large'));
        return;
      }
      done(null);
    },
    authorizeSubscribe: (client, sub, done) => {
      if (!client || !canSubscribe(o.venue, client.id, sub.topic)) {
        o.metrics.rejected.inc({ reason: 'acl' });
        o.log.warn({ deviceId: client?.id, topic: sub.topic }, 'subscription outside own topics refused');
        done(new Error('acl'), null);
        return;
      }
      done(null, sub);
    },
  });
  const clients = new Map<string, Client>();
  broker.on('clientReady', (c) => clients.set(c.id, c));
  broker.on('clientDisconnect', (c) => {
    if (clients.get(c.id) === c) clients.delete(c.id);
  });
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    async start(onMessage) {
      await new Promise<void>((resolve) =>
        broker.subscribe(
          `${protocol.TOPIC_ROOT}/${o.venue}/dev/+/up/+`,
          (packet, cb) => {
            onMessage(packet.topic, packet.payload as Buffer);
            cb();
          },
          resolve,
        ),
      );
    },
    publish: (topic, payload, retain) =>
      new Promise<void>((resolve, reject) =>
        broker.publish(
          { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false },
          (err) => (err ? reject(err) : resolve()),
        ),
      ),
    disconnect(deviceId) {
      clients.get(deviceId)?.close();
    },
    connectedDevices: () => clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients.values()) c.close();
        for (const s of sockets) s.destroy();
        server.close(() => broker.close(() => resolve()));
      }),
  };
}
