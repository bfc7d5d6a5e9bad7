/**
 * RFC 6962 Merkle tree (leaf = SHA-256(0x00‖d), node = SHA-256(0x01‖l‖r), split at the largest
 * power of two below n, empty = SHA-256("")) with the RFC 9162 §2.1.3.2 / §2.1.4.2 verifiers.
 *
 * `MerkleLog` keeps the levels of complete subtrees in flat Buffers (32 bytes a node), so the
 * hash of any aligned power-of-two range is one lookup and a proof in a 10,000,000-leaf log costs
 * O(log² n) hashes at most: only the ragged right edge is recomputed. With `dropBelow` it keeps
 * the levels from 2^dropBelow leaves up (the server: memory 2^dropBelow-fold smaller) and a proof
 * into an older block is computed from that block's leaves, which the caller reads back.
 */
import { createHash, hash } from 'node:crypto';

export const HASH_SIZE = 32;

export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export const leafHash = (data: Uint8Array): Buffer => sha256(LEAF_PREFIX, data);
/** 0x01 ‖ left ‖ right, reused: one one-shot digest per node instead of a Hash object. */
const pair = Buffer.alloc(1 + 2 * 32, NODE_PREFIX[0]);
export const nodeHash = (left: Uint8Array, right: Uint8Array): Buffer => {
  if (left.length !== 32 || right.length !== 32) return sha256(NODE_PREFIX, left, right);
  pair.set(left, 1);
  pair.set(right, 33);
  return hash('sha256', pair, 'buffer');
};
export const EMPTY_ROOT = sha256(new Uint8Array(0));

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over leaf hashes (not data), without a MerkleLog: a block read back, a range of one. */
export function rootOfLeafHashes(hashes: readonly Uint8Array[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  if (hashes.length === 1) return Buffer.from(hashes[0]);
  const k = largestPowerOfTwoBelow(hashes.length);
  return nodeHash(rootOfLeafHashes(hashes.slice(0, k)), rootOfLeafHashes(hashes.slice(k)));
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string | Uint8Array): Buffer =>
  typeof s === 'string' ? Buffer.from(s, 'hex') : Buffer.from(s);

/**
 * The leaf hashes of a complete block (2^dropBelow leaves, block b = leaves b·2^dropBelow..) that a
 * MerkleLog with `dropBelow` no longer holds, or undefined when they are not at hand.
 */
export type BlockLeaves = (block: number) => readonly Uint8Array[] | undefined;

export interface MerkleLogOptions {
  /**
   * Hold subtrees of 2^dropBelow leaves and more only, and below that only the block being filled:
   * memory falls 2^dropBelow-fold (10,000,000 leaves: ~32 MB at 5 instead of ~1 GB). Proofs and
   * roots reaching into an older block need its leaves: run them in `withBlocks`.
   */
  dropBelow?: number;
}

/** An append-only log of leaf hashes with stored complete subtrees. */
export class MerkleLog {
  /**
   * levels[j] holds the hashes of complete subtrees of 2^j leaves, 32 bytes each; below
   * `dropBelow`, only those of the block being filled, in a fixed ring (slot = index mod the
   * block's width at that level).
   */
  private levels: Buffer[] = [Buffer.alloc(0)];
  private counts: number[] = [0];
  private readonly drop: number;
  /** Set by withBlocks while its function runs. */
  private blocks: { leaves: BlockLeaves; missing: Set<number> } | null = null;

  constructor(opts: MerkleLogOptions = {}) {
    const drop = opts.dropBelow ?? 0;
    if (!Number.isInteger(drop) || drop < 0 || drop > 16)
      throw new RangeError(`dropBelow ${drop} not in 0..16`);
    this.drop = drop;
  }

  get size(): number {
    return this.counts[0];
  }

  /** Bytes the levels take (allocated). */
  get heldBytes(): number {
    return this.levels.reduce((n, b) => n + b.length, 0);
  }

  /** Appends leaf hashes (not data): the ledger stores entry hashes already. */
  appendLeafHashes(hashes: Uint8Array[]): void {
    for (const h of hashes) this.appendOne(h);
  }

  /** Appends one leaf hash (a verifier streaming a log adds them one by one). */
  appendLeafHash(hash: Uint8Array): void {
    this.appendOne(hash);
  }

  /**
   * Appends whole blocks by their hashes (dropBelow > 0, at a block boundary): a restart rebuilds
   * the tree from stored block hashes; their leaves are read back when a proof needs them.
   */
  appendBlockHashes(hashes: Uint8Array[]): void {
    const width = 2 ** this.drop;
    for (const h of hashes) {
      if (this.drop === 0 || this.size % width !== 0 || h.length !== HASH_SIZE)
        throw new Error(`a block hash needs dropBelow > 0 and a log of whole blocks (size ${this.size})`);
      for (let level = 0; level < this.drop; level++) {
        if (this.levels[level] === undefined) {
          this.levels[level] = Buffer.alloc(0);
          this.counts[level] = 0;
        }
        this.counts[level] += width / 2 ** level;
      }
      this.appendOne(h, this.drop);
    }
  }

  /**
   * Runs `fn` (proofs, roots) with `leaves` answering for the blocks this log no longer holds.
   * Returns its value, or the blocks it lacked: read them and run again (a dry run with missing
   * blocks visits the same nodes, so one retry has them all, unless the log grew meanwhile).
   */
  withBlocks<T>(leaves: BlockLeaves, fn: (log: this) => T): { value: T } | { missing: number[] } {
    const missing = new Set<number>();
    this.blocks = { leaves, missing };
    try {
      const value = fn(this);
      return missing.size ? { missing: [...missing].sort((a, b) => a - b) } : { value };
    } finally {
      this.blocks = null;
    }
  }

  /** Where node `index` of `level` sits in levels[level]. */
  private slot(level: number, index: number): number {
    return level < this.drop ? index % 2 ** (this.drop - level) : index;
  }

  private ensureCapacity(level: number, nodes: number): void {
    const need = (level < this.drop ? 2 ** (this.drop - level) : nodes) * HASH_SIZE;
    if (this.levels[level].length >= need) return;
    const grown = Buffer.alloc(
      level < this.drop ? need : Math.max(need, this.levels[level].length * 2, 1024 * HASH_SIZE),
    );
    this.levels[level].copy(grown, 0, 0, Math.min(this.levels[level].length, this.counts[level] * HASH_SIZE));
    this.levels[level] = grown;
  }

  private appendOne(hash: Uint8Array, from = 0): void {
    let level = from;
    let h: Uint8Array = hash;
    for (;;) {
      if (this.levels[level] === undefined) {
        this.levels[level] = Buffer.alloc(0);
        this.counts[level] = 0;
      }
      const i = this.counts[level];
      this.ensureCapacity(level, i + 1);
      Buffer.from(h.buffer, h.byteOffset, HASH_SIZE).copy(
        this.levels[level],
        this.slot(level, i) * HASH_SIZE,
      );
      this.counts[level] = i + 1;
      if (i % 2 === 0) return; // a left child: its parent is not complete yet
      h = nodeHash(this.node(level, i - 1), this.node(level, i));
      level++;
    }
  }

  private node(level: number, index: number): Buffer {
    const at = this.slot(level, index) * HASH_SIZE;
    return this.levels[level].subarray(at, at + HASH_SIZE);
  }

  /** Node `index` of `level` (complete) is still held: always at dropBelow and up. */
  private holds(level: number, index: number): boolean {
    if (level >= this.drop) return true;
    // Arithmetic, not bit shifts: logs past 2^31 entries stay right.
    return Math.floor(index / 2 ** (this.drop - level)) === Math.floor(this.counts[0] / 2 ** this.drop);
  }

  /** MTH(D[start : start + size]). */
  subtreeHash(start: number, size: number): Buffer {
    if (size === 0) return EMPTY_ROOT;
    if ((size & (size - 1)) === 0 && start % size === 0) {
      const level = Math.log2(size);
      const index = start / size;
      if (level < this.levels.length && index < this.counts[level]) {
        if (this.holds(level, index)) return this.node(level, index);
        return this.fromBlock(start, size);
      }
    }
    if (size === 1) throw new RangeError(`leaf ${start} is not in the log`);
    const k = largestPowerOfTwoBelow(size);
    return nodeHash(this.subtreeHash(start, k), this.subtreeHash(start + k, size - k));
  }

  /** The hash of an aligned power-of-two range inside a complete block no longer held. */
  private fromBlock(start: number, size: number): Buffer {
    const block = Math.floor(start / 2 ** this.drop);
    if (!this.blocks)
      throw new Error(`leaves ${start}..${start + size - 1} are not held: run this in withBlocks`);
    const leaves = this.blocks.leaves(block);
    if (!leaves) {
      this.blocks.missing.add(block);
      return EMPTY_ROOT; // a dry run: its result is thrown away
    }
    if (leaves.length !== 2 ** this.drop)
      throw new Error(`block ${block}: ${leaves.length} leaves, not ${2 ** this.drop}`);
    const from = start - block * 2 ** this.drop;
    return rootOfLeafHashes(leaves.slice(from, from + size));
  }

  /** The hash of complete block `block` as held (dropBelow > 0): checks leaves read back. */
  blockHash(block: number): Buffer {
    if (!Number.isInteger(block) || block < 0 || block >= (this.counts[this.drop] ?? 0))
      throw new RangeError(`block ${block} is not complete`);
    return this.node(this.drop, block);
  }

  rootHash(treeSize: number = this.size): Buffer {
    this.checkSize(treeSize);
    return this.subtreeHash(0, treeSize);
  }

  /** RFC 6962 §2.1.1 audit path, leaf to root. */
  inclusionProof(index: number, treeSize: number = this.size): Buffer[] {
    this.checkSize(treeSize);
    if (!Number.isInteger(index) || index < 0 || index >= treeSize)
      throw new RangeError(`index ${index} not in a tree of ${treeSize}`);
    const path: Buffer[] = [];
    this.path(index, 0, treeSize, path);
    return path;
  }

  private path(m: number, start: number, n: number, out: Buffer[]): void {
    if (n <= 1) return;
    const k = largestPowerOfTwoBelow(n);
    if (m < k) {
      this.path(m, start, k, out);
      out.push(this.subtreeHash(start + k, n - k));
    } else {
      this.path(m - k, start + k, n - k, out);
      out.push(this.subtreeHash(start, k));
    }
  }

  /** RFC 6962 §2.1.2 consistency proof between tree sizes oldSize ≤ newSize. */
  consistencyProof(oldSize: number, newSize: number = this.size): Buffer[] {
    this.checkSize(newSize);
    if (!Number.isInteger(oldSize) || oldSize < 0 || oldSize > newSize)
      throw new RangeError(`bad sizes ${oldSize} → ${newSize}`);
    const out: Buffer[] = [];
    if (oldSize === 0 || oldSize === newSize) return out;
    this.subproof(oldSize, 0, newSize, true, out);
    return out;
  }

  private subproof(m: number, start: number, n: number, complete: boolean, out: Buffer[]): void {
    if (m === n) {
      if (!complete) out.push(this.subtreeHash(start, n));
      return;
    }
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      this.subproof(m, start, k, complete, out);
      out.push(this.subtreeHash(start + k, n - k));
    } else {
      this.subproof(m - k, start + k, n - k, false, out);
      out.push(this.subtreeHash(start, k));
    }
  }

  private checkSize(treeSize: number): void {
    if (!Number.isInteger(treeSize) || treeSize < 0 || treeSize > this.size) {
      throw new RangeError(`tree size ${treeSize} is beyond the log (${this.size} entries)`);
    }
  }
}

