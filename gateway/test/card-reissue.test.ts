// A returned card re-issued to a new holder: the gateway drops the former holder's lease and
// balances as soon as the cloud's config says the card is at a higher issue; the next tap gets a
// fresh lease (offline: the stand-in of an unknown card), never the former holder's money; the
// former holder's unsynced records go to the cloud with their issue and touch nothing of the new one.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardBook } from '../src/authorizer/card-book.js';
import type { Gateway } from '../src/gateway.js';
import type { SyncItem } from '../src/sync/cloud-api.js';
import { device, sleep, startGateway, type TestDevice, tmp } from './helpers.js';

const CARD = '04AB0000000001';
const beer = { cart: [{ sku: 'soda', qty: 1, price: 200 }] };

describe('card book: a higher card issue is a new holder', () => {
  it('drops lease, balances, deltas and stand-in of the former holder; their acks touch nothing', () => {
    const book = new CardBook();
    const c = book.lease(CARD, [{ asset: 'EUR', amount: 2000 }], Date.now() + 60_000, false, 0);
    expect(c.issue).toBe(0);
    book.apply(c, [{ asset: 'EUR', amount: 500 }], -1, 100);
    expect(book.available(c, 'EUR')).toBe(1500);
    expect(book.reissued(CARD, 0)).toBe(false); // same issue: nothing
    expect(book.reissued(CARD, 1)).toBe('dropped');
    expect(book.available(c, 'EUR')).toBe(0);
    expect(c.leaseUntil).toBe(0);
    expect(c.standIn).toBe(0);
    expect(book.venueStandIn).toBe(100); // the venue's exposure stays until the cloud books it
    // The former holder's spend is acknowledged with their (old wallet's) balances: not ours.
    book.acknowledged(CARD, [{ asset: 'EUR', amount: 500 }], -1, [{ asset: 'EUR', amount: 1500 }], 100, 0);
    expect(book.available(c, 'EUR')).toBe(0);
    expect(book.venueStandIn).toBe(0);
    // A lease answer of the former issue arriving late is stale: ignored.
    book.lease(CARD, [{ asset: 'EUR', amount: 1500 }], Date.now() + 60_000, false, 0);
    expect(book.available(c, 'EUR')).toBe(0);
    expect(c.leaseUntil).toBe(0);
    // The new holder's own records count as before.
    book.lease(CARD, [{ asset: 'EUR', amount: 300 }], Date.now() + 60_000, false, 1);
    book.apply(c, [{ asset: 'EUR', amount: 200 }], -1);
    expect(book.sameHolder(c, 1)).toBe(true);
    expect(book.sameHolder(c, 0)).toBe(false);
    book.acknowledged(CARD, [{ asset: 'EUR', amount: 200 }], -1, [{ asset: 'EUR', amount: 100 }], 0, 1);
    expect(book.available(c, 'EUR')).toBe(100);
  });

  it('a card whose issue was never told: a lease held is dropped on a re-issue, its deltas kept', () => {
    const book = new CardBook();
    const c = book.lease(CARD, [{ asset: 'EUR', amount: 2000 }], Date.now() + 60_000, false); // old cloud
    book.apply(c, [{ asset: 'EUR', amount: 300 }], -1); // unstamped
    expect(book.reissued(CARD, 2)).toBe('dropped');
    expect(book.available(c, 'EUR')).toBe(-300); // the old lease is gone; this holder's delta stays
    expect(book.sameHolder(c, undefined)).toBe(true);
    book.replay(c, [{ asset: 'EUR', amount: 100 }], -1, 40, 1); // a former holder's record at startup
    expect(book.available(c, 'EUR')).toBe(-300);
    expect(book.venueStandIn).toBe(40);
  });
});

/** A cloud of one card: config (ETag), leases and batches, with a re-issue switch. */
function fakeCloud() {
  const s = {
    down: false,
    /** Batches answer 503 (the rest works): records wait in the journal. */
    batchesDown: false,
    issue: 0,
    balances: new Map<number, number>([[0, 2000]]), // EUR per issue's wallet
    items: [] as SyncItem[],
    leaseCalls: 0,
  };
  const server: Server = createServer((req, res) => {
    if (s.down) return void req.socket.destroy();
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (code: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(code, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (url.pathname === '/v1/sync/config') {
        const doc = { reissued: s.issue > 0 ? [{ cardUid: CARD, issue: s.issue }] : [], version: 1 };
        const etag = `"${JSON.stringify(doc).length}-${s.issue}"`;
        if (req.headers['if-none-match'] === etag) {
          res.writeHead(304, { etag });
          return void res.end();
        }
        return json(200, doc, { etag });
      }
      if (url.pathname === '/v1/sync/leases') {
        s.leaseCalls++;
        const { cards } = JSON.parse(raw) as { cards: string[] };
        return json(200, {
          leases: cards.map((cardUid) => ({
            cardUid,
            balances: [{ asset: 'EUR', amount: s.balances.get(s.issue) ?? 0 }],
            blocked: false,
            issue: s.issue,
            leaseUntil: Date.now() + 60_000,
          })),
        });
      }
      if (url.pathname === '/v1/sync/batches') {
        if (s.batchesDown) return json(503, { error: 'unavailable' });
        const { items } = JSON.parse(raw) as { items: SyncItem[] };
        s.items.push(...items);
        return json(200, {
          results: items.map((it) => {
            const k = it.cardIssue ?? s.issue;
            const after = (s.balances.get(k) ?? 0) - it.legs.reduce((t, l) => t + l.amount, 0);
            s.balances.set(k, after);
            return { id: it.id, status: 'applied', balances: [{ asset: 'EUR', amount: after }] };
          }),
        });
      }
      json(404, { error: 'not-found' });
    });
  });
  return { s, server };
}

