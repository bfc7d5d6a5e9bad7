/**
 * SHA-256 (FIPS 180-4) on byte arrays, for targets without one (Lua) or without HMAC (Espruino).
 * Portable to Lua 5.1 (LuaBitOp: signed 32-bit results) and Lua 5.3 (64-bit integers): every
 * word is masked to 32 bits before a right shift and after an addition, and bytes are extracted
 * with `(w >>> n) & 255`, so the sign or the high bits of a word never matter.
 */

const M32 = 0xffffffff;

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
];

function rotr(x: number, n: number): number {
  return (((x & M32) >>> n) | (x << (32 - n))) & M32;
}

function compress(h: number[], w: number[]): void {
  for (let t = 16; t < 64; t++) {
    const a = w[t - 15];
    const b = w[t - 2];
    const s0 = rotr(a, 7) ^ rotr(a, 18) ^ ((a & M32) >>> 3);
    const s1 = rotr(b, 17) ^ rotr(b, 19) ^ ((b & M32) >>> 10);
    w[t] = (w[t - 16] + s0 + w[t - 7] + s1) & M32;
  }
  let a = h[0];
  let b = h[1];
  let c = h[2];
  let d = h[3];
  let e = h[4];
  let f = h[5];
  let g = h[6];
  let hh = h[7];
  for (let t = 0; t < 64; t++) {
    const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) & M32;
    const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) & M32;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) & M32;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) & M32;
  }
  h[0] = (h[0] + a) & M32;
  h[1] = (h[1] + b) & M32;
  h[2] = (h[2] + c) & M32;
  h[3] = (h[3] + d) & M32;
  h[4] = (h[4] + e) & M32;
  h[5] = (h[5] + f) & M32;
  h[6] = (h[6] + g) & M32;
  h[7] = (h[7] + hh) & M32;
}

/** SHA-256 of `bytes` (numbers 0..255). */
export function sha256(bytes: number[]): number[] {
  const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  const len = bytes.length;
  // Padding: 0x80, zeros, then the bit length as a 64-bit big-endian number.
  const total = Math.floor((len + 8) / 64) * 64 + 64;
  const bitsHi = Math.floor(len / 536870912); // len * 8 / 2^32
  const bitsLo = (len % 536870912) * 8;
  const w: number[] = [];
  for (let i = 0; i < 64; i++) w.push(0);
  for (let block = 0; block < total; block += 64) {
    for (let t = 0; t < 16; t++) {
      let word = 0;
      for (let j = 0; j < 4; j++) {
        const i = block + t * 4 + j;
        let byte: number;
        if (i < len) byte = bytes[i];
        else if (i === len) byte = 0x80;
        else if (i >= total - 8) {
          const k = i - (total - 8); // 0..7 of the length field
          const src = k < 4 ? bitsHi : bitsLo;
          byte = ((src & M32) >>> (8 * (3 - (k % 4)))) & 255;
        } else byte = 0;
        word = word * 256 + byte;
      }
      w[t] = word & M32;
    }
    compress(h, w);
  }
  const out: number[] = [];
  for (let i = 0; i < 8; i++) {
    const x = h[i];
    out.push((x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255);
  }
  return out;
}
