// Transparency log API (public, read-only except checkpoint signing and witness cosigning):
//   GET  /v1/log/checkpoint                      latest signed checkpoint (+ witness cosignatures)
//   GET  /v1/log/checkpoints?from&limit          signed checkpoints in tree-size order
//   GET  /v1/log/checkpoints/:size               one checkpoint
//   POST /v1/log/checkpoints                     sign now (any authenticated principal)
//   POST /v1/log/witnesses                       a gateway registers its Ed25519 witness key
//   POST /v1/log/checkpoints/:size/cosign        a gateway co-signs a checkpoint
//   GET  /v1/log/entries?start&end               entries [start, end) by leaf index, ≤ 1000
//   GET  /v1/log/proof/inclusion?index&treeSize  RFC 6962 audit path
//   GET  /v1/log/proof/consistency?first&second  RFC 6962 consistency proof
//   GET  /v1/log/meta                            origin, log keys, witness keys, system accounts
//   GET  /v1/log/export                          everything above in one JSON document
//   GET  /v1/log/cards/:uid                      a card's pseudonymous account ids (staff/auditor)
// Leaves are the entries' canonical bytes (chain.ts entryBytes); Merkle code in merkle.ts.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { requireAuth } from '../api/auth.js';
import { errorSchema, UID } from '../api/schemas.js';
import { buf, type Db, num, type Queryable } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';
import { EXPORT_FORMAT } from '../verify/verify.js';
import type { SignedCheckpoint } from './checkpoint.js';
import { type CheckpointService, MAX_ENTRIES_PER_PAGE, readEntries } from './log-store.js';

export { EXPORT_FORMAT };

export interface LogMeta {
  origin: string;
  size: number;
  logKeys: { keyId: string; publicKey: string; active: boolean }[];
  witnesses: { keyId: string; venueId: string; gatewayId: string; publicKey: string }[];
  /** System accounts (the only ones allowed to hold a non-zero balance without a wallet). */
  systemAccounts: { account: string; system: string; asset: string; allowNegative: boolean }[];
}

export async function logMeta(q: Queryable, service: CheckpointService): Promise<LogMeta> {
  const key = await service.logKey();
  // Size first: every account an entry up to `size` touches exists by then and is listed below.
  const size = await q.query<{ seq: unknown }>('SELECT seq FROM log_head WHERE id = 1');
  const keys = await q.query<{ id: string; public_key: unknown; active: boolean }>(
    'SELECT id, public_key, active FROM log_keys ORDER BY created_at',
  );
  const wit = await q.query<{ key_id: string; venue_id: string; gateway_id: string; public_key: unknown }>(
    'SELECT key_id, venue_id, gateway_id, public_key FROM witnesses ORDER BY key_id',
  );
  const sys = await q.query<{ id: unknown; system: string; asset: string; allow_negative: boolean }>(
    'SELECT id, system, asset, allow_negative FROM accounts WHERE system IS NOT NULL ORDER BY id',
  );
  return {
    origin: key.origin,
    size: num(size.rows[0]?.seq ?? 0),
    logKeys: keys.rows.map((k) => ({
      keyId: k.id,
      publicKey: buf(k.public_key).toString('hex'),
      active: k.active,
    })),
    witnesses: wit.rows.map((w) => ({
      keyId: w.key_id,
      venueId: w.venue_id,
      gatewayId: w.gateway_id,
      publicKey: buf(w.public_key).toString('hex'),
    })),
    systemAccounts: sys.rows.map((s) => ({
      account: `a${num(s.id)}`,
      system: s.system,
      asset: s.asset,
      allowNegative: s.allow_negative,
    })),
  };
}

