// Venue-in-a-box: the cloud (PGlite in ./data, or --database-url), one gateway per venue (embedded
// aedes, or --mqtt-url), simulated terminals (the host firmware + PN532 simulator) tapping cards.
// First run seeds a federation (2 venues, menus, 50 cards with balances, a volunteer with time
// credit); later runs keep the data. Ctrl-C stops everything cleanly.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  createCloud,
  createFederation,
  createGateway as createGatewayKey,
  createUser,
  createVenue,
  migrate,
  openDb,
  walletPath,
} from '@tibillet/cloud';
import { createHostTerminal, type HostTerminal } from '@tibillet/firmware/host';
import { createGateway, type Gateway, type VenueConfig } from '@tibillet/gateway';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { startHttp } from '../gateway/src/http/server.js';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a non-negative integer');
  return n;
};

const program = new Command('npm start --')
  .description('TiBillet venue-in-a-box demo: cloud + venue gateways + simulated terminals')
  .option('--data-dir <dir>', 'where the cloud (PGlite) and the gateways keep their data', './data')
  .option('--terminals <n>', 'simulated terminals per venue', int, 3)
  .option('--tap-rate <n>', 'taps per minute per terminal (0 = none)', int, 20)
  .option('--cloud-port <port>', 'cloud HTTP port', int, 8080)
  .option('--http-port <port>', 'first gateway HTTP port (the second venue uses the next one)', int, 8081)
  .option('--mqtt-port <port>', 'first embedded broker port (next venue: +1)', int, 1884)
  .option('--database-url <url>', 'PostgreSQL instead of PGlite (env DATABASE_URL)', process.env.DATABASE_URL)
  .option(
    '--mqtt-url <url>',
    'an external broker (anonymous, e.g. mqtt://127.0.0.1:1883) for the first venue instead of aedes',
  )
  .parse();
const o = program.opts<{
  dataDir: string;
  terminals: number;
  tapRate: number;
  cloudPort: number;
  httpPort: number;
  mqttPort: number;
  databaseUrl?: string;
  mqttUrl?: string;
}>();

const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
const dataDir = resolve(o.dataDir);
mkdirSync(dataDir, { recursive: true });
const seedFile = join(dataDir, 'demo.json');

interface Seed {
  federation: string;
  admin: { email: string; password: string };
  venues: { id: string; apiKey: string; devices: { id: string; key: string; mode: 'cashier' | 'topup' }[] }[];
  cards: string[];
}

const VENUES = [
  { id: 'bar-la-scene', name: 'Bar La Scène' },
  { id: 'cafe-du-lien', name: 'Café du Lien' },
];
const MENU = [
  { sku: 'biere', label: 'Bière pression', price: 350, memberPrice: 300 },
  { sku: 'soda', label: 'Soda', price: 200 },
  { sku: 'cafe', label: 'Café', price: 150, memberPrice: 120 },
  { sku: 'assiette', label: 'Assiette', price: 900 },
];