function logOf(leaves: Uint8Array[]): MerkleLog {
  const log = new MerkleLog();
  log.appendLeafHashes(leaves.map(leafHash));
  return log;
}

/** Root (hex) of the tree over `leaves` (leaf data, not hashes). */
export function rootHash(leaves: Uint8Array[]): string {
  return hex(logOf(leaves).rootHash());
}

export function inclusionProof(leaves: Uint8Array[], index: number): string[] {
  return logOf(leaves).inclusionProof(index).map(hex);
}

export function consistencyProof(leaves: Uint8Array[], oldSize: number): string[] {
  return logOf(leaves).consistencyProof(oldSize).map(hex);
}

const isOdd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

/** RFC 9162 §2.1.3.2. `leafHash` is the leaf's hash (SHA-256(0x00‖d)), hex or bytes. */
export function verifyInclusion(
  leafHashValue: string | Uint8Array,
  index: number,
  treeSize: number,
  proof: (string | Uint8Array)[],
  root: string | Uint8Array,
): boolean {
  if (!Number.isInteger(index) || !Number.isInteger(treeSize) || index < 0 || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = unhex(leafHashValue);
  for (const pRaw of proof) {
    const p = unhex(pRaw);
    if (sn === 0 || p.length !== HASH_SIZE) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && r.equals(unhex(root));
}

/** RFC 9162 §2.1.4.2. */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: string | Uint8Array,
  newRoot: string | Uint8Array,
  proof: (string | Uint8Array)[],
): boolean {
  if (!Number.isInteger(oldSize) || !Number.isInteger(newSize) || oldSize < 0 || oldSize > newSize)
    return false;
  const first = unhex(oldRoot);
  const second = unhex(newRoot);
  if (oldSize === newSize) return proof.length === 0 && first.equals(second);
  if (oldSize === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = proof.map(unhex);
  if (path.some((p) => p.length !== HASH_SIZE)) return false;
  if ((oldSize & (oldSize - 1)) === 0) path.unshift(first);
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return fr.equals(first) && sr.equals(second) && sn === 0;
}
