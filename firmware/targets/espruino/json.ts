/**
 * JSON for the Espruino build: the build (scripts/build-espruino.mjs) routes the core's imports of
 * src/util/json.js here. Canonical encoding is the core's own, byte for byte (MACs are computed
 * over it; Espruino's JSON.stringify escapes non-ASCII and prints large numbers its own way).
 * Parsing uses the interpreter's native JSON.parse, then checks what the portable parser refuses:
 * null, non-integers, integers beyond 2^53 - 1, nesting beyond `maxDepth`, the keys
 * `__proto__`, `constructor`, `prototype`. Before parsing, the text may hold \u escapes only for
 * control characters (all canonical JSON has; an Espruino without Unicode support would decode
 * others its own way) and no `"__proto__"` string (Espruino's JSON.parse would set the prototype).
 * What still differs from the portable parser on malformed input is in docs/protocol.md
 * ("JSON on Espruino").
 */
import { type Json, MAX_SAFE, type ParseResult } from '../../src/util/json.js';

export { encodeCanonical, intToString, type Json, MAX_SAFE, type ParseResult } from '../../src/util/json.js';

/** '' when `v` is within the protocol's values, else why not. */
function check(v: Json, depth: number, maxDepth: number): string {
  if (typeof v === 'number') return Math.floor(v) === v && v <= MAX_SAFE && v >= -MAX_SAFE ? '' : 'number';
  if (typeof v !== 'object') return ''; // string, boolean
  if (v === null) return 'null';
  if (depth >= maxDepth) return 'too-deep';
  for (const k in v) {
    if (k === 'constructor' || k === 'prototype') return 'key';
    const r = check((v as { [key: string]: Json })[k], depth + 1, maxDepth);
    if (r !== '') return r;
  }
  return '';
}

/** As src/util/json.ts's parseJson (never throws), on the native parser. */
export function parseJson(text: string, maxDepth: number): ParseResult {
  if (typeof text !== 'string') return { ok: false, reason: 'not-a-string' };
  for (let i = 0; i < text.length; i++) {
    // Inside strings only (a backslash elsewhere fails JSON.parse): skip the escaped character.
    if (text.charCodeAt(i) === 92 && text.charAt(++i) === 'u' && text.substring(i + 1, i + 4) > '001')
      return { ok: false, reason: 'escape' };
  }
  if (text.indexOf('"__proto__"') >= 0) return { ok: false, reason: 'key' };
  let v: Json;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'syntax' };
  }
  const r = check(v, 0, maxDepth);
  return r === '' ? { ok: true, value: v } : { ok: false, reason: r };
}
