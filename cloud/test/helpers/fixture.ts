// A federation with two venues and one gateway each, on a given database, plus an app.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
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