/** Pseudonymous account ids of a card's wallet and of the anonymous wallets merged into it. */
export async function cardAccounts(
  q: Queryable,
  federationId: string,
  uid: string,
): Promise<string[] | null> {
  const card = await q.query<{ wallet_id: unknown }>(
    'SELECT wallet_id FROM cards WHERE uid = $1 AND federation_id = $2',
    [uid, federationId],
  );
  if (!card.rows[0]) return null;
  if (card.rows[0].wallet_id === null) return [];
  const w = num(card.rows[0].wallet_id);
  const { rows } = await q.query<{ id: unknown }>(
    'SELECT id FROM accounts WHERE wallet_id = $1 OR wallet_id IN (SELECT id FROM wallets WHERE merged_into = $1) ORDER BY id',
    [w],
  );
  return rows.map((r) => `a${num(r.id)}`);
}

/**
 * Streams the whole log as one JSON document (checkpoints first, then entries), one entry per line:
 * any JSON reader takes it whole, and tibillet-verify reads a log too large for that line by line
 * (verify/read-export.ts).
 */
export async function* exportLog(
  db: Db,
  service: CheckpointService,
  extra: { cards?: Record<string, string[]> } = {},
): AsyncGenerator<string> {
  const latest = (await service.latest()) ?? (await service.signNow());
  const meta = await logMeta(db, service);
  const size = Math.max(latest.treeSize, meta.size);
  const checkpoints: SignedCheckpoint[] = [];
  for (let from = 0; ; ) {
    const page = await service.list(from, 1000);
    checkpoints.push(...page);
    if (page.length < 1000) break;
    from = page[page.length - 1].treeSize + 1;
  }
  const head = {
    format: EXPORT_FORMAT,
    exportedAt: Date.now(),
    ...meta,
    size,
    checkpoints,
    ...(extra.cards ? { cards: extra.cards } : {}),
  };
  const json = JSON.stringify(head);
  yield `${json.slice(0, -1)},"entries":[`;
  for (let start = 0; start < size; start += 10_000) {
    const entries = await readEntries(db, start, Math.min(size, start + 10_000));
    let text = '';
    for (let i = 0; i < entries.length; i++) text += `${start + i ? ',' : ''}\n${JSON.stringify(entries[i])}`;
    yield text;
  }
  yield '\n]}\n';
}

const HEX32 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const HEX64 = { type: 'string', pattern: '^[0-9a-fA-F]{128}$' } as const;
/** Query strings are not coerced (coerceTypes: false): sizes arrive as decimal strings. */
const SIZE = { type: 'string', pattern: '^[0-9]{1,15}$' } as const;
const ints = <K extends string>(q: unknown, ...keys: K[]): Record<K, number> =>
  Object.fromEntries(keys.map((k) => [k, Number((q as Record<string, string>)[k])])) as Record<K, number>;

const cosignatureSchema = {
  type: 'object',
  properties: {
    keyId: { type: 'string' },
    venueId: { type: 'string' },
    publicKey: { type: 'string' },
    timestamp: { type: 'integer' },
    signature: { type: 'string' },
  },
} as const;
export const checkpointSchema = {
  type: 'object',
  properties: {
    origin: { type: 'string' },
    treeSize: { type: 'integer' },
    rootHash: { type: 'string' },
    timestamp: { type: 'integer' },
    keyId: { type: 'string' },
    signature: { type: 'string' },
    body: { type: 'string' },
    cosignatures: { type: 'array', items: cosignatureSchema },
  },
} as const;
const entrySchema = {
  type: 'object',
  properties: {
    index: { type: 'integer' },
    seq: { type: 'integer' },
    id: { type: 'string' },
    asset: { type: 'string' },
    debit: { type: 'string' },
    credit: { type: 'string' },
    amount: { type: 'integer' },
    kind: { type: 'string' },
    at: { type: 'integer' },
    entryHash: { type: 'string' },
    chainHash: { type: 'string' },
  },
} as const;

export interface LogRoutesOptions {
  db: Db;
  service: CheckpointService;
}

