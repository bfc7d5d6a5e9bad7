// Server side of the transparency log: an in-memory Merkle tree (merkle.ts MerkleLog, holding
// blocks of 32 leaves and up: ~32 MB for 10,000,000 entries, not ~1 GB) kept in
// step with the transfers' log entries (any process may append; appends are serialised by log_head, so the
// committed entries are always a contiguous prefix), the sealed Ed25519 log key, signed
// checkpoints and witness cosignatures.
import { hash } from 'node:crypto';
import { buf, type Db, num, type Queryable } from '../db/connect.js';
import { entryJson } from '../ledger/log-append.js';
import { LedgerError } from '../ledger/types.js';
import { everyInterval, type Rounds } from '../util/rounds.js';
import { open, seal } from '../util/secrets.js';
import type { PublicLogEntry } from './chain.js';
import {
  type CheckpointBody,
  type Cosignature,
  checkpointMessage,
  checkpointText,
  type SignedCheckpoint,
  verifyCosignature,
} from './checkpoint.js';
import { generateKeyPair, keyIdOf, publicKeyOf, sign } from './ed25519.js';
import { MerkleLog, rootOfLeafHashes } from './merkle.js';

export const MAX_ENTRIES_PER_PAGE = 1000;
const SYNC_PAGE = 5_000;
const SYNC_SLICE = 2_000;

interface EntryRowDb {
  seq: unknown;
  idempotency_key: string;
  asset: string;
  debit: unknown;
  credit: unknown;
  amount: unknown;
  kind: string;
  at: unknown;
  entry_hash: unknown;
  chain_hash: unknown;
}

/** A transfer row is its log entry (seq = transfer id). */
const ENTRY_SELECT = `SELECT t.id AS seq, t.idempotency_key, t.asset, t.debit, t.credit, t.amount, t.kind, t.at, t.entry_hash, t.chain_hash
  FROM transfers t`;

function toEntry(r: EntryRowDb): PublicLogEntry {
  const seq = num(r.seq);
  return {
    index: seq - 1,
    seq,
    id: r.idempotency_key,
    asset: r.asset,
    debit: `a${num(r.debit)}`,
    credit: `a${num(r.credit)}`,
    amount: num(r.amount),
    kind: r.kind,
    at: num(r.at),
    entryHash: buf(r.entry_hash).toString('hex'),
    chainHash: buf(r.chain_hash).toString('hex'),
  };
}

/** Entries [start, end) by leaf index (seq − 1). */
export async function readEntries(q: Queryable, start: number, end: number): Promise<PublicLogEntry[]> {
  if (end <= start) return [];
  const { rows } = await q.query<EntryRowDb>(`${ENTRY_SELECT} WHERE t.id > $1 AND t.id <= $2 ORDER BY t.id`, [
    start,
    end,
  ]);
  return rows.map(toEntry);
}

export async function logSize(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ seq: unknown }>('SELECT seq FROM log_head WHERE id = 1');
  return rows[0] ? num(rows[0].seq) : 0;
}

/**
 * Subtrees below 2^BLOCK_LEVEL leaves are not kept in memory (merkle.ts `dropBelow`): a proof
 * into an older block reads that block's 32 entries back (one primary-key range) and checks them
 * against the block hash it holds.
 */
export const BLOCK_LEVEL = 5;
const BLOCK = 2 ** BLOCK_LEVEL;
const BLOCKS_PAGE = 50_000;

export class TransparencyLog {
  private readonly tree = new MerkleLog({ dropBelow: BLOCK_LEVEL });
  private chain: Promise<number> = Promise.resolve(0);
  /** Blocks whose hash is stored (loaded, or saved by this process): the next save starts here. */
  private savedBlocks = 0;

  constructor(private readonly db: Queryable) {}

  get size(): number {
    return this.tree.size;
  }

  /** Appends every committed entry not in the tree yet; returns the tree size. Calls are serialised. */
  sync(): Promise<number> {
    const next = this.chain.catch(() => 0).then(() => this.pull());
    this.chain = next;
    return next;
  }

