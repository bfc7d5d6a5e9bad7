// Promotion rules in the cloud, on PGlite and PostgreSQL: venue admins define them (schemas,
// tenant isolation, bad input changes nothing), and the venue's gateway gets them, with the
// venue's time zone, in its config download (a new ETag when they change).
import { expect, it } from 'vitest';
import { createUser } from '../../src/index.js';
import { withBothDatabases } from '../helpers/databases.js';
import { auth, type Fixture, fixture } from '../helpers/fixture.js';

const PASSWORD = 'correct horse battery';
const MENU = [
  {
    id: 'bar',
    name: 'Bar',
    mode: 'cashier',
    devices: [],
    products: [
      { sku: 'beer', label: 'Bière', price: 350, category: 'drinks' },
      { sku: 'burger', label: 'Burger', price: 900, category: 'food' },
    ],
  },
];

const happy = {
  id: 'apero',
  name: 'Apéro',
  kind: 'happy-hour',
  windows: [{ days: [1, 2, 3, 4, 5], from: '18:00', to: '20:00' }],
  prices: [{ sku: 'beer', price: 250 }],
  categories: [{ category: 'food', pct: 10 }],
};
const partner = { id: 'coop-a', name: 'Membres A', kind: 'partner', badge: 'BADGE:venue-a', pct: 15 };
const loyal = {
  id: 'loyal',
  name: 'Fidèle',
  kind: 'history',
  bought: 'beer',
  times: 5,
  days: 30,
  target: 'burger',
  pct: 20,
};

