/**
 * Canonical JSON for the wire protocol, portable to Espruino and Lua (neither has a JSON we can
 * rely on for canonical output). Integers only: the protocol carries money in minor units,
 * counters and ids, never fractions, so the encoding of a number is its decimal digits on every
 * target (Lua 5.1 would print 1e15 as "1e+15" and Lua 5.3 a float as "3.0").
 *
 * Canonical form: object keys sorted by code unit, no whitespace, strings escaped only where
 * RFC 8259 requires (`"`, `\`, control characters), everything else raw UTF-8.
 * Limitation (documented in docs/protocol.md): no empty objects — Lua cannot tell `{}` from `[]`.
 */

import { BYTE_STRINGS } from './bytes.js';

export type Json = string | number | boolean | Json[] | { [key: string]: Json };

export type ParseResult = { ok: true; value: Json } | { ok: false; reason: string };

/** Largest integer every target represents exactly (2^53 - 1). */
export const MAX_SAFE = 9007199254740991;

function isArray(v: unknown): boolean {
  return Array.isArray(v);
}

/** Decimal digits of a safe integer, without relying on the platform's number formatting. */
export function intToString(n: number): string {
  if (n === 0) return '0';
  let neg = false;
  if (n < 0) {
    neg = true;
    n = -n;
  }
  let s = '';
  while (n > 0) {
    const d = n % 10;
    s = String.fromCharCode(48 + d) + s;
    n = Math.floor(n / 10);
  }
  return neg ? '-' + s : s;
}

const HEX = '0123456789abcdef';

function escapeString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    out += s.substring(start, i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else out += '\\u00' + HEX.charAt(Math.floor(c / 16)) + HEX.charAt(c % 16);
    start = i + 1;
  }
  return out + s.substring(start, s.length) + '"';
}

function sortStrings(keys: string[]): void {
  // Insertion sort: objects are small, and it behaves the same on every target.
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > k) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = k;
  }
}

/**
 * Canonical encoding. Throws on values the protocol cannot carry (fractions, NaN, undefined in
 * arrays): those are programming errors on the sending side, never input from the wire.
 */
export function encodeCanonical(value: Json): string {
  const t = typeof value;
  if (t === 'string') return escapeString(value as string);
  if (t === 'boolean') return value ? 'true' : 'false';
  if (t === 'number') {
    const n = value as number;
    if (Math.floor(n) !== n || n > MAX_SAFE || n < -MAX_SAFE) throw new Error('json: not an integer: ' + n);
    return intToString(n);
  }
  if (isArray(value)) {
    const arr = value as Json[];
    let out = '[';
    for (let i = 0; i < arr.length; i++) {
      if (i > 0) out += ',';
      out += encodeCanonical(arr[i]);
    }
    return out + ']';
  }
  if (t === 'object') {
    const obj = value as { [key: string]: Json };
    const keys: string[] = [];
    for (const k in obj) {
      if (obj[k] !== undefined) keys.push(k);
    }
    sortStrings(keys);
    let out = '{';
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) out += ',';
      out += escapeString(keys[i]) + ':' + encodeCanonical(obj[keys[i]]);
    }
    return out + '}';
  }
  throw new Error('json: bad type ' + t);
}

/** Appends code point `cp` to `out` as this platform's string representation. */
function codePointString(cp: number): string {
  if (!BYTE_STRINGS) {
    if (cp < 0x10000) return String.fromCharCode(cp);
    const v = cp - 0x10000;
    return String.fromCharCode(0xd800 + Math.floor(v / 1024)) + String.fromCharCode(0xdc00 + (v % 1024));
  }
  if (cp < 0x80) return String.fromCharCode(cp);
  if (cp < 0x800) return String.fromCharCode(0xc0 + Math.floor(cp / 64), 0x80 + (cp % 64));
  if (cp < 0x10000)
    return String.fromCharCode(
      0xe0 + Math.floor(cp / 4096),
      0x80 + (Math.floor(cp / 64) % 64),
      0x80 + (cp % 64),
    );
  return String.fromCharCode(
    0xf0 + Math.floor(cp / 262144),
    0x80 + (Math.floor(cp / 4096) % 64),
    0x80 + (Math.floor(cp / 64) % 64),
    0x80 + (cp % 64),
  );
}