  private async pull(): Promise<number> {
    if (this.tree.size === 0) await this.loadBlocks();
    for (;;) {
      const from = this.tree.size;
      const { rows } = await this.db.query<LeafRowDb>(
        `${LEAF_SELECT} WHERE id > $1 ORDER BY id LIMIT ${SYNC_PAGE}`,
        [from],
      );
      const hashes: Buffer[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const seq = num(rows[i].id);
        if (seq !== from + i + 1)
          throw new Error(`log not contiguous: expected seq ${from + i + 1}, found ${seq}`);
        hashes[i] = leafOf(rows[i]);
        // A cold start hashes the whole log: let requests in between slices (~20 ms each).
        if (i % SYNC_SLICE === SYNC_SLICE - 1) await new Promise((r) => setImmediate(r));
      }
      this.tree.appendLeafHashes(hashes);
      await this.saveBlocks();
      if (rows.length < SYNC_PAGE) return this.tree.size;
    }
  }

  /**
   * A (re)start: the tree from the stored hashes of complete blocks, up to the log's committed
   * size and the first block missing; the entries after them are hashed by pull as before.
   */
  private async loadBlocks(): Promise<void> {
    const whole = Math.floor((await logSize(this.db)) / BLOCK);
    for (;;) {
      const next = this.tree.size / BLOCK;
      if (next >= whole) return;
      const { rows } = await this.db.query<{ block: unknown; hash: unknown }>(
        `SELECT block, hash FROM log_blocks WHERE block >= $1 AND block < $2 ORDER BY block LIMIT ${BLOCKS_PAGE}`,
        [next, whole],
      );
      const hashes: Buffer[] = [];
      for (const r of rows) {
        if (num(r.block) !== next + hashes.length) break; // a gap: the rest from the entries
        hashes.push(buf(r.hash));
      }
      this.tree.appendBlockHashes(hashes);
      this.savedBlocks = this.tree.size / BLOCK;
      if (hashes.length < BLOCKS_PAGE) return;
    }
  }

  /**
   * Stores the hashes of the blocks completed since the last save (a save that failed is retried
   * by the next pull: the tree keeps the leaves it appended either way).
   */
  private async saveBlocks(): Promise<void> {
    const blocks: number[] = [];
    for (let b = this.savedBlocks; (b + 1) * BLOCK <= this.tree.size; b++) blocks.push(b);
    if (!blocks.length) return;
    await this.db.query(
      `INSERT INTO log_blocks (block, hash) SELECT b, decode(h, 'hex') FROM unnest($1::int8[], $2::text[]) u(b, h)
       ON CONFLICT DO NOTHING`,
      [blocks, blocks.map((b) => this.tree.blockHash(b).toString('hex'))],
    );
    this.savedBlocks = blocks[blocks.length - 1] + 1;
  }

  /** Makes sure the tree covers `size` entries (syncing if needed). */
  async ensure(size: number): Promise<void> {
    if (size <= this.tree.size) return;
    const now = await this.sync();
    if (size > now)
      throw new LedgerError('beyond-log', `tree size ${size} is beyond the log (${now} entries)`, 400);
  }

  /** Root of the tree of the first `size` entries (`size` ≤ the tree's size). */
  rootHash(size: number): Promise<Buffer> {
    return this.held((t) => t.rootHash(size));
  }

  /** An inclusion proof with the leaf's hash and the root it proves against: one read of a block. */
  async inclusion(
    index: number,
    treeSize: number,
  ): Promise<{ leafHash: Buffer; rootHash: Buffer; proof: Buffer[] }> {
    await this.ensure(treeSize);
    if (index >= treeSize)
      throw new LedgerError('bad-index', `index ${index} not in a tree of ${treeSize}`, 400);
    return this.held((t) => ({
      leafHash: t.subtreeHash(index, 1),
      rootHash: t.rootHash(treeSize),
      proof: t.inclusionProof(index, treeSize),
    }));
  }

  /** A consistency proof with both roots, computed in one pass over the blocks it needs. */
  async consistency(
    first: number,
    second: number,
  ): Promise<{ firstRoot: Buffer; secondRoot: Buffer; proof: Buffer[] }> {
    await this.ensure(second);
    if (first > second) throw new LedgerError('bad-sizes', `first ${first} > second ${second}`, 400);
    return this.held((t) => ({
      firstRoot: t.rootHash(first),
      secondRoot: t.rootHash(second),
      proof: t.consistencyProof(first, second),
    }));
  }

