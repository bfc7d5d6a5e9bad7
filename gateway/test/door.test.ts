// Door mode through the venue gateway: card-bound tickets from the cloud's door lists, admitted
// once across all doors (also while the cloud is unreachable), every rejection with its reason,
// and the admissions uploaded later, one nonce per scan.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoorListTicket } from '../src/door/door-desk.js';
import type { Gateway } from '../src/gateway.js';
import { device, sleep, startGateway, type TestDevice, tap, tmp } from './helpers.js';

const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The fake cloud states every ticket's card, null when none is bound. */
interface FakeTicket extends DoorListTicket {
  cardUid: string | null;
}

/** A cloud with the ticketing routes the door desk uses; `down` makes it unreachable. */
function fakeCloud() {
  const now = Date.now();
  const events = [
    {
      id: 'ev-live',
      title: 'Concert',
      status: 'scheduled',
      timezone: 'Europe/Paris',
      validFrom: iso(now - HOUR),
      validUntil: iso(now + 4 * HOUR),
    },
    {
      id: 'ev-off',
      title: 'Cancelled gig',
      status: 'cancelled',
      timezone: 'Europe/Paris',
      validFrom: iso(now - HOUR),
      validUntil: iso(now + 4 * HOUR),
    },
    {
      id: 'ev-late',
      title: 'Late show',
      status: 'scheduled',
      timezone: 'Europe/Paris',
      validFrom: iso(now + 2 * HOUR),
      validUntil: iso(now + 6 * HOUR),
    },
    {
      id: 'ev-next-week',
      title: 'Next week',
      status: 'scheduled',
      validFrom: iso(now + 7 * 24 * HOUR),
      validUntil: iso(now + 7 * 24 * HOUR + HOUR),
    },
  ];
  const tickets = new Map<string, FakeTicket[]>(events.map((e) => [e.id, []]));
  const state = {
    down: false,
    checkins: new Map<string, { ticketId: string; door: string }>(),
    doorListCalls: [] as string[],
    add(eventId: string, cardUid: string | null, patch: Partial<FakeTicket> = {}): string {
      const e = events.find((x) => x.id === eventId)!;
      const ticketId = `t-${eventId}-${tickets.get(eventId)!.length}`;
      tickets.get(eventId)!.push({
        ticketId,
        categoryNo: 1,
        audience: 'full',
        status: 'valid',
        validFrom: e.validFrom,
        validUntil: e.validUntil,
        checkedInAt: null,
        checkedInDoor: null,
        cardUid,
        ...patch,
      });
      return ticketId;
    },
  };
  const server: Server = createServer((req, res) => {
    if (state.down) return void req.socket.destroy();
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/v1/venues/bar/events') return json(200, { events });
    const m = /^\/v1\/venues\/bar\/events\/([^/]+)\/door-list$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      state.doorListCalls.push(`${m[1]}${url.search}`);
      const e = events.find((x) => x.id === m[1])!;
      return json(200, {
        event: e,
        full: !url.searchParams.has('since'),
        cursor: Date.now(),
        tickets: tickets.get(e.id),
      });
    }
    if (req.method === 'POST' && url.pathname === '/v1/venues/bar/checkins') {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const { scans } = JSON.parse(raw) as { scans: { nonce: string; ticketId: string; door: string }[] };
        for (const s of scans) if (!state.checkins.has(s.nonce)) state.checkins.set(s.nonce, s);
        json(200, {
          results: scans.map((s) => ({ nonce: s.nonce, status: 'admitted', ticketId: s.ticketId })),
        });
      });
      return;
    }
    json(404, { error: 'not-found' });
  });
  return { state, server };
}

