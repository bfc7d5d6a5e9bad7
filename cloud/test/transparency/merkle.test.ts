import { merkle } from '@tibillet/cloud';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// Certificate Transparency's test leaves (RFC 6962 reference implementation, merkle_tree_test.cc).
const leaves = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => Buffer.from(h, 'hex'));
const roots = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

describe('merkle (RFC 6962)', () => {
  it('matches the Certificate Transparency roots for 1..8 leaves and the empty tree', () => {
    for (let n = 1; n <= 8; n++) expect(merkle.rootHash(leaves.slice(0, n))).toBe(roots[n - 1]);
    expect(merkle.rootHash([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('gives the CT inclusion proof of leaf 0 in the tree of 8, and it verifies', () => {
    const proof = merkle.inclusionProof(leaves, 0);
    expect(proof).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(merkle.verifyInclusion(merkle.leafHash(leaves[0]), 0, 8, proof, roots[7])).toBe(true);
    expect(merkle.verifyInclusion(merkle.leafHash(leaves[1]), 0, 8, proof, roots[7])).toBe(false);
  });

  it('gives the CT consistency proofs (1→8, 6→8, 2→5) that verify', () => {
    expect(merkle.consistencyProof(leaves, 1)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    for (const [m, n] of [
      [1, 8],
      [6, 8],
      [2, 5],
    ]) {
      const proof = merkle.consistencyProof(leaves.slice(0, n), m);
      expect(merkle.verifyConsistency(m, n, roots[m - 1], roots[n - 1], proof)).toBe(true);
      expect(merkle.verifyConsistency(m, n, roots[m - 1], roots[n - 2], proof)).toBe(false);
    }
  });

  it('every inclusion and consistency proof verifies, and any flipped bit fails', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), fc.nat(), fc.nat(), (n, a, b, flip) => {
        const data = Array.from({ length: n }, (_, i) => Buffer.from(`entry-${i}`));
        const root = merkle.rootHash(data);
        const i = a % n;
        const proof = merkle.inclusionProof(data, i);
        const lh = merkle.leafHash(data[i]);
        expect(merkle.verifyInclusion(lh, i, n, proof, root)).toBe(true);
        const m = 1 + (b % n);
        const cproof = merkle.consistencyProof(data, m);
        const oldRoot = merkle.rootHash(data.slice(0, m));
        expect(merkle.verifyConsistency(m, n, oldRoot, root, cproof)).toBe(true);
        if (proof.length > 0) {
          const bad = [...proof];
          const j = flip % bad.length;
          const bytes = Buffer.from(bad[j], 'hex');
          bytes[flip % 32] ^= 1 << (flip % 8);
          bad[j] = bytes.toString('hex');
          expect(merkle.verifyInclusion(lh, i, n, bad, root)).toBe(false);
        }
        if (cproof.length > 0) {
          const bad = [...cproof];
          const bytes = Buffer.from(bad[0], 'hex');
          bytes[0] ^= 0x80;
          bad[0] = bytes.toString('hex');
          expect(merkle.verifyConsistency(m, n, oldRoot, root, bad)).toBe(false);
        }
        if (n > 1)
          expect(merkle.verifyInclusion(merkle.leafHash(data[(i + 1) % n]), i, n, proof, root)).toBe(false);
        expect(merkle.verifyInclusion(lh, n, n, proof, root)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('an incremental log agrees with the functional API at every size', () => {
    const log = new merkle.MerkleLog();
    const data: Buffer[] = [];
    for (let n = 1; n <= 40; n++) {
      data.push(Buffer.from([n]));
      log.appendLeafHashes([merkle.leafHash(data[n - 1])]);
      expect(log.rootHash().toString('hex')).toBe(merkle.rootHash(data));
    }
    expect(() => log.inclusionProof(40, 40)).toThrow(RangeError);
    expect(() => log.rootHash(41)).toThrow(RangeError);
  });

  it('a log holding only blocks of 2^k leaves gives the same roots and proofs, reading old blocks back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(
          fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (n, drop, picks) => {
          const hashes = Array.from({ length: n }, (_, i) => merkle.leafHash(Buffer.from(`leaf ${i}`)));
          const full = new merkle.MerkleLog();
          const held = new merkle.MerkleLog({ dropBelow: drop });
          full.appendLeafHashes(hashes);
          held.appendLeafHashes(hashes);
          const w = 2 ** drop;
          const asked = new Set<number>();
          const blocks = (b: number) => {
            asked.add(b);
            return hashes.slice(b * w, (b + 1) * w);
          };
          const run = <T>(fn: (log: merkle.MerkleLog) => T): T => {
            const r = held.withBlocks(blocks, fn);
            if (!('value' in r)) throw new Error(`missing ${r.missing}`);
            return r.value;
          };
          for (const [a, b] of picks) {
            const size = 1 + Math.floor(a * (n - 1));
            const index = Math.min(size - 1, Math.floor(b * size));
            expect(run((l) => l.rootHash(size))).toEqual(full.rootHash(size));
            expect(run((l) => l.inclusionProof(index, size))).toEqual(full.inclusionProof(index, size));
            expect(run((l) => l.consistencyProof(index, size))).toEqual(full.consistencyProof(index, size));
            expect(run((l) => l.subtreeHash(index, 1))).toEqual(hashes[index]);
          }
          // Only complete blocks are read back; the block being filled is held.
          for (const b of asked) expect((b + 1) * w).toBeLessThanOrEqual(n);
          for (let b = 0; (b + 1) * w <= n; b++)
            expect(held.blockHash(b)).toEqual(full.subtreeHash(b * w, w));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a dropped block is asked for, not guessed: a dry run names it, and outside withBlocks it is an error', () => {
    const hashes = Array.from({ length: 100 }, (_, i) => merkle.leafHash(Buffer.from([i])));
    const held = new merkle.MerkleLog({ dropBelow: 4 });
    held.appendLeafHashes(hashes);
    // Leaf 20 is in block 1 (16..31); tree size 70 ends in block 4 (64..79), the one being filled.
    expect(
      held.withBlocks(
        () => undefined,
        (l) => l.inclusionProof(20, 100),
      ),
    ).toEqual({ missing: [1] });
    expect(
      held.withBlocks(
        () => undefined,
        (l) => l.inclusionProof(20, 70),
      ),
    ).toEqual({ missing: [1, 4] });
    expect(
      held.withBlocks(
        () => undefined,
        (l) => l.rootHash(),
      ),
    ).toEqual({ value: expect.any(Buffer) });
    expect(() => held.inclusionProof(20, 100)).toThrow(/not held: run this in withBlocks/);
    expect(() => held.blockHash(6)).toThrow(RangeError);
    expect(() => new merkle.MerkleLog({ dropBelow: -1 })).toThrow(RangeError);
  });

  it('a log rebuilt from block hashes and the tail leaves equals the log of all the leaves', () => {
    const hashes = Array.from({ length: 100 }, (_, i) => merkle.leafHash(Buffer.from(`e${i}`)));
    const w = 8;
    for (let n = 0; n <= hashes.length; n += 7) {
      const full = new merkle.MerkleLog();
      full.appendLeafHashes(hashes.slice(0, n));
      const whole = Math.floor(n / w);
      const rebuilt = new merkle.MerkleLog({ dropBelow: 3 });
      rebuilt.appendBlockHashes(Array.from({ length: whole }, (_, b) => full.subtreeHash(b * w, w)));
      rebuilt.appendLeafHashes(hashes.slice(whole * w, n));
      expect(rebuilt.size).toBe(n);
      const blocks = (b: number) => hashes.slice(b * w, (b + 1) * w);
      for (let m = 1; m <= n; m += 5) {
        const r = rebuilt.withBlocks(blocks, (l) => [
          l.rootHash(m),
          ...l.inclusionProof(m - 1, m),
          ...l.consistencyProof(1, m),
        ]);
        expect(r).toEqual({
          value: [full.rootHash(m), ...full.inclusionProof(m - 1, m), ...full.consistencyProof(1, m)],
        });
      }
    }
    const mid = new merkle.MerkleLog({ dropBelow: 3 });
    mid.appendLeafHashes(hashes.slice(0, 3));
    expect(() => mid.appendBlockHashes([hashes[0]])).toThrow(/whole blocks/);
    expect(() => new merkle.MerkleLog().appendBlockHashes([hashes[0]])).toThrow(/dropBelow > 0/);
  });

  it('holding blocks of 32 leaves takes a 16th of the memory or less', () => {
    const full = new merkle.MerkleLog();
    const held = new merkle.MerkleLog({ dropBelow: 5 });
    const h = merkle.leafHash(Buffer.from('x'));
    for (let i = 0; i < 100_000; i++) {
      full.appendLeafHash(h);
      held.appendLeafHash(h);
    }
    expect(held.rootHash()).toEqual(full.rootHash());
    expect(held.heldBytes * 16).toBeLessThanOrEqual(full.heldBytes);
  });
});