  /** Runs fn on the tree with the blocks it reaches into read back (retried if the tree grew). */
  private async held<T>(fn: (tree: MerkleLog) => T): Promise<T> {
    const read = new Map<number, Buffer[]>();
    for (let round = 0; round < 8; round++) {
      const r = this.tree.withBlocks((b) => read.get(b), fn);
      if ('value' in r) return r.value;
      for (const b of r.missing) read.set(b, await this.readBlock(b));
    }
    throw new Error('the transparency log kept growing under a proof');
  }

  /** Leaf hashes of complete block `block`, read back and checked against the tree. */
  private async readBlock(block: number): Promise<Buffer[]> {
    const { rows } = await this.db.query<LeafRowDb>(`${LEAF_SELECT} WHERE id > $1 AND id <= $2 ORDER BY id`, [
      block * BLOCK,
      (block + 1) * BLOCK,
    ]);
    const leaves = rows.map(leafOf);
    const ok =
      rows.length === BLOCK &&
      rows.every((r, i) => num(r.id) === block * BLOCK + i + 1) &&
      rootOfLeafHashes(leaves).equals(this.tree.blockHash(block));
    if (!ok)
      throw new LedgerError(
        'log-inconsistent',
        `log entries ${block * BLOCK + 1}..${(block + 1) * BLOCK} no longer match the tree built from them`,
        500,
      );
    return leaves;
  }
}

/** What a leaf hash is computed from: the entry's fields, not its stored hashes. */
const LEAF_SELECT = 'SELECT id, idempotency_key, debit, credit, asset, amount, kind, at FROM transfers';

/**
 * SHA-256(0x00 ‖ entry bytes), the entry written as the ingest writes it (ledger/log-append.ts
 * entryJson, byte-identical to entryBytes): no entry object, encoder or Hash object per leaf, so a
 * cold start hashes the log faster and a proof reading its block back stays under a millisecond.
 */
function leafOf(r: LeafRowDb): Buffer {
  const json = entryJson({
    seq: num(r.id),
    idempotencyKey: r.idempotency_key,
    debit: num(r.debit),
    credit: num(r.credit),
    asset: r.asset,
    amount: num(r.amount),
    kind: r.kind,
    at: num(r.at),
  });
  return hash('sha256', `\u0000${json}`, 'buffer');
}

interface LeafRowDb {
  id: unknown;
  idempotency_key: string;
  debit: unknown;
  credit: unknown;
  asset: string;
  amount: unknown;
  kind: string;
  at: unknown;
}

export interface LogKey {
  id: string;
  origin: string;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** Loads the active log key, creating (and sealing) one on first use. Safe across processes. */
export async function loadLogKey(db: Db, masterKey: Buffer, origin: string): Promise<LogKey> {
  return db.tx(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('tibillet-log-key'))");
    const { rows } = await tx.query<{ id: string; origin: string; public_key: unknown; secret_enc: unknown }>(
      'SELECT id, origin, public_key, secret_enc FROM log_keys WHERE active ORDER BY created_at DESC LIMIT 1',
    );
    if (rows[0]) {
      const r = rows[0];
      let secretKey: Uint8Array;
      try {
        secretKey = new Uint8Array(open(masterKey, buf(r.secret_enc), `logkey:${r.id}`));
      } catch {
        throw new Error('cannot unseal the log key: wrong master key');
      }
      const publicKey = new Uint8Array(buf(r.public_key));
      if (!Buffer.from(publicKeyOf(secretKey)).equals(Buffer.from(publicKey)))
        throw new Error('log key does not match its public key');
      return { id: r.id, origin: r.origin, publicKey, secretKey };
    }
    const kp = generateKeyPair();
    const id = keyIdOf(kp.publicKey);
    await tx.query('INSERT INTO log_keys (id, origin, public_key, secret_enc) VALUES ($1, $2, $3, $4)', [
      id,
      origin,
      Buffer.from(kp.publicKey),
      seal(masterKey, kp.secretKey, `logkey:${id}`),
    ]);
    return { id, origin, ...kp };
  });
}

interface CheckpointRowDb {
  tree_size: unknown;
  root_hash: unknown;
  timestamp: unknown;
  key_id: string;
  signature: unknown;
}

export interface CheckpointServiceOptions {
  masterKey: Buffer;
  origin: string;
}

