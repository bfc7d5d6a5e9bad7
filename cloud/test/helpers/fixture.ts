// A federation with two venues and one gateway each, on a given database, plus an app; and what the
// ledger suites do through it: staff logins and writes, sync items and batches, lease reads, log checks.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { buf, num } from '../../src/db/connect.js';
import type { Role } from '../../src/db/schema.js';
import {
  createCloud,
  createFederation,
  createGateway,
  createUser,
  createVenue,
  type Db,
} from '../../src/index.js';
import { chainHash, entryBytes } from '../../src/transparency/chain.js';

export interface Fixture {
  app: FastifyInstance;
  fed: string;
  bar: string;
  cafe: string;
  barKey: string;
  cafeKey: string;
  masterKey: Buffer;
  close(): Promise<void>;
}

let counter = 0;
export const uid = (): string => randomBytes(7).toString('hex').toUpperCase();
export const id = (p = 'it'): string =>
  `${p}-${Date.now().toString(36)}-${(counter++).toString(36)}-${randomBytes(3).toString('hex')}`;

export async function fixture(
  db: Db,
  opts: { allowAnonymous?: boolean; policy?: object } = {},
): Promise<Fixture> {
  const s = randomBytes(3).toString('hex');
  const fed = `fed-${s}`;
  const bar = `bar-${s}`;
  const cafe = `cafe-${s}`;
  await createFederation(db, { id: fed, name: 'Coop', allowAnonymous: opts.allowAnonymous ?? true });
  await createVenue(db, { id: bar, federationId: fed, name: 'Bar', policy: opts.policy ?? {} });
  await createVenue(db, { id: cafe, federationId: fed, name: 'Café' });
  const masterKey = randomBytes(32);
  const cloud = await createCloud({ db, masterKey });
  return {
    app: cloud.app,
    fed,
    bar,
    cafe,
    barKey: (await createGateway(db, bar)).apiKey,
    cafeKey: (await createGateway(db, cafe)).apiKey,
    masterKey,
    close: () => cloud.close(),
  };
}

export const auth = (key: string) => ({ authorization: `Bearer ${key}` });

export const STAFF_PASSWORD = 'correct horse battery';

/** A staff user created (in the fixture's federation unless another is named) and logged in: its token. */
export async function staffToken(
  db: Db,
  f: Fixture,
  u: { email: string; role: Role; venueId?: string | null; federationId?: string },
): Promise<string> {
  await createUser(db, {
    email: u.email,
    password: STAFF_PASSWORD,
    role: u.role,
    venueId: u.venueId ?? null,
    federationId: u.federationId ?? f.fed,
  });
  const r = await f.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: u.email, password: STAFF_PASSWORD },
  });
  return r.json().token;
}

/** Staff users created and logged in (emails unique to the fixture): their tokens by name. */
export async function staffTokens(
  db: Db,
  f: Fixture,
  users: [name: string, role: Role, venueId: string | null, federationId?: string][],
): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const [name, role, venueId, federationId] of users)
    tokens[name] = await staffToken(db, f, {
      email: `${name}-${f.fed}@example.org`,
      role,
      venueId,
      federationId,
    });
  return tokens;
}

/**
 * A write as `who` (a name in `tokens`, else a token itself), with a fresh Idempotency-Key unless
 * `key` is null.
 */
export const staffWrite = (
  f: Fixture,
  tokens: Record<string, string>,
  method: 'POST' | 'PUT' | 'DELETE',
  who: string,
  url: string,
  payload?: object,
  key: string | null = id('idem'),
) =>
  f.app.inject({
    method,
    url,
    headers: { ...auth(tokens[who] ?? who), ...(key ? { 'idempotency-key': key } : {}) },
    ...(payload ? { payload } : {}),
  });

export interface Leg {
  asset: string;
  amount: number;
}

/** A sync-batch top-up paid in cash. */
export const topup = (card: string, amount: number, asset = 'EUR') => ({
  id: id(),
  type: 'topup',
  cardUid: card,
  at: Date.now(),
  legs: [{ asset, amount }],
  funding: 'cash',
});

