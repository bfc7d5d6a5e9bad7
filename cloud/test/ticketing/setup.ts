// Shared setup of the ticketing suites: a fixture (two venues, their gateways), logged-in users,
// card wallets topped up through the sync API, an event factory and request helpers.
import type { LightMyRequestResponse } from 'fastify';
import { createUser, type Db } from '../../src/index.js';
import { auth, type Fixture, fixture, id, uid } from '../helpers/fixture.js';

export type Who = 'fed' | 'barAdmin' | 'barCashier' | 'cafeAdmin' | 'barGateway' | 'cafeGateway';

export interface TicketingCtx {
  f: Fixture;
  db: Db;
  tokens: Record<Who, string>;
  post(who: Who, url: string, payload?: object, idem?: string | null): Promise<LightMyRequestResponse>;
  get(who: Who | null, url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** A new card with `amount` EUR (minor units) on it. */
  card(amount?: number, venue?: string): Promise<string>;
  createEvent(body?: Partial<EventBody>, venue?: string): Promise<EventJson>;
  buy(
    card: string,
    event: EventJson,
    opts?: { category?: number; audience?: string; quantity?: number; who?: Who; idem?: string },
  ): Promise<LightMyRequestResponse>;
  scan(who: Who, scans: object[], venue?: string): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface EventBody {
  title: string;
  description: string;
  tags: string[];
  location: string;
  startsAt: string;
  endsAt: string;
  capacity: number | null;
  visibility: 'public' | 'private';
  refundUntilHours: number | null;
  validFrom: string;
  validUntil: string;
  categories: {
    name: string;
    capacity?: number | null;
    prices: { full: number; reduced?: number | null; member?: number | null };
  }[];
}

export interface EventJson {
  id: string;
  venueId: string;
  title: string;
  available: number | null;
  sold: number;
  status: string;
  categories: {
    id: string;
    no: number;
    name: string;
    sold: number;
    available: number | null;
    prices: Record<string, number | null>;
  }[];
}

const HOUR = 3600_000;
export const inHours = (h: number): string => new Date(Date.now() + h * HOUR).toISOString();

export async function ticketingContext(db: Db): Promise<TicketingCtx> {
  const f = await fixture(db);
  const tokens = { barGateway: f.barKey, cafeGateway: f.cafeKey } as Record<Who, string>;
  const users: [Who, 'federation_admin' | 'venue_admin' | 'cashier', string | null][] = [
    ['fed', 'federation_admin', null],
    ['barAdmin', 'venue_admin', f.bar],
    ['barCashier', 'cashier', f.bar],
    ['cafeAdmin', 'venue_admin', f.cafe],
  ];
  for (const [name, role, venueId] of users) {
    const email = `${name}-${f.fed}@example.org`;
    await createUser(db, { email, password: 'correct horse battery', role, venueId, federationId: f.fed });
    const r = await f.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email, password: 'correct horse battery' },
    });
    tokens[name] = r.json().token;
  }
  const post: TicketingCtx['post'] = (who, url, payload = {}, idem = id('idem')) =>
    f.app.inject({
      method: 'POST',
      url,
      headers: { ...auth(tokens[who]), ...(idem ? { 'idempotency-key': idem } : {}) },
      payload,
    });
  const get: TicketingCtx['get'] = (who, url, headers = {}) =>
    f.app.inject({ method: 'GET', url, headers: { ...(who ? auth(tokens[who]) : {}), ...headers } });
  const ctx: TicketingCtx = {
    f,
    db,
    tokens,
    post,
    get,
    async card(amount = 10_000, venue = f.bar) {
      const c = uid();
      const r = await f.app.inject({
        method: 'POST',
        url: '/v1/sync/batches',
        headers: auth(venue === f.bar ? f.barKey : f.cafeKey),
        payload: {
          batchId: id('b'),
          venueId: venue,
          items: [
            {
              id: id(),
              type: 'topup',
              cardUid: c,
              at: Date.now(),
              legs: [{ asset: 'EUR', amount }],
              funding: 'cash',
            },
          ],
        },
      });
      if (r.json().results[0].status !== 'applied') throw new Error(`top-up failed: ${r.body}`);
      return c;
    },
    async createEvent(body = {}, venue = f.bar) {
      const r = await post(venue === f.bar ? 'barAdmin' : 'cafeAdmin', `/v1/venues/${venue}/events`, {
        title: 'Concert',
        description: 'A night of music.',
        tags: ['music'],
        location: '1 rue de la Paix',
        startsAt: inHours(48),
        endsAt: inHours(52),
        categories: [
          { name: 'Standing', capacity: null, prices: { full: 1500, reduced: 1000, member: 800 } },
          { name: 'Seated', capacity: 5, prices: { full: 2500 } },
        ],
        ...body,
      });
      if (r.statusCode !== 201) throw new Error(`event creation failed: ${r.statusCode} ${r.body}`);
      return r.json();
    },
    buy(card, event, opts = {}) {
      const cat = event.categories[(opts.category ?? 1) - 1];
      return post(
        opts.who ?? 'barCashier',
        `/v1/venues/${event.venueId}/events/${event.id}/orders`,
        {
          cardUid: card,
          items: [{ categoryId: cat.id, audience: opts.audience ?? 'full', quantity: opts.quantity ?? 1 }],
        },
        opts.idem ?? id('idem'),
      );
    },
    scan(who, scans, venue = f.bar) {
      return post(who, `/v1/venues/${venue}/checkins`, { scans }, null);
    },
    close: () => f.close(),
  };
  return ctx;
}

export const balanceOf = async (db: Db, card: string, asset = 'EUR'): Promise<number> => {
  const { rows } = await db.query<{ b: string }>(
    'SELECT a.balance::text AS b FROM cards c JOIN accounts a ON a.wallet_id = c.wallet_id AND a.asset = $2 WHERE c.uid = $1',
    [card, asset],
  );
  return rows[0] ? Number(rows[0].b) : 0;
};