export class CheckpointService {
  private key: Promise<LogKey> | null = null;
  private job: Rounds | null = null;
  private signing: Promise<SignedCheckpoint> | null = null;

  constructor(
    private readonly db: Db,
    readonly log: TransparencyLog,
    private readonly opts: CheckpointServiceOptions,
  ) {}

  logKey(): Promise<LogKey> {
    this.key ??= loadLogKey(this.db, this.opts.masterKey, this.opts.origin).catch((err) => {
      this.key = null;
      throw err;
    });
    return this.key;
  }

  /** Signs the current tree unless a checkpoint of that size exists; returns the latest checkpoint. */
  signNow(): Promise<SignedCheckpoint> {
    // One signing at a time per process; other processes are settled by the primary key.
    this.signing ??= this.doSign().finally(() => {
      this.signing = null;
    });
    return this.signing;
  }

  private async doSign(): Promise<SignedCheckpoint> {
    const key = await this.logKey();
    const size = await this.log.sync();
    const prev = await this.latestRow();
    if (prev) {
      const prevSize = num(prev.tree_size);
      if (prevSize > size)
        throw new LedgerError('log-shrank', `log has ${size} entries, checkpoint ${prevSize} exists`, 500);
      // Refuse to sign a tree that does not extend the last signed one (history rewritten).
      if (!(await this.log.rootHash(prevSize)).equals(buf(prev.root_hash)))
        throw new LedgerError('log-inconsistent', `the log no longer matches checkpoint ${prevSize}`, 500);
      if (prevSize === size) return this.assemble(prev);
    }
    const body: CheckpointBody = {
      origin: key.origin,
      treeSize: size,
      rootHash: (await this.log.rootHash(size)).toString('hex'),
      timestamp: Math.max(Date.now(), prev ? num(prev.timestamp) : 0),
    };
    const signature = sign(checkpointMessage(body), key.secretKey);
    await this.db.query(
      'INSERT INTO checkpoints (tree_size, root_hash, timestamp, key_id, signature) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [size, Buffer.from(body.rootHash, 'hex'), body.timestamp, key.id, Buffer.from(signature)],
    );
    const cp = await this.get(size);
    if (!cp) throw new Error(`checkpoint ${size} vanished`);
    return cp;
  }

  private async latestRow(): Promise<CheckpointRowDb | null> {
    const { rows } = await this.db.query<CheckpointRowDb>(
      'SELECT tree_size, root_hash, timestamp, key_id, signature FROM checkpoints ORDER BY tree_size DESC LIMIT 1',
    );
    return rows[0] ?? null;
  }

  async latest(): Promise<SignedCheckpoint | null> {
    const r = await this.latestRow();
    return r ? this.assemble(r) : null;
  }

  async get(size: number): Promise<SignedCheckpoint | null> {
    const { rows } = await this.db.query<CheckpointRowDb>(
      'SELECT tree_size, root_hash, timestamp, key_id, signature FROM checkpoints WHERE tree_size = $1',
      [size],
    );
    return rows[0] ? this.assemble(rows[0]) : null;
  }

  async list(from: number, limit: number): Promise<SignedCheckpoint[]> {
    const { rows } = await this.db.query<CheckpointRowDb>(
      'SELECT tree_size, root_hash, timestamp, key_id, signature FROM checkpoints WHERE tree_size >= $1 ORDER BY tree_size LIMIT $2',
      [from, limit],
    );
    const cos = await this.cosignaturesOf(rows.map((r) => num(r.tree_size)));
    const key = await this.logKey();
    return rows.map((r) => this.toCheckpoint(r, key, cos.get(num(r.tree_size)) ?? []));
  }

  private async assemble(r: CheckpointRowDb): Promise<SignedCheckpoint> {
    const size = num(r.tree_size);
    const cos = await this.cosignaturesOf([size]);
    return this.toCheckpoint(r, await this.logKey(), cos.get(size) ?? []);
  }

  private toCheckpoint(r: CheckpointRowDb, key: LogKey, cosignatures: Cosignature[]): SignedCheckpoint {
    const body: CheckpointBody = {
      origin: key.origin,
      treeSize: num(r.tree_size),
      rootHash: buf(r.root_hash).toString('hex'),
      timestamp: num(r.timestamp),
    };
    return {
      ...body,
      keyId: r.key_id,
      signature: buf(r.signature).toString('hex'),
      body: checkpointText(body),
      cosignatures,
    };
  }

