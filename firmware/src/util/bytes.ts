/**
 * Byte helpers for the portable core. Bytes are `number[]` of 0..255 (Espruino and Lua have no
 * reliable typed arrays). Written without regexes, Map, Array.from or bitwise shifts on
 * possibly-negative numbers, so they compile unchanged to ES5 and to Lua.
 */

const HEX = '0123456789abcdef';

/** Lower-case hex, two digits a byte. */
export function toHex(bytes: number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    out += HEX.charAt(Math.floor(b / 16)) + HEX.charAt(b % 16);
  }
  return out;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/** Parses hex (either case, even length). Returns undefined on any other character or odd length. */
export function fromHex(hex: string): number[] | undefined {
  if (hex.length % 2 !== 0) return undefined;
  const out: number[] = [];
  for (let i = 0; i < hex.length; i += 2) {
    const hi = nibble(hex.charCodeAt(i));
    const lo = nibble(hex.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return undefined;
    out.push(hi * 16 + lo);
  }
  return out;
}

export function concat(a: number[], b: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) out.push(a[i]);
  for (let i = 0; i < b.length; i++) out.push(b[i]);
  return out;
}

export function slice(bytes: number[], start: number, end: number): number[] {
  const out: number[] = [];
  const stop = end < bytes.length ? end : bytes.length;
  for (let i = start; i < stop; i++) out.push(bytes[i]);
  return out;
}

/** Constant-time comparison (the time does not depend on where the first difference is). */
export function equal(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff += a[i] === b[i] ? 0 : 1;
  return diff === 0;
}

export function xor(a: number[], b: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) out.push(a[i] ^ b[i]);
  return out;
}

/**
 * True where strings are byte strings already holding UTF-8 (Lua; Espruino builds without
 * unicode support): there a two-byte character has length 2.
 */
export const BYTE_STRINGS = 'x\u00e9'.substring(1).length === 2; // substring: keeps bundlers from constant-folding

/** UTF-8 encoding of a string (code points above U+FFFF from surrogate pairs). */
export function utf8Encode(s: string): number[] {
  const out: number[] = [];
  if (BYTE_STRINGS) {
    for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
    return out;
  }
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + (c - 0xd800) * 1024 + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 + Math.floor(c / 64), 0x80 + (c % 64));
    else if (c < 0x10000)
      out.push(0xe0 + Math.floor(c / 4096), 0x80 + (Math.floor(c / 64) % 64), 0x80 + (c % 64));
    else
      out.push(
        0xf0 + Math.floor(c / 262144),
        0x80 + (Math.floor(c / 4096) % 64),
        0x80 + (Math.floor(c / 64) % 64),
        0x80 + (c % 64),
      );
  }
  return out;
}
