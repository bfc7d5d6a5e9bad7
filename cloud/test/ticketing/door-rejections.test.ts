// Refusals decided by the venue gateway (offline or not) reach the cloud with their nonce: stored
// once, replayed idempotently, shown in the event's counts and door log with their reason; another
// venue's gateway cannot file them, and malformed uploads change nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withBothDatabases } from '../helpers/databases.js';
import { type TicketingCtx, ticketingContext } from './setup.js';

withBothDatabases('door rejections from the gateway', (getDb) => {
  let t: TicketingCtx;
  beforeAll(async () => {
    t = await ticketingContext(getDb());
  });
  afterAll(() => t?.close());
  const upload = (who: 'barGateway' | 'cafeGateway' | 'barCashier', rejections: object[], venue?: string) =>
    t.post(who, `/v1/venues/${venue ?? t.f.bar}/door-rejections`, { rejections }, null);

  it('stored once per nonce, counted per door and reason, listed in the door log', async () => {
    const e = await t.createEvent();
    const card = await t.card(10_000);
    const [ticket] = (await t.buy(card, e)).json().tickets;
    const at = new Date(Date.now() - 60_000).toISOString();
    const r1 = {
      nonce: randomUUID(),
      reason: 'already-scanned',
      message: 'already scanned / 21:04 door-1',
      door: 'door-2',
      scannedAt: at,
      ticketId: ticket.ticketId,
      eventId: e.id,
      cardUid: card,
      firstScan: { at, door: 'door-1' },
    };
    const r2 = {
      nonce: randomUUID(),
      reason: 'membership-expired',
      door: 'door-1',
      scannedAt: at,
      eventId: e.id,
    };
    const first = await upload('barGateway', [r1, r2]);
    expect(first.json().results.map((r: { status: string }) => r.status)).toEqual(['stored', 'stored']);
    // A re-upload after a lost answer: same answers, nothing new stored.
    expect(
      (await upload('barGateway', [r1, r2])).json().results.map((r: { status: string }) => r.status),
    ).toEqual(['replayed', 'replayed']);
    // The same nonce for something else is reported, not stored.
    expect((await upload('barGateway', [{ ...r1, door: 'door-9' }])).json().results[0].status).toBe(
      'nonce-conflict',
    );
    const c = (await t.get('barAdmin', `/v1/venues/${t.f.bar}/events/${e.id}/counts`)).json();
    expect(c.rejections).toEqual({ 'already-scanned': 1, 'membership-expired': 1 });
    expect(c.byDoor).toEqual([
      { door: 'door-1', admitted: 0, rejected: 1 },
      { door: 'door-2', admitted: 0, rejected: 1 },
    ]);
    expect(c.checkedIn).toBe(0);
    const log = (
      await t.get('barAdmin', `/v1/venues/${t.f.bar}/events/${e.id}/door-log?rejected=true`)
    ).json().entries;
    expect(log).toHaveLength(2);
    expect(log.find((x: { door: string }) => x.door === 'door-2')).toMatchObject({
      admitted: false,
      reason: 'already-scanned',
      message: 'already scanned / 21:04 door-1',
      source: 'gateway',
      ticketId: ticket.ticketId,
      firstScan: { door: 'door-1' },
    });
    // The cloud's own scans land in the same log (the event opens in 42 h: refused, and why).
    await t.scan('barGateway', [{ nonce: randomUUID(), token: ticket.token, door: 'qr-1', eventId: e.id }]);
    const all = (await t.get('barAdmin', `/v1/venues/${t.f.bar}/events/${e.id}/door-log`)).json().entries;
    expect(all).toHaveLength(3);
    expect(all[0]).toMatchObject({ admitted: false, reason: 'not-yet-valid', source: 'cloud', door: 'qr-1' });
  });

  it('another venue cannot file or read them; bad uploads are refused whole', async () => {
    const e = await t.createEvent();
    const ok = {
      nonce: randomUUID(),
      reason: 'refunded',
      door: 'd',
      scannedAt: new Date().toISOString(),
      eventId: e.id,
    };
    expect((await upload('cafeGateway', [ok])).statusCode).toBe(403);
    expect((await t.get('cafeAdmin', `/v1/venues/${t.f.bar}/events/${e.id}/door-log`)).statusCode).toBe(403);
    // A café event id sent by the bar's gateway is not linked to the café's event.
    const cafeEvent = await t.createEvent({}, t.f.cafe);
    await upload('barGateway', [{ ...ok, nonce: randomUUID(), eventId: cafeEvent.id }]);
    expect(
      (await t.get('cafeAdmin', `/v1/venues/${t.f.cafe}/events/${cafeEvent.id}/counts`)).json().rejections,
    ).toEqual({});
    for (const bad of [
      { ...ok, reason: '<script>' },
      { ...ok, nonce: 'short' },
      { ...ok, scannedAt: new Date(Date.now() + 3600_000).toISOString() },
      { ...ok, extra: 1 },
    ]) {
      const r = await upload('barGateway', [{ ...ok, nonce: randomUUID() }, bad]);
      expect(r.statusCode, JSON.stringify(bad)).toBe(400);
    }
    expect(
      (await t.get('barAdmin', `/v1/venues/${t.f.bar}/events/${e.id}/counts`)).json().rejections,
    ).toEqual({});
  });
});
