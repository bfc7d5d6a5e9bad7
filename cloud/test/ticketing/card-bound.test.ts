// Card-bound tickets: the door list carries the card each ticket is bound to (the paying card, or an
// explicit binding), and the venue gateway uploads card taps by ticket id (idempotent per nonce).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withBothDatabases } from '../helpers/databases.js';
import { id } from '../helpers/fixture.js';
import { type EventJson, inHours, type TicketingCtx, ticketingContext } from './setup.js';

withBothDatabases('ticketing card-bound tickets', (getDb) => {
  let t: TicketingCtx;
  let live: EventJson;
  beforeAll(async () => {
    t = await ticketingContext(getDb());
    live = await t.createEvent({ title: 'Tonight', startsAt: inHours(1), endsAt: inHours(4) });
  });
  afterAll(() => t?.close());

  const doorList = async (e: EventJson) =>
    (await t.get('barGateway', `/v1/venues/${t.f.bar}/events/${e.id}/door-list`)).json() as {
      tickets: { ticketId: string; cardUid: string | null }[];
    };

  it('the door list carries the paying card; an explicit binding moves the ticket to another card', async () => {
    const payer = await t.card(10_000);
    const friend = await t.card(100);
    const r = await t.buy(payer, live, { quantity: 2 });
    expect(r.statusCode).toBe(201);
    const [a, b] = r.json().tickets as { ticketId: string }[];
    let list = await doorList(live);
    const card = (tid: string) => list.tickets.find((x) => x.ticketId === tid)?.cardUid;
    expect(card(a!.ticketId)).toBe(payer);
    expect(card(b!.ticketId)).toBe(payer);

    const bind = await t.post('barCashier', `/v1/venues/${t.f.bar}/tickets/${b!.ticketId}/card`, {
      cardUid: friend,
    });
    expect(bind.statusCode, bind.body).toBe(200);
    expect(bind.json()).toEqual({ ticketId: b!.ticketId, cardUid: friend });
    list = await doorList(live);
    expect(card(b!.ticketId)).toBe(friend);
    const unknown = await t.post('barCashier', `/v1/venues/${t.f.bar}/tickets/${b!.ticketId}/card`, {
      cardUid: 'DEADBEEF',
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('a card tap uploaded by ticket id is admitted once; the wrong card is refused; re-upload replays', async () => {
    const payer = await t.card(10_000);
    const tk = (await t.buy(payer, live)).json().tickets[0] as { ticketId: string };
    const nonce = id('door');
    const scan = { nonce, ticketId: tk.ticketId, cardUid: payer, door: 'north', eventId: live.id };
    const first = (await t.scan('barGateway', [scan])).json().results[0];
    expect(first).toMatchObject({ status: 'admitted', ticketId: tk.ticketId, door: 'north' });
    const again = (await t.scan('barGateway', [scan])).json().results[0];
    expect(again).toMatchObject({ status: 'admitted', replayed: true });
    const other = await t.card(100);
    const wrong = (
      await t.scan('barGateway', [{ ...scan, nonce: id('door'), cardUid: other, door: 'south' }])
    ).json().results[0];
    expect(wrong).toMatchObject({ status: 'rejected', reason: 'unknown-ticket' });
    const second = (await t.scan('barGateway', [{ ...scan, nonce: id('door'), door: 'south' }])).json()
      .results[0];
    expect(second).toMatchObject({
      status: 'rejected',
      reason: 'already-scanned',
      firstScan: { door: 'north' },
    });
    const counts = (await t.get('barGateway', `/v1/venues/${t.f.bar}/events/${live.id}/counts`)).json();
    expect(counts.checkedIn).toBe(1);
    // A scan needs a token or a ticket id.
    const bad = await t.scan('barGateway', [{ nonce: id('door'), door: 'x' }]);
    expect(bad.statusCode).toBe(400);
  });
});