interface Cursor {
  s: string;
  i: number;
  err: string;
  depth: number;
  maxDepth: number;
}

function skipWs(c: Cursor): void {
  while (c.i < c.s.length) {
    const ch = c.s.charCodeAt(c.i);
    if (ch !== 0x20 && ch !== 0x0a && ch !== 0x0d && ch !== 0x09) return;
    c.i++;
  }
}

function hex4(c: Cursor): number {
  if (c.i + 4 > c.s.length) return -1;
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const ch = c.s.charCodeAt(c.i + k);
    let d = -1;
    if (ch >= 48 && ch <= 57) d = ch - 48;
    else if (ch >= 97 && ch <= 102) d = ch - 87;
    else if (ch >= 65 && ch <= 70) d = ch - 55;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  c.i += 4;
  return v;
}

function parseString(c: Cursor): string | undefined {
  c.i++; // opening quote
  let out = '';
  let start = c.i;
  while (c.i < c.s.length) {
    const ch = c.s.charCodeAt(c.i);
    if (ch === 0x22) {
      out += c.s.substring(start, c.i);
      c.i++;
      return out;
    }
    if (ch < 0x20) {
      c.err = 'control-character-in-string';
      return undefined;
    }
    if (ch !== 0x5c) {
      c.i++;
      continue;
    }
    out += c.s.substring(start, c.i);
    c.i++;
    const e = c.s.charCodeAt(c.i);
    c.i++;
    if (e === 0x22) out += '"';
    else if (e === 0x5c) out += '\\';
    else if (e === 0x2f) out += '/';
    else if (e === 0x62) out += '\b';
    else if (e === 0x66) out += '\f';
    else if (e === 0x6e) out += '\n';
    else if (e === 0x72) out += '\r';
    else if (e === 0x74) out += '\t';
    else if (e === 0x75) {
      let cp = hex4(c);
      if (cp < 0) {
        c.err = 'bad-unicode-escape';
        return undefined;
      }
      if (cp >= 0xd800 && cp <= 0xdbff && c.s.charCodeAt(c.i) === 0x5c && c.s.charCodeAt(c.i + 1) === 0x75) {
        const save = c.i;
        c.i += 2;
        const lo = hex4(c);
        if (lo >= 0xdc00 && lo <= 0xdfff) cp = 0x10000 + (cp - 0xd800) * 1024 + (lo - 0xdc00);
        else c.i = save;
      }
      out += codePointString(cp);
    } else {
      c.err = 'bad-escape';
      return undefined;
    }
    start = c.i;
  }
  c.err = 'unterminated-string';
  return undefined;
}

function parseNumber(c: Cursor): number | undefined {
  const begin = c.i;
  let neg = false;
  if (c.s.charCodeAt(c.i) === 0x2d) {
    neg = true;
    c.i++;
  }
  const first = c.i;
  let n = 0;
  while (c.i < c.s.length) {
    const ch = c.s.charCodeAt(c.i);
    if (ch < 48 || ch > 57) break;
    n = n * 10 + (ch - 48);
    c.i++;
  }
  const digits = c.i - first;
  if (digits === 0) {
    c.err = 'bad-number';
    return undefined;
  }
  if (digits > 1 && c.s.charCodeAt(first) === 48) {
    c.err = 'leading-zero';
    return undefined;
  }
  const next = c.s.charCodeAt(c.i);
  if (next === 0x2e || next === 0x65 || next === 0x45) {
    c.err = 'not-an-integer';
    return undefined;
  }
  if (digits > 16 || n > MAX_SAFE) {
    c.err = 'integer-too-large';
    return undefined;
  }
  if (neg && n === 0 && c.i - begin > 1) return 0;
  return neg ? -n : n;
}

