import { sha256 } from './sha256.js';

/** HMAC-SHA256 (RFC 2104) over any SHA-256: the pure one by default, a platform's where faster. */
export function hmacSha256(key: number[], message: number[], hash?: (bytes: number[]) => number[]): number[] {
  const h = hash ?? sha256;
  let k = key.length > 64 ? h(key) : key;
  const ipad: number[] = [];
  const opad: number[] = [];
  for (let i = 0; i < 64; i++) {
    const b = i < k.length ? k[i] : 0;
    ipad.push(b ^ 0x36);
    opad.push(b ^ 0x5c);
  }
  k = [];
  for (let i = 0; i < message.length; i++) ipad.push(message[i]);
  const inner = h(ipad);
  for (let i = 0; i < inner.length; i++) opad.push(inner[i]);
  return h(opad);
}
