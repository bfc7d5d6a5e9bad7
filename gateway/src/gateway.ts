/**
 * The venue gateway: broker (embedded aedes or external), verified message pipeline, per-kind
 * handlers, journal, card book, cloud sync, HTTP operations. `createGateway()` wires the parts;
 * each part is its own module.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ntag424, protocol } from '@tibillet/firmware';
import { nodeCrypto } from '@tibillet/firmware/host';
import pino, { type Logger } from 'pino';
import { CardBook } from './authorizer/card-book.js';
import type { Bus } from './broker/bus.js';
import { createEmbeddedBroker } from './broker/embedded.js';
import { connectExternalBroker } from './broker/external.js';
import type { GatewayContext, PosCharge } from './context.js';
import { DownCounter } from './devices/down-counter.js';
import { gatewayMac, verifyMessage } from './devices/fast-codec.js';
import { DeviceRegistry } from './devices/registry.js';
import { attachDoorDesk, DoorDesk } from './door/door-desk.js';
import { handleHeartbeat } from './handlers/heartbeat.js';
import { handleHello } from './handlers/hello.js';
import { handleLog } from './handlers/log.js';
import { handlePour } from './handlers/pour.js';
import { handleTap } from './handlers/tap.js';
import { Journal, type TxRecord } from './journal/journal.js';
import { Metrics } from './metrics.js';
import { effectiveConfig, watchHappyHours } from './promotions/menu.js';
import { CloudApi } from './sync/cloud-api.js';
import { attachMembershipCache, MembershipCache } from './sync/membership-cache.js';
import { SyncWorker } from './sync/sync-worker.js';
import type { CartLine, ResultBody } from './types.js';
import { defaultVenueConfig, fromCloudConfig, type VenueConfig } from './venue-config.js';
import { Witness } from './witness/witness.js';

export interface GatewayOptions {
  venueId: string;
  dataDir: string;
  /** Embedded broker port (0 = any free port). Ignored with mqttUrl. */
  mqttPort?: number;
  mqttHost?: string;
  /** External broker instead of the embedded one. */
  mqttUrl?: string;
  /** The gateway's password on an external broker (see mosquitto-config). */
  mqttPassword?: string;
  cloudUrl?: string;
  cloudApiKey?: string;
  /** Local config for a standalone venue, or overrides of the cloud's (priority, top-up asset…). */
  venue?: Partial<VenueConfig>;
  configPollMs?: number;
  syncBatchSize?: number;
  syncLingerMs?: number;
  /** SQLite synchronous mode: FULL (default, survives power loss) or NORMAL (survives crashes). */
  synchronous?: 'FULL' | 'NORMAL';
  /** How often to check and co-sign the federation log's checkpoint (0 = never). */
  witnessIntervalMs?: number;
  /** How often door mode pulls the events' ticket lists and uploads scans (default 5 s). */
  doorSyncMs?: number;
  logger?: Logger;
}

export interface Gateway {
  ctx: GatewayContext;
  bus: Bus;
  brokerPort: number | undefined;
  metrics: Metrics;
  sync: SyncWorker | undefined;
  /** The venue's witness of the federation log (with a cloud only). */
  witness: Witness | undefined;
  /** Door mode: the events' ticket lists and the admissions (once across all doors). */
  door: DoorDesk;
  /** The cloud's API (undefined for a standalone venue). */
  api: CloudApi | undefined;
  /**
   * Pushes a POS charge to a terminal; the next tap there pays it. `cart`: the whole order's lines
   * (their sum must be `amt`), kept here for the card's promotions, never sent to the terminal.
   */
  charge(deviceId: string, amt: number, lines?: string[], cart?: CartLine[]): Promise<string>;
  /** Voids an approved spend: its legs go back to the card. Idempotent. */
  voidTx(tx: string, reason: string, cashierId: string): Promise<{ ok: boolean; reason?: string }>;
  /** Applies a config now (tests, standalone venues); the cloud's next pull replaces it. */
  setConfig(config: VenueConfig): Promise<void>;
  /** Pulls config from the cloud now. */
  refreshConfig(): Promise<void>;
  recoveredRecords: number;
  close(): Promise<void>;
}