describe('door mode through the gateway', () => {
  const cloud = fakeCloud();
  let gw: Gateway;
  let doors: TestDevice[];
  const dataDir = tmp();
  const doorTap = async (d: TestDevice, uid: string) => d.waitResult(tap(d, uid, { mode: 'door' }));

  const start = async () => {
    gw = await startGateway(['door-1', 'door-2'], {
      dataDir,
      cloudUrl: `http://127.0.0.1:${(cloud.server.address() as AddressInfo).port}`,
      cloudApiKey: 'test',
      doorSyncMs: 60_000,
      witnessIntervalMs: 0,
      venue: {
        pointsOfSale: [
          { id: 'entrance', name: 'Entrance', mode: 'door', devices: ['door-1', 'door-2'], products: [] },
        ],
      },
    });
    const url = `mqtt://127.0.0.1:${gw.brokerPort}`;
    doors = [await device(url, 'door-1'), await device(url, 'door-2')];
  };
  const stop = async () => {
    for (const d of doors ?? []) await d.close();
    await gw?.close();
  };

  beforeAll(async () => {
    await new Promise<void>((r) => cloud.server.listen(0, '127.0.0.1', r));
    await start();
  });
  afterAll(async () => {
    await stop();
    await new Promise((r) => cloud.server.close(r));
  });

  it('pulls the lists of the events of the day, then incrementally with the cursor', async () => {
    cloud.state.add('ev-live', '04AA000000000001');
    await gw.door.sync();
    expect(gw.door.lastError).toBeUndefined();
    await gw.door.sync();
    const calls = cloud.state.doorListCalls;
    expect(calls.filter((c) => c.startsWith('ev-next-week'))).toEqual([]);
    const live = calls.filter((c) => c.startsWith('ev-live'));
    expect(live[0]).toBe('ev-live');
    expect(live.length).toBeGreaterThanOrEqual(2);
    for (const c of live.slice(1)) expect(c).toMatch(/^ev-live\?since=\d+$/);
  });

  it('two doors tap the same card at once: one admitted, the other told already scanned at that door', async () => {
    const [a, b] = doors as [TestDevice, TestDevice];
    const tx1 = tap(a, '04AA000000000001', { mode: 'door' });
    const tx2 = tap(b, '04AA000000000001', { mode: 'door' });
    const r = [await a.waitResult(tx1), await b.waitResult(tx2)];
    expect(r.filter((x) => x.ok)).toHaveLength(1);
    const winner = r[0]!.ok ? 'door-1' : 'door-2';
    const loser = r.find((x) => !x.ok)!;
    expect(loser.reason).toBe('already-scanned');
    expect(loser.lines?.[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d ${winner}$`));
    // A third tap anywhere: still refused.
    expect(await doorTap(a, '04AA000000000001')).toMatchObject({ ok: false, reason: 'already-scanned' });
    // The admission uploads once, with its nonce.
    await gw.door.sync();
    expect([...cloud.state.checkins.values()].filter((c) => c.ticketId === 't-ev-live-0')).toHaveLength(1);
    expect(gw.door.pending()).toBe(0);
  });

  it('cloud unreachable: still one entry across doors, uploaded once the cloud is back', async () => {
    cloud.state.add('ev-live', '04AA000000000002');
    await gw.door.sync();
    cloud.state.down = true;
    await gw.door.sync();
    expect(gw.door.lastError).toMatch(/unreachable/);
    const [a, b] = doors as [TestDevice, TestDevice];
    expect(await doorTap(b, '04AA000000000002')).toMatchObject({ ok: true });
    expect(await doorTap(a, '04AA000000000002')).toMatchObject({ ok: false, reason: 'already-scanned' });
    expect(gw.door.pending()).toBe(1);
    await gw.door.sync(); // still down: kept for later
    expect(gw.door.pending()).toBe(1);
    const before = cloud.state.checkins.size;
    cloud.state.down = false;
    await gw.door.sync();
    expect(gw.door.pending()).toBe(0);
    expect(cloud.state.checkins.size).toBe(before + 1);
    expect([...cloud.state.checkins.values()].at(-1)).toMatchObject({
      ticketId: 't-ev-live-1',
      door: 'door-2',
    });
  });

  it('every rejection says why', async () => {
    const s = cloud.state;
    s.add('ev-live', '04BB000000000001', { status: 'refunded' });
    s.add('ev-live', '04BB000000000002', { status: 'revoked' });
    s.add('ev-off', '04BB000000000003');
    s.add('ev-late', '04BB000000000004');
    s.add('ev-live', '04BB000000000005', { validUntil: iso(Date.now() - 60_000) });
    s.add('ev-live', '04BB000000000006', {
      checkedInAt: iso(Date.now() - 60_000),
      checkedInDoor: 'qr-scanner',
    });
    s.add('ev-live', null);
    await gw.door.sync();
    const d = doors[0]!;
    expect(await doorTap(d, '04BB000000000001')).toMatchObject({
      ok: false,
      reason: 'refunded',
      lines: [], // the terminal words the reason itself
    });
    expect(await doorTap(d, '04BB000000000002')).toMatchObject({ ok: false, reason: 'revoked' });
    expect(await doorTap(d, '04BB000000000003')).toMatchObject({ ok: false, reason: 'event-cancelled' });
    const late = await doorTap(d, '04BB000000000004');
    expect(late).toMatchObject({ ok: false, reason: 'not-yet-valid' });
    expect(late.lines?.[0]).toMatch(/^\d\d:\d\d$/);
    expect(await doorTap(d, '04BB000000000005')).toMatchObject({ ok: false, reason: 'expired' });
    const cloudScan = await doorTap(d, '04BB000000000006');
    expect(cloudScan).toMatchObject({ ok: false, reason: 'already-scanned' });
    expect(cloudScan.lines?.[0]).toMatch(/qr-scanner$/);
    // A terminal outside the door's point of sale cannot admit.
    gw.ctx.config().pointsOfSale[0]!.devices = ['door-2'];
    expect(await doorTap(d, '04CC000000000000')).toMatchObject({ ok: false, reason: 'not-allowed' });
    gw.ctx.config().pointsOfSale[0]!.devices = ['door-1', 'door-2'];
    expect(await doorTap(d, '04CC000000000000')).toMatchObject({
      ok: false,
      reason: 'no-ticket',
      lines: [],
    });
  });

  it('a card holding two tickets admits two people; a re-sent tap gets its first answer', async () => {
    cloud.state.add('ev-live', '04DD000000000001');
    cloud.state.add('ev-live', '04DD000000000001');
    await gw.door.sync();
    const d = doors[1]!;
    const tx = tap(d, '04DD000000000001', { mode: 'door' });
    expect(await d.waitResult(tx)).toMatchObject({ ok: true });
    // The same tx re-sent (terminal timeout): the same answer, no second admission.
    const again = d.sign('tap', { tx, uid: '04DD000000000001', mode: 'door' });
    d.received.length = 0;
    d.raw(`tb/v1/bar/dev/door-2/up/tap`, again);
    expect(await d.waitResult(tx)).toMatchObject({ ok: true });
    expect(await doorTap(d, '04DD000000000001')).toMatchObject({ ok: true });
    expect(await doorTap(d, '04DD000000000001')).toMatchObject({ ok: false, reason: 'already-scanned' });
  });

  it('entries survive a gateway restart (offline)', async () => {
    cloud.state.add('ev-live', '04EE000000000001');
    await gw.door.sync();
    cloud.state.down = true;
    expect(await doorTap(doors[0]!, '04EE000000000001')).toMatchObject({ ok: true });
    await stop();
    await start();
    for (const d of doors) d.n = 100_000; // counters only rise: the gateway remembers them
    await sleep(50);
    expect(await doorTap(doors[1]!, '04EE000000000001')).toMatchObject({
      ok: false,
      reason: 'already-scanned',
    });
    expect(gw.door.pending()).toBe(1);
    cloud.state.down = false;
    await gw.door.sync();
    expect(gw.door.pending()).toBe(0);
  });
});