describe('gateway: re-issue signal from the config pull', () => {
  const cloud = fakeCloud();
  const dataDir = tmp();
  let gw: Gateway;
  let till: TestDevice;
  const start = async (counter = 1000) => {
    gw = await startGateway(['till-1'], {
      dataDir,
      cloudUrl: `http://127.0.0.1:${(cloud.server.address() as AddressInfo).port}`,
      cloudApiKey: 'test',
      configPollMs: 100,
      syncLingerMs: 5,
      witnessIntervalMs: 0,
      venue: { standIn: { perCard: 300, perVenue: 5000 } },
    });
    till = await device(`mqtt://127.0.0.1:${gw.brokerPort}`, 'till-1');
    till.n = counter; // counters only rise, across restarts too
  };
  beforeAll(async () => {
    await new Promise<void>((r) => cloud.server.listen(0, '127.0.0.1', r));
    await start();
  });
  afterAll(async () => {
    await till?.close();
    await gw?.close();
    await new Promise((r) => cloud.server.close(r));
  });

  it('the former holder’s lease is dropped within a poll; the next tap never sees the old balance', async () => {
    expect(await till.pay(CARD, beer)).toMatchObject({ ok: true, amt: 200, bal: [{ a: 'EUR', v: 1800 }] });
    const card = gw.ctx.book.get(CARD);
    expect(card.issue).toBe(0);
    // The cloud goes away before this spend is synced: it stays in the journal, stamped issue 0.
    cloud.s.down = true;
    await sleep(150);
    expect(await till.pay(CARD, beer)).toMatchObject({ ok: true, bal: [{ a: 'EUR', v: 1600 }] });
    expect(gw.ctx.journal.unsynced(10).map((r) => r.extra?.issue)).toContain(0);
    // The card is returned and re-issued while the venue is cut off; the link comes back (the
    // batch upload only after the re-issue signal, so the ack below is one of a former holder).
    cloud.s.issue = 1;
    cloud.s.balances.set(1, 0);
    cloud.s.batchesDown = true;
    cloud.s.down = false;
    const t0 = Date.now();
    while (card.issue !== 1 && Date.now() - t0 < 3000) await sleep(10);
    expect(card.issue).toBe(1);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(card.leaseUntil).toBe(0);
    expect(gw.ctx.book.available(card, 'EUR')).toBe(0);
    // The former holder's spend reaches the cloud with its issue; its ack (with the former
    // holder's balances) changes nothing here.
    cloud.s.batchesDown = false;
    const deadline = Date.now() + 3000;
    while (gw.ctx.journal.unsyncedStats().count > 0 && Date.now() < deadline) await sleep(10);
    expect(gw.ctx.journal.unsyncedStats().count).toBe(0);
    expect(cloud.s.items.map((i) => i.cardIssue)).toEqual([0, 0]);
    expect(gw.ctx.book.available(card, 'EUR')).toBe(0);
    // Online: a fresh lease of the new holder's (empty) wallet decides.
    const calls = cloud.s.leaseCalls;
    expect(await till.pay(CARD, beer)).toMatchObject({ ok: false, reason: 'insufficient-funds' });
    expect(cloud.s.leaseCalls).toBe(calls + 1);
  });

  it('offline after a re-issue: the stand-in of an unknown card, not the former balance; survives a restart', async () => {
    cloud.s.issue = 2;
    cloud.s.balances.set(2, 0);
    const card = gw.ctx.book.get(CARD);
    const t0 = Date.now();
    while (card.issue !== 2 && Date.now() - t0 < 3000) await sleep(10);
    expect(card.issue).toBe(2);
    cloud.s.down = true;
    await sleep(150);
    // stand-in per card is 300: one soda on credit, not a second
    const a = await till.pay(CARD, beer);
    expect(a).toMatchObject({ ok: true, amt: 200 });
    expect(gw.ctx.journal.unsynced(10).at(-1)).toMatchObject({
      offline: true,
      extra: { standIn: 200, issue: 2 },
    });
    expect(await till.pay(CARD, beer)).toMatchObject({ ok: false, reason: 'stand-in-limit' });
    const n = till.n;
    await till.close();
    await gw.close();
    await start(n); // the cloud is still down: the saved issue and the journal decide
    const again = gw.ctx.book.get(CARD);
    expect(again.issue).toBe(2);
    expect(gw.ctx.book.available(again, 'EUR')).toBe(-200);
    expect(await till.pay(CARD, beer)).toMatchObject({ ok: false, reason: 'stand-in-limit' });
    cloud.s.down = false;
    const deadline = Date.now() + 3000;
    while (gw.ctx.journal.unsyncedStats().count > 0 && Date.now() < deadline) await sleep(10);
    expect(cloud.s.items.at(-1)).toMatchObject({ cardIssue: 2, offline: true });
  });
});