/** A sync-batch spend; `offline`: approved by a gateway cut off from the cloud (may overdraw). */
export const spend = (card: string, legs: Leg[], offline = false) => ({
  id: id(),
  type: 'spend',
  cardUid: card,
  at: Date.now(),
  legs,
  offline,
});

/** POST /v1/sync/batches as a gateway (the bar's by default): the per-item results. */
export async function syncBatch(f: Fixture, items: object[], key = f.barKey, venueId = f.bar) {
  const r = await f.app.inject({
    method: 'POST',
    url: '/v1/sync/batches',
    headers: auth(key),
    payload: { batchId: id('b'), venueId, items },
  });
  return r.json().results;
}

/** A card's balances by asset, as leased to the bar's gateway. */
export async function leaseBalances(f: Fixture, card: string): Promise<Record<string, number>> {
  const r = await f.app.inject({
    method: 'POST',
    url: '/v1/sync/leases',
    headers: auth(f.barKey),
    payload: { venueId: f.bar, cards: [card] },
  });
  return Object.fromEntries(
    r.json().leases[0].balances.map((b: { asset: string; amount: number }) => [b.asset, b.amount]),
  );
}

/**
 * A new card holding each kind of asset a refund treats apart: EUR 2000, the bar's LOC 500, GIFT
 * 300 and LOYAL 40, the café's LOC 200 (topped up at the café) and 90 minutes of TIME, credited by
 * the bar admin whose token is given.
 */
export async function cardWithEveryAsset(f: Fixture, barAdminToken: string): Promise<string> {
  const card = uid();
  await syncBatch(f, [
    topup(card, 2000),
    topup(card, 500, `LOC:${f.bar}`),
    topup(card, 300, `GIFT:${f.bar}`),
    topup(card, 40, `LOYAL:${f.bar}`),
  ]);
  await syncBatch(f, [topup(card, 200, `LOC:${f.cafe}`)], f.cafeKey, f.cafe);
  const time = await staffWrite(f, {}, 'POST', barAdminToken, `/v1/venues/${f.bar}/time-credits`, {
    cardUid: card,
    minutes: 90,
  });
  expect(time.statusCode).toBe(200);
  return card;
}

/** Recomputes every log entry from its transfer and checks seq contiguity and the hash chain. */
export async function verifyLog(db: Db): Promise<number> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT l.seq, l.entry_hash, l.chain_hash, t.idempotency_key, t.asset, t.debit, t.credit, t.amount, t.kind, t.at
     FROM log_entries l JOIN transfers t ON t.id = l.transfer_id ORDER BY l.seq`,
  );
  let prev: Uint8Array = new Uint8Array(32);
  rows.forEach((r, i) => {
    const seq = num(r.seq);
    if (seq !== i + 1) throw new Error(`log not contiguous at ${i + 1}: ${seq}`);
    const bytes = entryBytes({
      seq,
      id: r.idempotency_key as string,
      asset: r.asset as string,
      debit: `a${num(r.debit)}`,
      credit: `a${num(r.credit)}`,
      amount: num(r.amount),
      kind: r.kind as string,
      at: num(r.at),
    });
    const eh = createHash('sha256').update(bytes).digest();
    if (!eh.equals(buf(r.entry_hash))) throw new Error(`entry hash mismatch at ${seq}`);
    const ch = Buffer.from(chainHash(prev, eh));
    if (!ch.equals(buf(r.chain_hash))) throw new Error(`chain hash mismatch at ${seq}`);
    prev = ch;
  });
  const head = await db.query<{ seq: unknown; chain_hash: unknown }>('SELECT seq, chain_hash FROM log_head');
  if (num(head.rows[0].seq) !== rows.length) throw new Error('log head seq mismatch');
  if (rows.length && !buf(head.rows[0].chain_hash).equals(Buffer.from(prev)))
    throw new Error('log head hash mismatch');
  return rows.length;
}