withBothDatabases('promotion rules', (getDb) => {
  let f: Fixture;
  let barAdmin: string;
  let cafeAdmin: string;
  let auditor: string;
  const put = (token: string, venue: string, id: string, body: unknown) =>
    f.app.inject({
      method: 'PUT',
      url: `/v1/venues/${venue}/promotions/${id}`,
      headers: auth(token),
      payload: body as object,
    });
  const config = (etag?: string) =>
    f.app.inject({
      method: 'GET',
      url: `/v1/sync/config?venueId=${f.bar}`,
      headers: { ...auth(f.barKey), ...(etag ? { 'if-none-match': etag } : {}) },
    });

  it('setup: two venues, their admins, an auditor', async () => {
    f = await fixture(getDb());
    await getDb().query('UPDATE venues SET points_of_sale = $1 WHERE id = $2', [JSON.stringify(MENU), f.bar]);
    const login = async (email: string, role: 'venue_admin' | 'auditor', venueId?: string) => {
      await createUser(getDb(), { email, password: PASSWORD, role, federationId: f.fed, venueId });
      const r = await f.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email, password: PASSWORD },
      });
      expect(r.statusCode).toBe(200);
      return r.json().token as string;
    };
    barAdmin = await login(`bar-${f.bar}@example.org`, 'venue_admin', f.bar);
    cafeAdmin = await login(`cafe-${f.cafe}@example.org`, 'venue_admin', f.cafe);
    auditor = await login(`audit-${f.bar}@example.org`, 'auditor');
  });

  it('a venue admin creates, replaces and lists the three kinds of rules', async () => {
    expect((await put(barAdmin, f.bar, 'apero', happy)).statusCode).toBe(201);
    expect((await put(barAdmin, f.bar, 'coop-a', partner)).statusCode).toBe(201);
    const r = await put(barAdmin, f.bar, 'loyal', loyal);
    expect(r.statusCode).toBe(201);
    expect(r.json().rules.map((x: { id: string }) => x.id)).toEqual(['apero', 'coop-a', 'loyal']);
    const again = await put(barAdmin, f.bar, 'coop-a', { ...partner, pct: 25, categories: ['food'] });
    expect(again.statusCode).toBe(200);
    const tz = await f.app.inject({
      method: 'PUT',
      url: `/v1/venues/${f.bar}/promotions-time-zone`,
      headers: auth(barAdmin),
      payload: { timeZone: 'America/Montreal' },
    });
    expect(tz.statusCode).toBe(200);
    const list = await f.app.inject({
      method: 'GET',
      url: `/v1/venues/${f.bar}/promotions`,
      headers: auth(auditor),
    });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({
      promotions: [happy, { ...partner, pct: 25, categories: ['food'] }, loyal],
      timeZone: 'America/Montreal',
    });
  });

  it('the gateway gets the rules and the time zone in its config; a change gives a new ETag', async () => {
    const r = await config();
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.promotions.map((x: { id: string }) => x.id)).toEqual(['apero', 'coop-a', 'loyal']);
    expect(doc.promotions[0]).toEqual(happy);
    expect(doc.venue.timeZone).toBe('America/Montreal');
    const etag = r.headers.etag as string;
    expect((await config(etag)).statusCode).toBe(304);
    const del = await f.app.inject({
      method: 'DELETE',
      url: `/v1/venues/${f.bar}/promotions/loyal`,
      headers: auth(barAdmin),
    });
    expect(del.statusCode).toBe(200);
    const after = await config(etag);
    expect(after.statusCode).toBe(200);
    expect(after.json().promotions.map((x: { id: string }) => x.id)).toEqual(['apero', 'coop-a']);
    // The other venue's gateway sees none of them.
    const cafe = await f.app.inject({
      method: 'GET',
      url: `/v1/sync/config?venueId=${f.cafe}`,
      headers: auth(f.cafeKey),
    });
    expect(cafe.json().promotions).toEqual([]);
    expect(cafe.json().venue.timeZone).toBeUndefined();
  });

  it('bad input and other venues are refused with a reason, and change nothing', async () => {
    const before = (
      await f.app.inject({ method: 'GET', url: `/v1/venues/${f.bar}/promotions`, headers: auth(barAdmin) })
    ).json();
    const cases: [string, string, string, unknown, number, string?][] = [
      [cafeAdmin, f.bar, 'x', { ...partner, id: 'x' }, 403, 'wrong-venue'],
      [auditor, f.bar, 'x', { ...partner, id: 'x' }, 403],
      ['tbs_nope', f.bar, 'x', { ...partner, id: 'x' }, 401],
      [barAdmin, f.bar, 'x', { ...partner, id: 'y' }, 400, 'id-mismatch'],
      [barAdmin, f.bar, 'x', { ...partner, id: 'x', pct: 0 }, 400, 'bad-request'],
      [barAdmin, f.bar, 'x', { ...partner, id: 'x', pct: 101 }, 400, 'bad-request'],
      [barAdmin, f.bar, 'x', { ...partner, id: 'x', extra: '<script>' }, 400, 'bad-request'],
      [barAdmin, f.bar, 'x', { id: 'x', name: 'X', kind: 'lottery' }, 400, 'bad-request'],
      [
        barAdmin,
        f.bar,
        'x',
        { ...happy, id: 'x', windows: [{ days: [0], from: '18:00', to: '19:00' }] },
        400,
        'bad-request',
      ],
      [
        barAdmin,
        f.bar,
        'x',
        { ...happy, id: 'x', windows: [{ days: [1], from: '25:00', to: '19:00' }] },
        400,
        'bad-request',
      ],
      [
        barAdmin,
        f.bar,
        'x',
        { ...happy, id: 'x', windows: [{ days: [1], from: '19:00', to: '19:00' }] },
        400,
        'bad-rule',
      ],
      [barAdmin, f.bar, 'x', { ...happy, id: 'x', prices: [{ sku: 'beer', price: -5 }] }, 400, 'bad-request'],
      [
        barAdmin,
        f.bar,
        'x',
        { ...happy, id: 'x', prices: [{ sku: 'beer', price: 2.5 }] },
        400,
        'bad-request',
      ],
      [barAdmin, f.bar, 'x', { ...loyal, id: 'x', bought: 'caviar' }, 400, 'unknown-sku'],
      [barAdmin, f.bar, 'bad id!', { ...partner, id: 'bad id!' }, 400, 'bad-request'],
    ];
    for (const [token, venue, id, body, status, error] of cases) {
      const r = await put(token, venue, encodeURIComponent(id), body);
      expect(r.statusCode, JSON.stringify(body)).toBe(status);
      if (error) expect(r.json().error).toBe(error);
    }
    const tz = await f.app.inject({
      method: 'PUT',
      url: `/v1/venues/${f.bar}/promotions-time-zone`,
      headers: auth(barAdmin),
      payload: { timeZone: 'Mars/Olympus_Mons' },
    });
    expect(tz.statusCode).toBe(400);
    expect(tz.json().error).toBe('bad-time-zone');
    const del = await f.app.inject({
      method: 'DELETE',
      url: `/v1/venues/${f.bar}/promotions/none`,
      headers: auth(barAdmin),
    });
    expect(del.statusCode).toBe(404);
    const cafeDel = await f.app.inject({
      method: 'DELETE',
      url: `/v1/venues/${f.bar}/promotions/apero`,
      headers: auth(cafeAdmin),
    });
    expect(cafeDel.statusCode).toBe(403);
    const after = (
      await f.app.inject({ method: 'GET', url: `/v1/venues/${f.bar}/promotions`, headers: auth(barAdmin) })
    ).json();
    expect(after).toEqual(before);
    await f.close();
  });
});
