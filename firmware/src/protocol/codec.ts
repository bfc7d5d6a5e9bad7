/**
 * sign() and verify(): the envelope, its canonical encoding and its HMAC-SHA256 with the
 * device key. verify() checks, in this order, and stops at the first failure:
 *   size (before parsing) → JSON → version → fields → MAC → counter (replay).
 * The MAC is checked before the counter so a forged message is reported as forged, not stale.
 */
import { fromHex, toHex, utf8Encode } from '../util/bytes.js';
import { hmacSha256 as pureHmac } from '../util/hmac.js';
import { encodeCanonical, type Json, parseJson } from '../util/json.js';
import {
  BODY_FIELDS,
  type Kind,
  MAX_DEPTH,
  MAX_PAYLOAD,
  type Message,
  PROTOCOL_VERSION,
} from './messages.js';
import { isHex, isId, validateFields } from './schema.js';

export type VerifyReason = 'bad-json' | 'bad-version' | 'bad-mac' | 'replay' | 'too-large' | 'bad-field';
export type VerifyResult =
  | { ok: true; message: Message }
  | { ok: false; reason: VerifyReason; detail?: string };

export interface MacProvider {
  hmacSha256(this: void, key: number[], bytes: number[]): number[];
  /** Optional fast path (host, gateway): lower-case hex HMAC of the UTF-8 of `text`. */
  hmacSha256Hex?: (this: void, keyHex: string, text: string) => string;
}

let mac: MacProvider = { hmacSha256: (key, bytes) => pureHmac(key, bytes) };

/** Swap the HMAC implementation (node:crypto on the host and gateway); output is identical. */
export function setCrypto(provider: MacProvider): void {
  mac = provider;
}

/** The envelope's field table (messages.ts says how it reads). */
const ENVELOPE_FIELDS = 'v:i k:d16 d:d32 n:i t?:i b:o m:x64';

/** `"key":<canonical value>` after `out`, comma-separated; undefined values are left out. */
function member(out: string, key: string, text: string | undefined): string {
  if (text === undefined) return out;
  return (out === '{' ? out : out + ',') + '"' + key + '":' + text;
}

function encoded(value: Json | undefined): string | undefined {
  return value === undefined ? undefined : encodeCanonical(value);
}

/**
 * The envelope's canonical text, built by hand in canonical key order (b d k m n t v) so the body
 * is encoded once for both the MAC and the signed text: byte for byte what encodeCanonical gives
 * for the same object (the vectors check it).
 */
function envelopeText(message: Message, body: string | undefined, macHexText: string | undefined): string {
  let out = member('{', 'b', body);
  out = member(out, 'd', encoded(message.d));
  out = member(out, 'k', encoded(message.k));
  out = member(out, 'm', encoded(macHexText));
  out = member(out, 'n', encoded(message.n));
  out = member(out, 't', encoded(message.t));
  out = member(out, 'v', encoded(message.v));
  return out + '}';
}

/** A key is 16+ bytes of hex: checked without building its bytes (the fast MAC path never needs them). */
function isKeyHex(keyHex: string): boolean {
  return typeof keyHex === 'string' && keyHex.length >= 32 && isHex(keyHex);
}

function macHex(keyHex: string, text: string): string {
  if (mac.hmacSha256Hex !== undefined) return mac.hmacSha256Hex(keyHex, text);
  return toHex(mac.hmacSha256(fromHex(keyHex) as number[], utf8Encode(text)));
}

/** Canonical payload of `message` with its MAC. Throws on a bad key or an unencodable message (programming errors). */
export function sign(message: Message, keyHex: string): string {
  if (!isKeyHex(keyHex)) throw new Error('sign: key not 16+ hex bytes');
  const body = encoded(message.b as unknown as Json);
  return envelopeText(message, body, macHex(keyHex, envelopeText(message, body, undefined)));
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return n;
}

function fail(reason: VerifyReason, detail?: string): VerifyResult {
  return { ok: false, reason, detail };
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff += a.charCodeAt(i) === b.charCodeAt(i) ? 0 : 1;
  return diff === 0;
}

/**
 * Verifies a payload received from the wire against the device key and the last counter
 * accepted from that sender (-1 when none). Never throws.
 */
export function verify(payload: string, keyHex: string, lastCounter: number): VerifyResult {
  if (typeof payload !== 'string') return fail('bad-json', 'not-a-string');
  // UTF-8 takes at most 3 bytes per UTF-16 unit: short payloads need no byte count.
  if (payload.length > MAX_PAYLOAD || (payload.length * 3 > MAX_PAYLOAD && utf8Length(payload) > MAX_PAYLOAD))
    return fail('too-large');
  const parsed = parseJson(payload, MAX_DEPTH);
  if (!parsed.ok) return fail('bad-json', parsed.reason);
  const v = parsed.value;
  if (typeof v !== 'object' || Array.isArray(v)) return fail('bad-json', 'not-an-object');
  const env = v as { [key: string]: Json };
  if (env.v !== PROTOCOL_VERSION) return fail('bad-version');
  const k = env.k;
  if (typeof k !== 'string' || typeof BODY_FIELDS[k] !== 'string') return fail('bad-field', 'k');
  const bad = validateFields(ENVELOPE_FIELDS, env);
  if (bad !== '') return fail('bad-field', bad);
  if (!isId(env.d as string, 32)) return fail('bad-field', 'd');
  const body = env.b as { [key: string]: Json };
  const badBody = validateFields(BODY_FIELDS[k], body);
  if (badBody !== '') return fail('bad-field', 'b.' + badBody);
  if (!isKeyHex(keyHex)) return fail('bad-mac', 'bad-key');
  const message = env as unknown as Message;
  const m = env.m as string;
  if (
    m.length !== 64 ||
    !constantTimeEqual(
      macHex(keyHex, envelopeText(message, encodeCanonical(body), undefined)),
      m.toLowerCase(),
    )
  )
    return fail('bad-mac');
  if ((env.n as number) <= lastCounter) return fail('replay');
  const out: Message = { v: message.v, k: k as Kind, d: message.d, n: message.n, b: message.b };
  if (message.t !== undefined) out.t = message.t;
  return { ok: true, message: out };
}