export async function createGateway(o: GatewayOptions): Promise<Gateway> {
  protocol.setCrypto(gatewayMac);
  ntag424.setCrypto(nodeCrypto);
  const log = o.logger ?? pino({ name: 'gateway', level: process.env.LOG_LEVEL ?? 'info' });
  mkdirSync(o.dataDir, { recursive: true });
  const metrics = new Metrics();
  const journal = new Journal(join(o.dataDir, 'journal.sqlite'), { synchronous: o.synchronous });
  journal.onCommit = (n) => metrics.journalBatch.observe(n);

  // Recovery: device counters, card leases, and the local deltas the cloud has not seen.
  const devices = new DeviceRegistry(journal.deviceCountersOnDisk());
  const book = new CardBook();
  for (const c of journal.cards()) {
    const s = book.lease(c.uid, c.cloud, c.leaseUntil, c.blocked);
    s.sunCounter = c.sunCounter;
    s.issue = c.issue;
    s.baseIssue = c.baseIssue;
  }
  let recovered = 0;
  for (const r of journal.unsyncedAll()) {
    recovered++;
    // A former holder's record (the card was re-issued since) counts only for the venue's stand-in.
    book.replay(book.get(r.card), r.legs, r.type === 'spend' ? -1 : 1, r.extra?.standIn ?? 0, r.extra?.issue);
  }
  const down = new DownCounter(journal);

  let config: VenueConfig = { ...defaultVenueConfig(o.venueId), ...o.venue };
  const savedConfig = journal.getMeta('config');
  if (savedConfig) config = { ...(JSON.parse(savedConfig) as VenueConfig), ...o.venue };
  devices.update(config.devices);

  const api = o.cloudUrl && o.cloudApiKey ? new CloudApi(o.cloudUrl, o.cloudApiKey) : undefined;
  // The cloud's membership status, cached with an expiry (door and tills ask the same cache).
  const memberships = new MembershipCache(journal.db);
  const witness = api
    ? new Witness({ dataDir: o.dataDir, api, journal, log: log.child({ part: 'witness' }) })
    : undefined;
  const sync = api
    ? new SyncWorker({
        venueId: o.venueId,
        api,
        journal,
        book,
        memberships,
        log: log.child({ part: 'sync' }),
        metrics,
        batchSize: o.syncBatchSize,
        lingerMs: o.syncLingerMs,
      })
    : undefined;

  const charges = new Map<string, PosCharge & { deviceId: string }>();
  let bus: Bus;
  const ctx: GatewayContext = {
    venueId: o.venueId,
    // With the happy prices of the moment (the same object until a window opens or closes).
    config: () => effectiveConfig(config, Date.now()),
    journal,
    book,
    devices,
    sync,
    log,
    metrics,
    inflight: new Map(),
    leaseMs: 600_000,
    async send(deviceId, kind, body, retain = false) {
      const key = devices.key(deviceId);
      if (!key) return;
      const payload = protocol.sign(
        { v: 1, k: kind, d: deviceId, n: down.take(), b: body } as protocol.Message,
        key,
      );
      await bus.publish(protocol.deviceTopic(o.venueId, deviceId, 'down', kind), payload, retain);
    },
    async pushConfig(deviceId) {
      const pos = ctx.config().pointsOfSale.find((p) => p.devices.includes(deviceId));
      const body: protocol.ConfigBody = {
        venue: o.venueId,
        mode: pos?.mode ?? 'cashier',
        cur: config.currency,
        offq: config.terminalOfflineQueue,
        hb: 30,
      };
      if (pos?.mode === 'selfpour') body.ppl = pos.pulsesPerLitre ?? 450;
      if (pos && pos.products.length > 0)
        body.menu = pos.products.slice(0, 24).map((p) => {
          const item: protocol.MenuItem = { sku: p.sku, label: p.label.slice(0, 16), price: p.price };
          if (p.memberPrice !== undefined) item.mprice = p.memberPrice;
          return item;
        });
      await ctx.send(deviceId, 'config', body, true);
    },
    charge(deviceId, ref) {
      const c = charges.get(ref);
      return c && c.deviceId === deviceId
        ? c.cart
          ? { amt: c.amt, cart: c.cart }
          : { amt: c.amt }
        : undefined;
    },
  };

  const door = new DoorDesk({
    db: journal.db,
    venueId: o.venueId,
    api,
    log: log.child({ part: 'door' }),
    intervalMs: o.doorSyncMs,
  });
  attachDoorDesk(ctx, door);
  attachMembershipCache(ctx, memberships);

  const handlers: { [k: string]: (deviceId: string, m: protocol.Message) => void | Promise<void> } = {
    hello: (d, m) => handleHello(ctx, d, m as protocol.Message<'hello'>),
    heartbeat: (d, m) => handleHeartbeat(ctx, d, m as protocol.Message<'heartbeat'>),
    log: (d, m) => handleLog(ctx, d, m as protocol.Message<'log'>),
    tap: (d, m) => handleTap(ctx, d, m as protocol.Message<'tap'>),
    pour: (d, m) => handlePour(ctx, d, m as protocol.Message<'pour'>),
  };

  const reject = (reason: string, fields: object): undefined => {
    metrics.rejected.inc({ reason });
    log.warn({ ...fields, reason }, 'device message rejected');
  };

  /** Every device message: size, topic, device, MAC, counter, then its handler; then `release`. */
  const onMessage = (topic: string, payload: Buffer, release?: () => void) => {
    let handled: Promise<void> | undefined;
    try {
      handled = dispatch(topic, payload);
    } catch (e) {
      release?.();
      throw e;
    }
    if (!release) return;
    if (handled) handled.then(release, release);
    else release();
  };

  /** The handler's promise, or undefined when the message was refused. */
  const dispatch = (topic: string, payload: Buffer): Promise<void> | undefined => {
    if (payload.length > protocol.MAX_PAYLOAD) return reject('too-large', { topic, bytes: payload.length });
    const t = protocol.parseTopic(topic);
    if (!t.ok || t.dir !== 'up' || t.venue !== o.venueId) return reject('bad-topic', { topic });
    const key = devices.key(t.deviceId);
    if (!key)
      return reject(devices.isRevoked(t.deviceId) ? 'revoked' : 'unknown-device', { deviceId: t.deviceId });
    const r = verifyMessage(payload.toString('utf8'), key, devices.lastCounter(t.deviceId));
    if (!r.ok) return reject(r.reason, { deviceId: t.deviceId, detail: r.detail });
    const m = r.message;
    if (m.d !== t.deviceId || m.k !== t.kind || !(m.k in handlers))
      return reject('topic-mismatch', { deviceId: t.deviceId, topic });
    devices.setCounter(t.deviceId, m.n);
    journal.noteCounter(t.deviceId, m.n);
    metrics.messages.inc({ kind: m.k });
    return Promise.resolve(handlers[m.k](t.deviceId, m)).catch((e: Error) =>
      log.error({ err: e.message, deviceId: t.deviceId, kind: m.k }, 'handler failed'),
    );
  };

  const applyConfig = async (next: VenueConfig) => {
    const before = config;
    config = next;
    journal.setMeta('config', JSON.stringify(next));
    const lost = devices.update(next.devices);
    for (const id of lost) {
      log.warn({ deviceId: id }, 'device revoked: disconnected');
      bus.disconnect(id);
    }
    const now = Date.now();
    if (
      JSON.stringify(effectiveConfig(before, now).pointsOfSale) !==
        JSON.stringify(effectiveConfig(next, now).pointsOfSale) ||
      before.currency !== next.currency
    )
      for (const d of devices.list()) if (d.online) await ctx.pushConfig(d.deviceId).catch(() => {});
  };

  let etag: string | undefined;
  const refreshConfig = async () => {
    if (!sync) return;
    const r = await sync.pullConfig(etag);
    if (!r) return;
    etag = r.etag;
    // Local overrides (the operator's config file) win over the cloud's document.
    await applyConfig({ ...fromCloudConfig(o.venueId, r.doc, config), ...o.venue });
  };
  if (sync)
    await refreshConfig().catch((e: Error) =>
      log.warn({ err: e.message }, 'no config from the cloud yet: using the saved one'),
    );

  let brokerPort: number | undefined;
  if (o.mqttUrl) {
    bus = await connectExternalBroker({ url: o.mqttUrl, venue: o.venueId, password: o.mqttPassword, log });
  } else {
    const embedded = await createEmbeddedBroker({
      venue: o.venueId,
      port: o.mqttPort ?? 1884,
      host: o.mqttHost,
      deviceKey: (id) => devices.key(id),
      log,
      metrics,
    });
    brokerPort = embedded.port;
    bus = embedded;
  }
  await bus.start(onMessage);
  // A happy hour opens or closes: the terminals get their menus with the prices of the moment.
  const happyHours = watchHappyHours(
    () => config,
    () => {
      for (const d of devices.list()) if (d.online) ctx.pushConfig(d.deviceId).catch(() => {});
    },
  );
  sync?.start();
  door.start();
  const poll = setInterval(() => {
    refreshConfig().catch(() => {});
    metrics.connected.set(bus.connectedDevices());
  }, o.configPollMs ?? 500);
  poll.unref();
  const witnessTimer =
    witness && (o.witnessIntervalMs ?? 60_000) > 0
      ? setInterval(
          () =>
            witness.tick().catch((e: Error) => log.debug({ err: e.message }, 'witness: cloud unreachable')),
          o.witnessIntervalMs ?? 60_000,
        )
      : undefined;
  witnessTimer?.unref();
  log.info({ venue: o.venueId, brokerPort, recovered, journal: o.dataDir }, 'gateway started');

  let closed = false;
  return {
    ctx,
    get bus() {
      return bus;
    },
    brokerPort,
    metrics,
    sync,
    witness,
    door,
    api,
    recoveredRecords: recovered,
    refreshConfig,
    setConfig: applyConfig,
    async charge(deviceId, amt, lines, cart) {
      const ref = `c${randomUUID().replaceAll('-', '').slice(0, 20)}`;
      // a cart that does not add up to the amount is not this charge's: the amount alone stands
      const whole = cart && cart.length > 0 && cart.reduce((s, l) => s + l.qty * l.price, 0) === amt;
      charges.set(ref, whole ? { deviceId, amt, cart: cart.map((l) => ({ ...l })) } : { deviceId, amt });
      await ctx.send(deviceId, 'charge', lines ? { ref, amt, lines } : { ref, amt });
      return ref;
    },
    async voidTx(tx, reason, cashierId) {
      const target = journal.find(tx);
      if (target?.type !== 'spend') return { ok: false, reason: 'void-target-unknown' };
      const id = `void-${tx}`.slice(0, 64);
      if (journal.find(id)) return { ok: true };
      const card = book.get(target.card);
      // Voiding a former holder's sale (the card was re-issued since) credits them, not the card's holder now.
      const mine = book.sameHolder(card, target.extra?.issue);
      if (mine) book.apply(card, target.legs, 1);
      const body: ResultBody = { tx: id, ok: true, amt: target.legs.reduce((s, l) => s + l.amount, 0) };
      const rec: TxRecord = {
        tx: id,
        device: target.device,
        card: target.card,
        type: 'void',
        legs: target.legs,
        result: protocol.encodeCanonical(body as unknown as protocol.Json),
        offline: false,
        at: Date.now(),
        extra: { voids: tx, reason: reason.slice(0, 200), cashierId },
      };
      if (target.extra?.issue !== undefined) rec.extra!.issue = target.extra.issue;
      if (!(await journal.append(rec)) && mine) book.apply(card, target.legs, -1); // a concurrent void won
      sync?.notify();
      log.info({ tx, cashierId, reason }, 'sale voided');
      return { ok: true };
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      clearInterval(witnessTimer);
      happyHours.stop();
      await bus.close();
      await Promise.allSettled([...ctx.inflight.values()]);
      await sync?.stop();
      await door.stop();
      journal.close();
      log.info('gateway stopped');
    },
  };
}