function parseLiteral(c: Cursor, word: string, value: Json): Json | undefined {
  if (c.s.substring(c.i, c.i + word.length) !== word) {
    c.err = 'unexpected-character';
    return undefined;
  }
  c.i += word.length;
  return value;
}

function parseValue(c: Cursor): Json | undefined {
  skipWs(c);
  if (c.i >= c.s.length) {
    c.err = 'unexpected-end';
    return undefined;
  }
  const ch = c.s.charCodeAt(c.i);
  if (ch === 0x22) return parseString(c);
  if (ch === 0x7b || ch === 0x5b) {
    c.depth++;
    if (c.depth > c.maxDepth) {
      c.err = 'too-deep';
      return undefined;
    }
    const v = ch === 0x7b ? parseObject(c) : parseArray(c);
    c.depth--;
    return v;
  }
  if (ch === 0x2d || (ch >= 48 && ch <= 57)) return parseNumber(c);
  if (ch === 0x74) return parseLiteral(c, 'true', true);
  if (ch === 0x66) return parseLiteral(c, 'false', false);
  if (ch === 0x6e) {
    // Lua drops nil-valued keys, so a null would verify on one target and not another.
    c.err = 'null-not-allowed';
    return undefined;
  }
  c.err = 'unexpected-character';
  return undefined;
}

function parseArray(c: Cursor): Json | undefined {
  c.i++;
  const arr: Json[] = [];
  skipWs(c);
  if (c.s.charCodeAt(c.i) === 0x5d) {
    c.i++;
    return arr;
  }
  for (;;) {
    const v = parseValue(c);
    if (c.err !== '') return undefined;
    arr.push(v as Json);
    skipWs(c);
    const ch = c.s.charCodeAt(c.i);
    c.i++;
    if (ch === 0x5d) return arr;
    if (ch !== 0x2c) {
      c.err = 'expected-comma-or-bracket';
      return undefined;
    }
  }
}

function parseObject(c: Cursor): Json | undefined {
  c.i++;
  const obj: { [key: string]: Json } = {};
  const keys: string[] = [];
  skipWs(c);
  if (c.s.charCodeAt(c.i) === 0x7d) {
    c.i++;
    return obj;
  }
  for (;;) {
    skipWs(c);
    if (c.s.charCodeAt(c.i) !== 0x22) {
      c.err = 'expected-key';
      return undefined;
    }
    const key = parseString(c);
    if (key === undefined) return undefined;
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      c.err = 'forbidden-key';
      return undefined;
    }
    if (keys.indexOf(key) >= 0) {
      c.err = 'duplicate-key';
      return undefined;
    }
    skipWs(c);
    if (c.s.charCodeAt(c.i) !== 0x3a) {
      c.err = 'expected-colon';
      return undefined;
    }
    c.i++;
    const v = parseValue(c);
    if (c.err !== '') return undefined;
    keys.push(key);
    obj[key] = v as Json;
    skipWs(c);
    const ch = c.s.charCodeAt(c.i);
    c.i++;
    if (ch === 0x7d) return obj;
    if (ch !== 0x2c) {
      c.err = 'expected-comma-or-brace';
      return undefined;
    }
  }
}

/**
 * Strict RFC 8259 parser restricted to the protocol's values (integers only, no null, no
 * duplicate or prototype-polluting keys). Never throws.
 */
export function parseJson(text: string, maxDepth: number): ParseResult {
  if (typeof text !== 'string') return { ok: false, reason: 'not-a-string' };
  const c: Cursor = { s: text, i: 0, err: '', depth: 0, maxDepth };
  const value = parseValue(c);
  if (c.err !== '') return { ok: false, reason: c.err };
  skipWs(c);
  if (c.i !== text.length) return { ok: false, reason: 'trailing-characters' };
  return { ok: true, value: value as Json };
}
