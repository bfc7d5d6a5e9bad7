// cloud.proofMs: p99 of inclusion-proof generation for random leaves of a 10,000,000-entry log, as
// the server holds it (transparency/log-store.ts: blocks of 2^BLOCK_LEVEL leaves, merkle.ts
// `dropBelow`); the leaves of the proof's block come from the bench's own generator here (the
// server reads them from PostgreSQL: cloud.logProofMs in transparency.bench.ts measures that path).
// cloud.proofBuildSeconds: building the tree; cloud.proofTreeMB: the memory it holds, and
// cloud.proofFullTreeMB the same log holding every level (as before blocks).
import { hash } from 'node:crypto';
import { merkle } from '@tibillet/cloud';
import { BLOCK_LEVEL } from '../src/transparency/log-store.js';

const scratch = Buffer.alloc(8);
const leafOf = (i: number): Buffer => {
  scratch.writeUInt32BE(i, 4);
  return hash('sha256', scratch, 'buffer');
};

function build(size: number, opts: merkle.MerkleLogOptions): { log: merkle.MerkleLog; seconds: number } {
  const log = new merkle.MerkleLog(opts);
  const t0 = performance.now();
  const batch: Buffer[] = [];
  for (let i = 0; i < size; i++) {
    batch.push(leafOf(i));
    if (batch.length === 100_000) {
      log.appendLeafHashes(batch);
      batch.length = 0;
    }
  }
  log.appendLeafHashes(batch);
  return { log, seconds: (performance.now() - t0) / 1000 };
}

export async function run(): Promise<Record<string, number>> {
  const size = 10_000_000;
  const width = 2 ** BLOCK_LEVEL;
  const { log, seconds } = build(size, { dropBelow: BLOCK_LEVEL });
  const blocks: merkle.BlockLeaves = (b) => Array.from({ length: width }, (_, k) => leafOf(b * width + k));
  const proved = <T>(fn: (l: merkle.MerkleLog) => T): T => {
    // As the server does: a dry run names the block, which is then read (here: generated).
    const first = log.withBlocks(() => undefined, fn);
    if ('value' in first) return first.value;
    const r = log.withBlocks(blocks, fn);
    if (!('value' in r)) throw new Error(`blocks missing: ${r.missing}`);
    return r.value;
  };
  const root = proved((l) => l.rootHash());
  // Steady state, as a server answers proofs long after its cold start: the build's ten million
  // short-lived digests are collected during a warm-up, not during the samples.
  for (let i = 0; i < 20_000; i++) proved((l) => l.inclusionProof(Math.floor(Math.random() * size)));
  await new Promise((r) => setTimeout(r, 500));
  const samples: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const index = Math.floor(Math.random() * size);
    const t = performance.now();
    const proof = proved((l) => l.inclusionProof(index));
    samples.push(performance.now() - t);
    if (i % 500 === 0 && !merkle.verifyInclusion(leafOf(index), index, size, proof, root))
      throw new Error(`proof of ${index} does not verify`);
  }
  samples.sort((a, b) => a - b);
  // Built after the samples: a freed gigabyte would be collected during them.
  const fullTreeMB = build(size, {}).log.heldBytes / 2 ** 20;
  return {
    'cloud.proofMs': Number(samples[Math.floor(samples.length * 0.99)].toFixed(4)),
    'cloud.proofBuildSeconds': Number(seconds.toFixed(2)),
    'cloud.proofTreeMB': Number((log.heldBytes / 2 ** 20).toFixed(1)),
    'cloud.proofFullTreeMB': Number(fullTreeMB.toFixed(1)),
  };
}