  private async cosignaturesOf(sizes: number[]): Promise<Map<number, Cosignature[]>> {
    const out = new Map<number, Cosignature[]>();
    if (!sizes.length) return out;
    const { rows } = await this.db.query<{
      tree_size: unknown;
      key_id: string;
      venue_id: string;
      public_key: unknown;
      timestamp: unknown;
      signature: unknown;
    }>(
      `SELECT c.tree_size, c.key_id, w.venue_id, w.public_key, c.timestamp, c.signature
       FROM checkpoint_cosignatures c JOIN witnesses w ON w.key_id = c.key_id
       WHERE c.tree_size = ANY($1::int8[]) ORDER BY c.tree_size, c.key_id`,
      [sizes],
    );
    for (const r of rows) {
      const size = num(r.tree_size);
      const list = out.get(size) ?? [];
      list.push({
        keyId: r.key_id,
        venueId: r.venue_id,
        publicKey: buf(r.public_key).toString('hex'),
        timestamp: num(r.timestamp),
        signature: buf(r.signature).toString('hex'),
      });
      out.set(size, list);
    }
    return out;
  }

  /** Registers a gateway's witness key (idempotent for the same key). */
  async registerWitness(
    gatewayId: string,
    venueId: string,
    publicKeyHex: string,
  ): Promise<{ keyId: string }> {
    const pk = Buffer.from(publicKeyHex, 'hex');
    const keyId = keyIdOf(pk);
    const { rows } = await this.db.query<{ gateway_id: string }>(
      `INSERT INTO witnesses (key_id, gateway_id, venue_id, public_key) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key_id) DO UPDATE SET key_id = EXCLUDED.key_id RETURNING gateway_id`,
      [keyId, gatewayId, venueId, pk],
    );
    if (rows[0].gateway_id !== gatewayId)
      throw new LedgerError('witness-key-taken', 'this key is registered by another gateway', 409);
    return { keyId };
  }

  /** Stores a witness cosignature after checking it against the gateway's registered key. */
  async cosign(
    size: number,
    gatewayId: string,
    c: { keyId: string; timestamp: number; signature: string },
  ): Promise<SignedCheckpoint> {
    const cp = await this.get(size);
    if (!cp) throw new LedgerError('unknown-checkpoint', `no checkpoint of size ${size}`, 404);
    const { rows } = await this.db.query<{ venue_id: string; public_key: unknown }>(
      'SELECT venue_id, public_key FROM witnesses WHERE key_id = $1 AND gateway_id = $2',
      [c.keyId, gatewayId],
    );
    if (!rows[0])
      throw new LedgerError('unknown-witness', `key ${c.keyId} is not registered for this gateway`, 403);
    const cs = {
      keyId: c.keyId,
      publicKey: buf(rows[0].public_key).toString('hex'),
      timestamp: c.timestamp,
      signature: c.signature,
    };
    if (!verifyCosignature(cp, cs))
      throw new LedgerError('bad-signature', 'cosignature does not verify', 400);
    await this.db.query(
      `INSERT INTO checkpoint_cosignatures (tree_size, key_id, timestamp, signature) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tree_size, key_id) DO UPDATE SET timestamp = EXCLUDED.timestamp, signature = EXCLUDED.signature`,
      [size, c.keyId, c.timestamp, Buffer.from(c.signature, 'hex')],
    );
    return (await this.get(size))!;
  }

  /**
   * Signs now, then every `intervalMs` after the previous round (errors go to `onError`); an empty
   * log is not signed. Signing at once also loads the in-memory tree right after a (re)start, in the
   * background, instead of at the first proof an auditor asks for.
   */
  start(intervalMs: number, onError: (err: unknown) => void): void {
    void this.job?.stop();
    this.job = everyInterval(
      async () => {
        if ((await this.log.sync()) > 0) await this.signNow();
      },
      intervalMs,
      onError,
    );
  }

  /** Stops the job; resolves once a signing in progress has ended (the database may then close). */
  async stop(): Promise<void> {
    const job = this.job;
    this.job = null;
    await job?.stop();
  }
}
