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

/**
 * A tap's socket, corked from the tap's authorization until the gateway has answered it: the
 * PUBACK aedes writes meanwhile waits in the socket and leaves with the result, in one write
 * (one segment, one wake-up of the terminal, instead of two of each). Released right after the
 * result's write, or when the gateway is done with the message (refused, or no result), or by
 * the sweep: a hold never outlives HOLD_SWEEP_MS by more than one sweep.
 */
interface Hold {
  client: Client;
  /** A result is on its way: this hold ends after its write. */
  answered: boolean;
  released: boolean;
}

const HOLD_SWEEP_MS = 1000;

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
  // Holds by the tap's payload (the same Buffer travels from authorizePublish to the subscriber),
  // and by client, oldest first (a result forwarded to the client ends the oldest).
  const held = new WeakMap<Buffer, Hold>();
  const holdsOf = new Map<Client, Hold[]>();
  let young = new Set<Hold>();
  let old = new Set<Hold>();
  const release = (h: Hold) => {
    if (h.released) return;
    h.released = true;
    young.delete(h);
    old.delete(h);
    const list = holdsOf.get(h.client);
    const i = list ? list.indexOf(h) : -1;
    if (i >= 0) (list as Hold[]).splice(i, 1);
    if (list?.length === 0) holdsOf.delete(h.client);
    h.client.conn.uncork();
  };
  const sweep = setInterval(() => {
    for (const h of old) release(h);
    old = young;
    young = new Set();
  }, HOLD_SWEEP_MS);
  sweep.unref();
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
      if (packet.qos === 1 && packet.topic.endsWith('/tap') && Buffer.isBuffer(packet.payload)) {
        const h: Hold = { client, answered: false, released: false };
        client.conn.cork();
        held.set(packet.payload, h);
        const list = holdsOf.get(client);
        if (list) list.push(h);
        else holdsOf.set(client, [h]);
        young.add(h);
      }
      done(null);
    },
    // A result on its way to a held client: aedes writes it in an immediate queued right after
    // this call; the release is queued behind that write (and its uncork on the next tick).
    authorizeForward: (client, packet) => {
      const list = holdsOf.get(client);
      const h = list && packet.topic.endsWith('/result') ? list.find((x) => !x.answered) : undefined;
      if (h) {
        h.answered = true;
        queueMicrotask(() => setImmediate(release, h));
      }
      return packet;
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
    for (const h of [...(holdsOf.get(c) ?? [])]) release(h);
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
            const payload = packet.payload as Buffer;
            const h = held.get(payload);
            if (h) {
              held.delete(payload);
              onMessage(packet.topic, payload, () => release(h));
            } else onMessage(packet.topic, payload);
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
        clearInterval(sweep);
        for (const h of [...young, ...old]) release(h);
        for (const c of clients.values()) c.close();
        for (const s of sockets) s.destroy();
        server.close(() => broker.close(() => resolve()));
      }),
  };
}