export const logRoutes: FastifyPluginAsync<LogRoutesOptions> = async (
  app: FastifyInstance,
  { db, service },
) => {
  const log = service.log;
  const anyone = requireAuth(db, {
    gateway: true,
    roles: ['federation_admin', 'venue_admin', 'cashier', 'auditor'],
  });
  const gatewayOnly = requireAuth(db, { gateway: true });
  const tags = ['transparency'];

  app.get(
    '/v1/log/checkpoint',
    {
      schema: {
        tags,
        security: [],
        summary: 'Latest signed checkpoint with witness cosignatures',
        response: { 200: checkpointSchema },
      },
    },
    async () => (await service.latest()) ?? (await service.signNow()),
  );

  app.get(
    '/v1/log/checkpoints',
    {
      schema: {
        tags,
        security: [],
        summary: 'Signed checkpoints in tree-size order',
        querystring: { type: 'object', additionalProperties: false, properties: { from: SIZE, limit: SIZE } },
        response: {
          200: { type: 'object', properties: { checkpoints: { type: 'array', items: checkpointSchema } } },
        },
      },
    },
    async (req) => {
      const q = req.query as { from?: string; limit?: string };
      const limit = q.limit === undefined ? 1000 : Number(q.limit);
      if (limit < 1 || limit > 1000) throw new LedgerError('bad-limit', 'limit must be 1..1000', 400);
      return { checkpoints: await service.list(q.from === undefined ? 0 : Number(q.from), limit) };
    },
  );

  app.get(
    '/v1/log/checkpoints/:size',
    {
      schema: {
        tags,
        security: [],
        params: { type: 'object', properties: { size: { type: 'string', pattern: '^[0-9]{1,16}$' } } },
        response: { 200: checkpointSchema, ...errorSchema },
      },
    },
    async (req) => {
      const size = Number((req.params as { size: string }).size);
      const cp = await service.get(size);
      if (!cp) throw new LedgerError('unknown-checkpoint', `no checkpoint of size ${size}`, 404);
      return cp;
    },
  );

  app.post(
    '/v1/log/checkpoints',
    {
      preHandler: anyone,
      schema: {
        tags,
        summary: 'Sign a checkpoint of the current tree now',
        response: { 200: checkpointSchema, ...errorSchema },
      },
    },
    async () => service.signNow(),
  );

  app.post(
    '/v1/log/witnesses',
    {
      preHandler: gatewayOnly,
      schema: {
        tags,
        summary: 'Register this gateway\u2019s Ed25519 witness public key',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['publicKey'],
          properties: { publicKey: HEX32 },
        },
        response: { 200: { type: 'object', properties: { keyId: { type: 'string' } } }, ...errorSchema },
      },
    },
    async (req) => {
      const p = req.principal!;
      if (p.type !== 'gateway') throw new LedgerError('forbidden', 'gateways only', 403);
      return service.registerWitness(p.gatewayId, p.venueId, (req.body as { publicKey: string }).publicKey);
    },
  );

  app.post(
    '/v1/log/checkpoints/:size/cosign',
    {
      preHandler: gatewayOnly,
      schema: {
        tags,
        summary:
          'Witness cosignature of a checkpoint (Ed25519 over "tibillet-cosignature/v1\\ntime <ms>\\n" + checkpoint body)',
        params: { type: 'object', properties: { size: { type: 'string', pattern: '^[0-9]{1,16}$' } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['keyId', 'timestamp', 'signature'],
          properties: {
            keyId: { type: 'string', pattern: '^[0-9a-f]{16}$' },
            timestamp: { type: 'integer', minimum: 0 },
            signature: HEX64,
          },
        },
        response: { 200: checkpointSchema, ...errorSchema },
      },
    },
    async (req) => {
      const p = req.principal!;
      if (p.type !== 'gateway') throw new LedgerError('forbidden', 'gateways only', 403);
      const size = Number((req.params as { size: string }).size);
      const b = req.body as { keyId: string; timestamp: number; signature: string };
      return service.cosign(size, p.gatewayId, { ...b, signature: b.signature.toLowerCase() });
    },
  );

  app.get(
    '/v1/log/entries',
    {
      schema: {
        tags,
        security: [],
        summary: `Log entries [start, end) by leaf index (seq − 1), at most ${MAX_ENTRIES_PER_PAGE}`,
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['start', 'end'],
          properties: { start: SIZE, end: SIZE },
        },
        response: {
          200: { type: 'object', properties: { entries: { type: 'array', items: entrySchema } } },
          ...errorSchema,
        },
      },
    },
    async (req) => {
      const { start, end } = ints(req.query, 'start', 'end');
      if (end < start) throw new LedgerError('bad-range', 'end < start', 400);
      if (end - start > MAX_ENTRIES_PER_PAGE)
        throw new LedgerError('range-too-large', `at most ${MAX_ENTRIES_PER_PAGE} entries per request`, 400);
      return { entries: await readEntries(db, start, end) };
    },
  );

  app.get(
    '/v1/log/proof/inclusion',
    {
      schema: {
        tags,
        security: [],
        summary: 'RFC 6962 inclusion proof (audit path) of leaf `index` in the tree of `treeSize`',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['index', 'treeSize'],
          properties: { index: SIZE, treeSize: SIZE },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              index: { type: 'integer' },
              treeSize: { type: 'integer' },
              leafHash: { type: 'string' },
              rootHash: { type: 'string' },
              proof: { type: 'array', items: { type: 'string' } },
            },
          },
          ...errorSchema,
        },
      },
    },
    async (req) => {
      const { index, treeSize } = ints(req.query, 'index', 'treeSize');
      const p = await log.inclusion(index, treeSize);
      return {
        index,
        treeSize,
        leafHash: p.leafHash.toString('hex'),
        rootHash: p.rootHash.toString('hex'),
        proof: p.proof.map((h) => h.toString('hex')),
      };
    },
  );

  app.get(
    '/v1/log/proof/consistency',
    {
      schema: {
        tags,
        security: [],
        summary: 'RFC 6962 consistency proof between tree sizes first ≤ second',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['first', 'second'],
          properties: { first: SIZE, second: SIZE },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              first: { type: 'integer' },
              second: { type: 'integer' },
              firstRoot: { type: 'string' },
              secondRoot: { type: 'string' },
              proof: { type: 'array', items: { type: 'string' } },
            },
          },
          ...errorSchema,
        },
      },
    },
    async (req) => {
      const { first, second } = ints(req.query, 'first', 'second');
      const c = await log.consistency(first, second);
      return {
        first,
        second,
        firstRoot: c.firstRoot.toString('hex'),
        secondRoot: c.secondRoot.toString('hex'),
        proof: c.proof.map((h) => h.toString('hex')),
      };
    },
  );

  app.get(
    '/v1/log/meta',
    {
      schema: {
        tags,
        security: [],
        summary: 'Origin, log keys, witness keys and system accounts (for verifiers)',
      },
    },
    async () => logMeta(db, service),
  );

  app.get(
    '/v1/log/export',
    {
      schema: { tags, security: [], summary: 'The whole log as one JSON document (tibillet-log-export/v1)' },
    },
    async (_req, reply) => {
      reply.header('content-type', 'application/json; charset=utf-8');
      return reply.send(Readable.from(exportLog(db, service)));
    },
  );

  app.get(
    '/v1/log/cards/:uid',
    {
      preHandler: anyone,
      schema: {
        tags,
        summary: 'A card\u2019s pseudonymous account ids, to pick its history out of the log',
        params: { type: 'object', properties: { uid: UID } },
        response: {
          200: {
            type: 'object',
            properties: {
              cardUid: { type: 'string' },
              accounts: { type: 'array', items: { type: 'string' } },
            },
          },
          ...errorSchema,
        },
      },
    },
    async (req) => {
      const { uid } = req.params as { uid: string };
      const p = req.principal!;
      const accounts = await cardAccounts(db, p.federationId, uid);
      if (!accounts) throw new LedgerError('unknown-card', `card ${uid} unknown`, 404);
      return { cardUid: uid, accounts };
    },
  );
};
