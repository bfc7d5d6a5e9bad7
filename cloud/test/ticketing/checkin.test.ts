// Door check-in: admission once across doors, idempotent nonces (offline uploads), every rejection
// reason, live counts and the gateway's door list.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withBothDatabases } from '../helpers/databases.js';
import { id } from '../helpers/fixture.js';
import { type EventJson, inHours, type TicketingCtx, ticketingContext } from './setup.js';

withBothDatabases('ticketing check-in', (getDb) => {
  let t: TicketingCtx;
  let live: EventJson;
  beforeAll(async () => {
    t = await ticketingContext(getDb());
    live = await t.createEvent({ title: 'Tonight', startsAt: inHours(1), endsAt: inHours(4) });
  });
  afterAll(() => t?.close());

  const ticket = async (event = live, card?: string): Promise<{ ticketId: string; token: string }> => {
    const c = card ?? (await t.card(10_000));
    const r = await t.buy(c, event);
    if (r.statusCode !== 201) throw new Error(r.body);
    return r.json().tickets[0];
  };
  const scan = async (
    token: string,
    extra: object = {},
    who: 'barGateway' | 'barCashier' | 'cafeGateway' = 'barGateway',
    venue?: string,
  ) => {
    const r = await t.scan(who, [{ nonce: id('n'), token, door: 'main', eventId: live.id, ...extra }], venue);
    if (r.statusCode !== 200) throw new Error(`${r.statusCode} ${r.body}`);
    return r.json().results[0];
  };

  it('admits a valid ticket once; a second scan says when and at which door', async () => {
    const tk = await ticket();
    const first = await scan(tk.token, { door: 'north' });
    expect(first).toMatchObject({
      status: 'admitted',
      ticketId: tk.ticketId,
      eventId: live.id,
      categoryNo: 1,
      audience: 'full',
      door: 'north',
    });
    const second = await scan(tk.token, { door: 'south' }, 'barCashier');
    expect(second).toMatchObject({
      status: 'rejected',
      reason: 'already-scanned',
      firstScan: { door: 'north', at: first.scannedAt },
    });
    expect(second.message).toContain('north');
  });

  it('the same nonce uploaded twice replays the first answer; another scan under that nonce is refused', async () => {
    const tk = await ticket();
    const s = {
      nonce: id('n'),
      token: tk.token,
      door: 'east',
      eventId: live.id,
      scannedAt: new Date(Date.now() - 60_000).toISOString(),
    };
    const a = (await t.scan('barGateway', [s])).json().results[0];
    const b = (await t.scan('barGateway', [s])).json().results[0];
    expect(a.status).toBe('admitted');
    expect(b).toEqual({ ...a, replayed: true });
    const other = await ticket();
    const c = (await t.scan('barGateway', [{ ...s, token: other.token }])).json().results[0];
    expect(c).toMatchObject({ status: 'rejected', reason: 'nonce-conflict' });
    // The other ticket was not admitted by the conflicting upload.
    expect((await scan(other.token)).status).toBe('admitted');
  });

  it('two doors scanning one ticket at the same moment: exactly one admission', async () => {
    const tk = await ticket();
    const doors = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'];
    const results = await Promise.all(doors.map((door) => scan(tk.token, { door })));
    expect(results.filter((r) => r.status === 'admitted')).toHaveLength(1);
    expect(results.filter((r) => r.reason === 'already-scanned')).toHaveLength(5);
  });

  it('an offline batch uploaded late: scan times kept, duplicates flagged, idempotent re-upload', async () => {
    const a = await ticket();
    const b = await ticket();
    const t0 = Date.now() - 30 * 60_000;
    const batch = [
      {
        nonce: id('off'),
        token: a.token,
        door: 'side',
        eventId: live.id,
        scannedAt: new Date(t0).toISOString(),
      },
      {
        nonce: id('off'),
        token: b.token,
        door: 'side',
        eventId: live.id,
        scannedAt: new Date(t0 + 1000).toISOString(),
      },
      {
        nonce: id('off'),
        token: a.token,
        door: 'side',
        eventId: live.id,
        scannedAt: new Date(t0 + 2000).toISOString(),
      },
    ];
    const r = (await t.scan('barGateway', batch)).json();
    expect(r.results.map((x: { status: string; reason?: string }) => x.reason ?? x.status)).toEqual([
      'admitted',
      'admitted',
      'already-scanned',
    ]);
    expect(r.results[2].firstScan).toEqual({ at: new Date(t0).toISOString(), door: 'side' });
    const again = (await t.scan('barGateway', batch)).json();
    expect(again.results.every((x: { replayed?: boolean }) => x.replayed)).toBe(true);
    expect(again.admitted).toBe(2);
    // Dated in the future beyond clock skew: refused as a bad request.
    const future = await t.scan('barGateway', [{ ...batch[0], nonce: id('off'), scannedAt: inHours(2) }]);
    expect(future.statusCode).toBe(400);
  });

  it('rejections say why: bad signature, wrong event, refunded, revoked, cancelled, not yet valid, expired', async () => {
    const good = await ticket();
    // Forged: one byte of the payload changed.
    const raw = Buffer.from(good.token, 'base64url');
    raw[40] ^= 1;
    expect(await scan(raw.toString('base64url'))).toMatchObject({
      status: 'rejected',
      reason: 'bad-signature',
    });
    expect(await scan('not-a-ticket')).toMatchObject({
      status: 'rejected',
      reason: 'bad-signature',
      message: 'not a ticket',
    });
    // Wrong event (same venue), and a ticket of the bar scanned at the cafe.
    const other = await t.createEvent({ title: 'Other room', startsAt: inHours(1) });
    const o = await ticket(other);
    expect(await scan(o.token)).toMatchObject({
      status: 'rejected',
      reason: 'wrong-event',
      ticketId: o.ticketId,
      eventId: other.id,
    });
    const atCafe = await t.scan('cafeGateway', [{ nonce: id('n'), token: o.token, door: 'cafe' }], t.f.cafe);
    expect(atCafe.json().results[0]).toMatchObject({ reason: 'wrong-event' });
    // The bar gateway cannot post scans for the cafe.
    expect(
      (await t.scan('barGateway', [{ nonce: id('n'), token: o.token, door: 'x' }], t.f.cafe)).statusCode,
    ).toBe(403);
    // Refunded and revoked.
    const r1 = await ticket();
    await t.post('barAdmin', `/v1/venues/${t.f.bar}/tickets/${r1.ticketId}/refund`, {});
    expect(await scan(r1.token)).toMatchObject({ reason: 'refunded' });
    const r2 = await ticket();
    await t.post('barAdmin', `/v1/venues/${t.f.bar}/tickets/${r2.ticketId}/revoke`, {});
    expect(await scan(r2.token)).toMatchObject({ reason: 'revoked' });
    // Cancelled event.
    const doomed = await t.createEvent({ startsAt: inHours(1) });
    const d = await ticket(doomed);
    await t.post('barAdmin', `/v1/venues/${t.f.bar}/events/${doomed.id}/cancel`, {});
    expect(await scan(d.token, { eventId: doomed.id })).toMatchObject({ reason: 'event-cancelled' });
    // Not yet valid (scanned before the admission window) and expired.
    const later = await t.createEvent({ startsAt: inHours(30) });
    const l = await ticket(later);
    expect(await scan(l.token, { eventId: later.id })).toMatchObject({
      reason: 'not-yet-valid',
      validFrom: (later as unknown as { validFrom: string }).validFrom,
    });
    const over = await t.createEvent({ startsAt: inHours(-3), endsAt: inHours(1), validUntil: inHours(-1) });
    const v = await ticket(over);
    expect(await scan(v.token, { eventId: over.id })).toMatchObject({ reason: 'expired' });
    // Still valid when the scan happened before the end (offline upload).
    expect(await scan(v.token, { eventId: over.id, scannedAt: inHours(-2) })).toMatchObject({
      status: 'admitted',
    });
  });

  it('live counts per category and door, and the rejection reasons', async () => {
    const e = await t.createEvent({ startsAt: inHours(1) });
    const card = await t.card(50_000);
    const a = await ticket(e, card);
    const b = await ticket(e, card);
    const c = await ticket(e, card);
    await t.post('barAdmin', `/v1/venues/${t.f.bar}/tickets/${c.ticketId}/refund`, {});
    await scan(a.token, { eventId: e.id, door: 'A' });
    await scan(a.token, { eventId: e.id, door: 'B' });
    await scan(c.token, { eventId: e.id, door: 'B' });
    const r = await t.get('barCashier', `/v1/venues/${t.f.bar}/events/${e.id}/counts`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      eventId: e.id,
      sold: 2,
      valid: 2,
      refunded: 1,
      checkedIn: 1,
      expected: 1,
      byDoor: [
        { door: 'A', admitted: 1, rejected: 0 },
        { door: 'B', admitted: 0, rejected: 2 },
      ],
      rejections: { 'already-scanned': 1, refunded: 1 },
    });
    expect(r.json().byCategory[0]).toEqual({ categoryNo: 1, name: 'Standing', valid: 2, checkedIn: 1 });
    expect(b.ticketId).toBeTruthy();
  });

  it('door list for the gateway: full, then incremental from the cursor, with the verifying keys', async () => {
    const e = await t.createEvent({ startsAt: inHours(1) });
    const a = await ticket(e);
    const b = await ticket(e);
    const c = await ticket(e);
    await getDb().query("UPDATE tickets SET updated_at = now() - interval '1 hour' WHERE event_id = $1", [
      e.id,
    ]);
    const full = (await t.get('barGateway', `/v1/venues/${t.f.bar}/events/${e.id}/door-list`)).json();
    expect(full.full).toBe(true);
    expect(full.tickets.map((x: { ticketId: string }) => x.ticketId).sort()).toEqual(
      [a.ticketId, b.ticketId, c.ticketId].sort(),
    );
    expect(full.tickets[0]).toMatchObject({ status: 'valid', checkedInAt: null, categoryNo: 1 });
    expect(full.keys.length).toBeGreaterThan(0);
    // Changes after the cursor: a scan and a refund (the third ticket is unchanged).
    await scan(a.token, { eventId: e.id });
    await t.post('barAdmin', `/v1/venues/${t.f.bar}/tickets/${b.ticketId}/refund`, {});
    const inc = (
      await t.get('barGateway', `/v1/venues/${t.f.bar}/events/${e.id}/door-list?since=${full.cursor}`)
    ).json();
    expect(inc.full).toBe(false);
    const byId = Object.fromEntries(inc.tickets.map((x: { ticketId: string }) => [x.ticketId, x]));
    expect(byId[a.ticketId].checkedInAt).not.toBeNull();
    expect(byId[b.ticketId].status).toBe('refunded');
    expect(byId[c.ticketId]).toBeUndefined();
    // Another venue's gateway cannot read it.
    expect((await t.get('cafeGateway', `/v1/venues/${t.f.bar}/events/${e.id}/door-list`)).statusCode).toBe(
      403,
    );
  });
});
