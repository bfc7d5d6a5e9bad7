// A real cloud (fastify + PGlite in memory, or the machine's PostgreSQL in a fresh schema) on a
// 127.0.0.1 port, with a federation, two venues and their gateway keys; and a TCP gate in front
// of it that a test can close to simulate the venue's internet going down.
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import {
  createCloud,
  createFederation,
  createGateway,
  createVenue,
  type Db,
  migrate,
  openPglite,
  openPostgres,
} from '@tibillet/cloud';

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface CloudHarness {
  url: string;
  db: Db;
  fed: string;
  venues: [string, string];
  apiKeys: [string, string];
  /** Seals secrets and signs holders' wallet links. */
  masterKey: Buffer;
  /** Registers a terminal for a venue (key as hex) through the cloud API. */
  registerDevice(venue: string, deviceId: string, keyHex: string): Promise<void>;
  revokeDevice(venue: string, deviceId: string): Promise<void>;
  /** Σ of balances per asset over all accounts (must be 0 for each). */
  sums(): Promise<Record<string, number>>;
  balances(uid: string): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function startCloud(
  kind: 'pglite' | 'postgres' = 'pglite',
  /** `url`: another PostgreSQL than PG_URL (e.g. a throwaway cluster of a fault test). */
  o: { url?: string; membership?: { ttlMs?: number; standInMs?: number } } = {},
): Promise<CloudHarness> {
  const schema = `e2e_${randomBytes(5).toString('hex')}`;
  const db =
    kind === 'pglite'
      ? await openPglite({ client: await PGlite.create(), schema })
      : await openPostgres(o.url ?? PG_URL, { schema });
  await migrate(db);
  const s = randomBytes(3).toString('hex');
  const fed = `fed-${s}`;
  const venues: [string, string] = [`bar-${s}`, `cafe-${s}`];
  await createFederation(db, { id: fed, name: 'Coop', allowAnonymous: true });
  for (const v of venues) await createVenue(db, { id: v, federationId: fed, name: v });
  const apiKeys: [string, string] = [
    (await createGateway(db, venues[0])).apiKey,
    (await createGateway(db, venues[1])).apiKey,
  ];
  const masterKey = randomBytes(32);
  const cloud = await createCloud({ db, masterKey, leaseMs: 60_000, membership: o.membership });
  const url = await cloud.app.listen({ port: 0, host: '127.0.0.1' });
  const keyOf = (venue: string) => apiKeys[venues.indexOf(venue)];
  return {
    url,
    db,
    fed,
    venues,
    apiKeys,
    masterKey,
    async registerDevice(venue, deviceId, keyHex) {
      const r = await fetch(`${url}/v1/devices`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keyOf(venue)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ deviceId, venueId: venue, board: 'host', firmware: '0.1.0', keyHex }),
      });
      if (r.status !== 201) throw new Error(`register ${deviceId}: ${r.status} ${await r.text()}`);
    },
    async revokeDevice(venue, deviceId) {
      const r = await fetch(`${url}/v1/devices/${deviceId}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${keyOf(venue)}` },
      });
      if (r.status >= 300) throw new Error(`revoke ${deviceId}: ${r.status} ${await r.text()}`);
    },
    async sums() {
      const r = await db.query<{ asset: string; s: string }>(
        'SELECT asset, sum(balance)::text s FROM accounts GROUP BY asset',
      );
      return Object.fromEntries(r.rows.map((x) => [x.asset, Number(x.s)]));
    },
    async balances(uid) {
      const r = await fetch(`${url}/v1/sync/leases`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKeys[0]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ venueId: venues[0], cards: [uid] }),
      });
      const lease = ((await r.json()) as { leases: { balances: { asset: string; amount: number }[] }[] })
        .leases[0];
      return Object.fromEntries(lease.balances.map((b) => [b.asset, b.amount]));
    },
    async close() {
      // A keep-alive connection whose request was in flight when closing starts (a gateway's last
      // poll) turns idle afterwards and would hold close() for fastify's keepAliveTimeout (72 s).
      const sweep = setInterval(() => cloud.app.server.closeIdleConnections(), 100);
      await cloud.close().finally(() => clearInterval(sweep));
      if (kind === 'postgres') {
        await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      }
      await db.close();
    },
  };
}

export interface Gate {
  url: string;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

/**
 * A TCP gate: `down()` cuts every connection and refuses new ones until `up()`. `relay`, when
 * given, carries the client→target bytes (to inspect or lose some of them); the other way is piped.
 */
export async function gate(
  targetUrl: string,
  relay?: (chunk: Buffer, upstream: Socket) => void,
): Promise<Gate> {
  const target = new URL(targetUrl);
  let open = true;
  const live = new Set<Socket>();
  const server: Server = createServer((sock) => {
    if (!open) return sock.destroy();
    const upstream = connect(Number(target.port), target.hostname);
    live.add(sock);
    live.add(upstream);
    const drop = () => {
      sock.destroy();
      upstream.destroy();
      live.delete(sock);
      live.delete(upstream);
    };
    sock.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    if (relay) sock.on('data', (chunk: Buffer) => relay(chunk, upstream));
    else sock.pipe(upstream);
    upstream.pipe(sock);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `${target.protocol}//127.0.0.1:${port}`,
    down() {
      open = false;
      for (const s of live) s.destroy();
      live.clear();
    },
    up() {
      open = true;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of live) s.destroy();
        server.close(() => r());
      }),
  };
}
