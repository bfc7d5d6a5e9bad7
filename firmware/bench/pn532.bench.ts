/**
 * PN532 decoder figures: throughput on a mixed valid/garbage stream pushed in random chunks
 * (firmware.decoderMBps, target >= 20 MB/s in Node) and a fuzz run over >= 1,000,000
 * random/mutated inputs that must all be survived without an exception (firmware.decoderFuzzInputs).
 */
import * as pn532 from '../src/pn532/index.js';

/** xorshift32: fast, seeded, reproducible. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

function mixedStream(size: number, rand: (n: number) => number): Uint8Array {
  const out = new Uint8Array(size);
  let n = 0;
  while (n < size) {
    const kind = rand(10);
    let piece: number[];
    if (kind < 2) piece = pn532.ACK_FRAME;
    else if (kind < 7) {
      const p: number[] = [];
      const len = rand(kind === 6 ? 262 : 40);
      for (let i = 0; i < len; i++) p.push(rand(256));
      piece = pn532.responseFrame(rand(256), p);
      if (kind === 5) piece[piece.length - 2] ^= 0x55; // corrupted DCS
    } else {
      piece = [];
      const len = 1 + rand(30);
      for (let i = 0; i < len; i++) piece.push(rand(256));
    }
    for (let i = 0; i < piece.length && n < size; i++) out[n++] = piece[i];
  }
  return out;
}

function throughput(): number {
  const rand = rng(42);
  const stream = mixedStream(8 * 1024 * 1024, rand);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < stream.length; ) {
    const len = 1 + rand(512);
    chunks.push(stream.subarray(at, at + len));
    at += len;
  }
  let best = 0;
  for (let pass = 0; pass < 5; pass++) {
    const d = new pn532.FrameDecoder();
    let events = 0;
    const t0 = process.hrtime.bigint();
    for (const c of chunks) events += d.push(c).length;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (events === 0) throw new Error('no events decoded');
    best = Math.max(best, stream.length / 1e6 / s);
  }
  return best;
}

function fuzz(count: number): number {
  const rand = rng(7);
  const valid = [
    pn532.ACK_FRAME,
    pn532.NACK_FRAME,
    pn532.ERROR_FRAME,
    pn532.responseFrame(0x03, [0x32, 0x01, 0x06, 0x07]),
    pn532.responseFrame(0x4b, [1, 1, 0, 0x44, 0, 7, 4, 0xa2, 0x4b, 0x92, 0x6f, 0x61, 0x80]),
    pn532.responseFrame(
      0x41,
      new Array(300).fill(0).map((_, i) => i % 256),
    ),
  ];
  let survived = 0;
  let d = new pn532.FrameDecoder();
  for (let i = 0; i < count; i++) {
    let input: number[];
    if (i % 2 === 0) {
      const len = rand(48);
      input = [];
      for (let k = 0; k < len; k++) input.push(rand(8) === 0 ? (rand(2) ? 0x00 : 0xff) : rand(256));
    } else {
      input = valid[rand(valid.length)].slice();
      const muts = 1 + rand(4);
      for (let k = 0; k < muts; k++) {
        const op = rand(3);
        const at = rand(input.length);
        if (op === 0) input[at] = rand(256);
        else if (op === 1) input.splice(at, 1);
        else input.splice(at, 0, rand(256));
      }
      if (rand(4) === 0) input = input.slice(0, rand(input.length + 1));
    }
    try {
      d.push(input);
      survived++;
    } catch {
      // counted as not survived
    }
    if (i % 1000 === 999) d = new pn532.FrameDecoder();
  }
  if (survived !== count) throw new Error(`decoder threw on ${count - survived} inputs`);
  return survived;
}

export async function run(): Promise<Record<string, number>> {
  return {
    'firmware.decoderMBps': Math.round(throughput() * 10) / 10,
    'firmware.decoderFuzzInputs': fuzz(1_000_000),
  };
}