console.log('starting the cloud…');
const db = await openDb(o.databaseUrl ? { databaseUrl: o.databaseUrl } : { dataDir: join(dataDir, 'cloud') });
await migrate(db);
const masterKeyFile = join(dataDir, 'master.key');
if (!existsSync(masterKeyFile))
  writeFileSync(masterKeyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
const masterKey = Buffer.from(readFileSync(masterKeyFile, 'utf8').trim(), 'hex');
const cloud = await createCloud({ db, masterKey, logger: false });
const cloudUrl = await cloud.app.listen({ port: o.cloudPort, host: '127.0.0.1' });

async function api(path: string, apiKey: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(`${cloudUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

let seed: Seed;
if (existsSync(seedFile)) seed = JSON.parse(readFileSync(seedFile, 'utf8')) as Seed;
else {
  console.log('first run: seeding a federation with 2 venues and 50 cards…');
  const federation = 'coop-demo';
  await createFederation(db, { id: federation, name: 'Coopérative démo', allowAnonymous: true });
  const admin = { email: 'admin@coop-demo.example', password: randomBytes(9).toString('base64url') };
  await createUser(db, {
    email: admin.email,
    password: admin.password,
    role: 'federation_admin',
    federationId: federation,
  });
  seed = {
    federation,
    admin,
    venues: [],
    cards: Array.from({ length: 50 }, (_, i) =>
      `04D3${(0x100000 + i).toString(16).toUpperCase()}A0B0`.slice(0, 14),
    ),
  };
  for (const v of VENUES) {
    await createVenue(db, { id: v.id, federationId: federation, name: v.name });
    const { apiKey } = await createGatewayKey(db, v.id);
    const devices: Seed['venues'][number]['devices'] = [];
    for (let i = 0; i < Math.max(2, o.terminals); i++) {
      const d = {
        id: `${v.id.split('-')[0]}-t${i + 1}`,
        key: randomBytes(16).toString('hex'),
        mode: i === 0 ? ('topup' as const) : ('cashier' as const),
      };
      await api('/v1/devices', apiKey, {
        deviceId: d.id,
        venueId: v.id,
        board: 'host-sim',
        firmware: '0.1.0',
        keyHex: d.key,
      });
      devices.push(d);
    }
    seed.venues.push({ id: v.id, apiKey, devices });
  }
  // Balances in several assets, written like a gateway would (cash top-ups at the bar).
  const bar = seed.venues[0];
  const items = seed.cards.flatMap((uid, i) => [
    {
      id: `seed-eur-${i}`,
      type: 'topup',
      cardUid: uid,
      at: Date.now(),
      legs: [{ asset: 'EUR', amount: 2000 + 100 * (i % 20) }],
      funding: 'cash',
    },
    ...(i % 3 === 0
      ? [
          {
            id: `seed-gift-${i}`,
            type: 'topup',
            cardUid: uid,
            at: Date.now(),
            legs: [{ asset: `GIFT:${bar.id}`, amount: 500 }],
            funding: 'cash',
          },
        ]
      : []),
  ]);
  const res = (await api('/v1/sync/batches', bar.apiKey, { batchId: 'seed-1', venueId: bar.id, items })) as {
    results: { status: string; reason?: string }[];
  };
  const refused = res.results.filter((r) => r.status === 'rejected');
  if (refused.length) console.warn(`seed: ${refused.length} items refused (${refused[0].reason})`);
  // A volunteer (the first card) earned 4 hours of time currency, credited by a venue admin.
  const session = (await api('/v1/auth/login', '', admin)) as { token: string };
  await api(
    `/v1/venues/${bar.id}/time-credits`,
    session.token,
    { cardUid: seed.cards[0], minutes: 240 },
    { 'idempotency-key': 'seed-time-0' },
  );
  // Events on the federated agenda: a concert at each venue in the coming days, and a workshop.
  const now = new Date();
  const day = (d: number, h: number) =>
    new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + d, h)).toISOString();
  const events = [
    {
      venue: seed.venues[0].id,
      title: 'Concert : Les Oiseaux de Nuit',
      tags: ['concert', 'rock'],
      at: day(3, 19),
      full: 1200,
      member: 900,
    },
    {
      venue: seed.venues[1].id,
      title: 'Atelier réparation vélo',
      tags: ['atelier'],
      at: day(5, 14),
      full: 500,
      member: 0,
    },
    {
      venue: seed.venues[1].id,
      title: 'Bal folk du jeudi',
      tags: ['bal', 'folk'],
      at: day(6, 20),
      full: 800,
      member: 600,
    },
  ];
  for (const e of events)
    await api(`/v1/venues/${e.venue}/events`, session.token, {
      title: e.title,
      tags: e.tags,
      startsAt: e.at,
      location: e.venue,
      categories: [
        {
          name: 'Entrée',
          capacity: 120,
          prices: { full: e.full, reduced: Math.round(e.full * 0.7), member: e.member },
        },
      ],
    });
  writeFileSync(seedFile, JSON.stringify(seed, null, 2), { mode: 0o600 });
}

const gateways: Gateway[] = [];
const https: { close(): Promise<unknown> }[] = [];
const terminals: HostTerminal[] = [];
for (const [i, v] of seed.venues.entries()) {
  const venue: Partial<VenueConfig> = {
    name: VENUES[i]?.name ?? v.id,
    pointsOfSale: [
      {
        id: 'bar',
        name: 'Bar',
        mode: 'cashier',
        devices: v.devices.filter((d) => d.mode === 'cashier').map((d) => d.id),
        products: MENU,
      },
      {
        id: 'caisse',
        name: 'Caisse',
        mode: 'topup',
        devices: v.devices.filter((d) => d.mode === 'topup').map((d) => d.id),
        products: [],
      },
    ],
  };
  const gw = await createGateway({
    venueId: v.id,
    dataDir: join(dataDir, 'gateway', v.id),
    mqttPort: o.mqttPort + i,
    mqttHost: '127.0.0.1',
    mqttUrl: i === 0 ? o.mqttUrl : undefined,
    cloudUrl,
    cloudApiKey: v.apiKey,
    logger: log.child({ venue: v.id }),
    venue,
  });
  gateways.push(gw);
  https.push(await startHttp(gw, { port: o.httpPort + i, host: '127.0.0.1' }));
  const mqttUrl = i === 0 && o.mqttUrl ? o.mqttUrl : `mqtt://127.0.0.1:${gw.brokerPort}`;
  for (const d of v.devices.slice(0, Math.max(2, o.terminals))) {
    terminals.push(
      await createHostTerminal({
        mqttUrl,
        venue: v.id,
        deviceId: d.id,
        keyHex: d.key,
        reader: 'sim',
        storagePath: join(dataDir, 'terminals', `${d.id}.json`),
        lang: 'fr',
      }),
    );
  }
}

const pick = <T>(a: T[]) => a[Math.floor(Math.random() * a.length)];
const timers: NodeJS.Timeout[] = [];
if (o.tapRate > 0) {
  for (const t of terminals) {
    timers.push(
      setInterval(
        () => {
          const mode = t.terminal.mode();
          if (mode === 'cashier')
            for (let k = 0; k < 1 + Math.floor(Math.random() * 3); k++)
              t.terminal.onButton(Math.random() < 0.5 ? 'next' : 'ok');
          if (mode === 'topup') return; // top-ups need an amount from the POS: left to you
          void t.tap(pick(seed.cards), 250).catch(() => {});
        },
        Math.round(60_000 / o.tapRate),
      ),
    );
  }
}

const [bar, cafe] = seed.venues;
console.log(`
TiBillet venue-in-a-box is running (data in ${dataDir}).
  Cloud API + OpenAPI docs   ${cloudUrl}/docs
  Federated agenda           ${cloudUrl}/agenda   (iCal: ${cloudUrl}/agenda.ics)
  Public log explorer        ${cloudUrl}/log   (API: ${cloudUrl}/v1/log/checkpoint)
  Wallet page (volunteer)    ${cloudUrl}${walletPath(masterKey, seed.cards[0])}
  ${bar.id} terminals        http://127.0.0.1:${o.httpPort}/status
  ${bar.id} cashier POS      http://127.0.0.1:${o.httpPort}/apps/pos/bar
  ${bar.id} kitchen display  http://127.0.0.1:${o.httpPort}/apps/kitchen
  ${cafe.id} terminals       http://127.0.0.1:${o.httpPort + 1}/status
  Metrics                    http://127.0.0.1:${o.httpPort}/metrics
  MQTT brokers               mqtt://127.0.0.1:${gateways[0].brokerPort ?? o.mqttUrl}, mqtt://127.0.0.1:${gateways[1]?.brokerPort}
  Federation admin           ${seed.admin.email} / ${seed.admin.password} (also in ${seedFile})
  Volunteer card (4 h TIME)  ${seed.cards[0]}
  ${terminals.length} simulated terminals tap ${seed.cards.length} cards (${o.tapRate}/min each). Ctrl-C to stop.
`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  console.log('stopping…');
  for (const t of timers) clearInterval(t);
  for (const t of terminals) await t.close().catch(() => {});
  for (const h of https) await h.close().catch(() => {});
  for (const g of gateways) await g.close().catch(() => {});
  await cloud.close();
  await db.close();
  console.log('stopped; data kept.');
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
