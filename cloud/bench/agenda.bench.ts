// agenda.filteredPageP99Ms: the federated agenda with 100,000 events on the machine's PostgreSQL
// (fresh schema; 50 venues, 2 ticket categories per event, 10 % private, a year of dates), one
// page (up to 200 events with their categories and line-ups, JSON) per request through the real
// route GET /v1/agenda, filtered by date range, venue, tag, distance, and all of them at once.
// Sequential requests (one client); p99 over every filtered request. Also reported:
//   agenda.filteredPageP50Ms        median of the same requests
//   agenda.htmlPageP99Ms            the HTML page /agenda (filters form included), same filters
//   agenda.healthP99Ms              GET /health the same way: the machine's noise floor
//   agenda.seedSeconds              time to seed (context, not a figure)
import { randomBytes } from 'node:crypto';
import PgClient from 'pg/lib/client.js';
import { createFederation, createVenue } from '../src/admin/setup.js';
import { buildApp } from '../src/app.js';
import { type Db, openPostgres } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';

const URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const EVENTS = Number(process.env.BENCH_AGENDA_EVENTS) || 100_000;
const VENUES = 50;
export const TAGS = [
  'jazz',
  'rock',
  'folk',
  'electro',
  'theatre',
  'dance',
  'cinema',
  'poetry',
  'kids',
  'workshop',
  'market',
  'talk',
  'punk',
  'metal',
  'classical',
  'world',
  'hiphop',
  'reggae',
  'blues',
  'chanson',
  'circus',
  'comedy',
  'expo',
  'games',
  'karaoke',
  'opera',
  'soul',
  'techno',
  'slam',
  'brunch',
];
const ROUNDS = Number(process.env.BENCH_AGENDA_ROUNDS) || 100;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** 50 venues and `events` events with 2 categories each, on a migrated database. */
export async function seedAgenda(db: Db, events = EVENTS): Promise<void> {
  await createFederation(db, { id: 'fed', name: 'Bench' });
  for (let v = 0; v < VENUES; v++)
    await createVenue(db, { id: `v${v}`, federationId: 'fed', name: `Venue ${v}` });
  // Deterministic spread: dates over 30 days past to 365 days ahead, points over mainland France.
  await db.query(
    `INSERT INTO ticket_events (id, venue_id, title, description, tags, location, latitude, longitude, starts_at, ends_at,
         capacity, sold, visibility, status, valid_from, valid_until)
       SELECT gen_random_uuid()::text, 'v' || (i % ${VENUES}), 'Event ' || i, 'Description of event ' || i,
         ARRAY[($1::text[])[(1 + i % 30)::int], ($1::text[])[(1 + (i * 7 + 3) % 30)::int]], 'Somewhere ' || i,
         43 + ((i * 7919) % 10007) / 10007.0 * 7, -1 + ((i * 104729) % 10009) / 10009.0 * 8,
         s, s + interval '3 hours', 200, 0, CASE WHEN i % 10 = 0 THEN 'private' ELSE 'public' END,
         CASE WHEN i % 50 = 0 THEN 'cancelled' ELSE 'scheduled' END, s - interval '6 hours', s + interval '5 hours'
       FROM generate_series(1, $2::bigint) AS i,
         LATERAL (SELECT now() - interval '30 days' + ((i * 2654435761::bigint) % (395 * 1440)) * interval '1 minute' AS s) d`,
    [TAGS, events],
  );
  for (const [no, name, full] of [
    [1, 'Standing', 1500],
    [2, 'Seated', 2500],
  ] as const)
    await db.query(
      `INSERT INTO ticket_categories (id, event_id, no, name, capacity, price_full, price_reduced)
         SELECT gen_random_uuid()::text, id, $1, $2, 100, $3::bigint, $3::bigint - 500 FROM ticket_events`,
      [no, name, full],
    );
  await db.query('ANALYZE');
}

export async function run(): Promise<Record<string, number>> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const db = await openPostgres(URL, { schema, poolSize: 4 });
  try {
    await migrate(db);
    const t0 = performance.now();
    await seedAgenda(db);
    const seedSeconds = (performance.now() - t0) / 1000;

    const app = await buildApp({ db, masterKey: randomBytes(32), rateLimits: false });
    await app.ready();
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const day = 86_400_000;
    const filters: (() => string)[] = [
      () => {
        const from = Date.now() + Math.floor(rnd() * 300) * day;
        return `from=${new Date(from).toISOString()}&to=${new Date(from + 7 * day).toISOString()}`;
      },
      () => `venue=v${Math.floor(rnd() * VENUES)}`,
      () => `tag=${TAGS[Math.floor(rnd() * TAGS.length)]}`,
      () => `near=${(43.5 + rnd() * 6).toFixed(4)},${(-0.5 + rnd() * 7).toFixed(4)}&km=30`,
      () => {
        const from = Date.now() + Math.floor(rnd() * 300) * day;
        return `tag=${TAGS[Math.floor(rnd() * TAGS.length)]}&from=${new Date(from).toISOString()}&to=${new Date(from + 30 * day).toISOString()}&near=${(43.5 + rnd() * 6).toFixed(4)},${(-0.5 + rnd() * 7).toFixed(4)}&km=100`;
      },
    ];
    const time = async (url: string): Promise<number> => {
      const s = performance.now();
      const r = await app.inject({ method: 'GET', url });
      const ms = performance.now() - s;
      if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 200)}`);
      return ms;
    };
    let returned = 0;
    for (let i = 0; i < 20; i++) await time(`/v1/agenda?${filters[i % filters.length]()}`);
    const json: number[] = [];
    const html: number[] = [];
    for (let i = 0; i < ROUNDS; i++)
      for (const f of filters) {
        const qs = f().replace(/:/g, '%3A');
        json.push(await time(`/v1/agenda?${qs}`));
        html.push(await time(`/agenda?${qs}`));
      }
    // Noise reference for a shared machine: the same client on the cheapest route.
    const baseline: number[] = [];
    for (let i = 0; i < ROUNDS * filters.length; i++) baseline.push(await time('/health'));
    const sample = await app.inject({ method: 'GET', url: `/v1/agenda?tag=jazz` });
    returned = sample.json().events.length;
    if (returned !== 200) throw new Error(`a tag page should be full (200 events), got ${returned}`);
    await app.close();
    return {
      'agenda.filteredPageP99Ms': Number(pct(json, 99).toFixed(2)),
      'agenda.filteredPageP50Ms': Number(pct(json, 50).toFixed(2)),
      'agenda.htmlPageP99Ms': Number(pct(html, 99).toFixed(2)),
      'agenda.healthP99Ms': Number(pct(baseline, 99).toFixed(2)),
      'agenda.events': EVENTS,
      'agenda.seedSeconds': Number(seedSeconds.toFixed(1)),
    };
  } finally {
    await db.close();
    const c = new PgClient(URL);
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  }
}
