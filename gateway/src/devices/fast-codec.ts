/**
 * The gateway's fast paths of the wire protocol, for Node only. The portable codec of
 * @tibillet/firmware stays the reference: these give the same MACs byte for byte and the same
 * verdicts (gateway/test/fast-codec.test.ts checks both against it).
 *
 * - gatewayMac: node:crypto's HMAC-SHA256 with each key's bytes decoded once (not per message).
 * - verifyMessage(): native JSON.parse, then the checks of protocol.verify(); it answers itself
 *   only when the payload is exactly the canonical encoding of what it parsed to (what every
 *   terminal sends) and every check passes. Anything else — not canonical, or failing any check —
 *   goes to protocol.verify(), which then gives the answer and the reason, as before.
 */
import * as crypto from 'node:crypto';
import { protocol } from '@tibillet/firmware';

/** Keys seen (a venue has tens of terminals; cleared past this, as a key rotation leaves old ones). */
const MAX_KEYS = 4096;
const keys = new Map<string, Buffer>();

function keyOf(keyHex: string): Buffer {
  let k = keys.get(keyHex);
  if (k) return k;
  k = Buffer.from(keyHex, 'hex');
  if (keys.size >= MAX_KEYS) keys.clear();
  keys.set(keyHex, k);
  return k;
}

/** Lower-case hex HMAC-SHA256 of the UTF-8 of `text`. */
export function hmacSha256Hex(keyHex: string, text: string): string {
  return crypto.createHmac('sha256', keyOf(keyHex)).update(text, 'utf8').digest('hex');
}

/** The protocol's MAC provider for the gateway (same output as nodeMac). */
export const gatewayMac: protocol.MacProvider = {
  hmacSha256: (key, bytes) => [
    ...crypto.createHmac('sha256', Uint8Array.from(key)).update(Uint8Array.from(bytes)).digest(),
  ],
  hmacSha256Hex,
};

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_SAFE;
}

function isHex64(s: string): boolean {
  if (s.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

/**
 * What the portable parser would refuse in a value JSON.parse accepts and the canonical encoder
 * would still encode: null, -0, the prototype keys, nesting deeper than MAX_DEPTH.
 */
function portable(v: unknown, depth: number): boolean {
  if (v === null) return false;
  if (typeof v === 'number') return !Object.is(v, -0);
  if (typeof v !== 'object') return true;
  if (depth > protocol.MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!portable(v[i], depth + 1)) return false;
    return true;
  }
  for (const k in v as object) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') return false;
    if (!portable((v as { [k: string]: unknown })[k], depth + 1)) return false;
  }
  return true;
}

/** Its canonical encoding, undefined when it has none (fractions, unsafe integers). */
function canonical(v: protocol.Json): string | undefined {
  try {
    return protocol.encodeCanonical(v);
  } catch {
    return undefined;
  }
}

/** The native path alone: its verdict, or undefined when protocol.verify() must answer. */
export function verifyCanonical(
  payload: string,
  keyHex: string,
  lastCounter: number,
): protocol.VerifyResult | undefined {
  // Within the size limit (Buffer.byteLength never counts fewer bytes than the portable count).
  if (
    typeof payload !== 'string' ||
    payload.length > protocol.MAX_PAYLOAD ||
    (payload.length * 3 > protocol.MAX_PAYLOAD && Buffer.byteLength(payload, 'utf8') > protocol.MAX_PAYLOAD)
  )
    return undefined;
  let env: { [key: string]: unknown };
  try {
    env = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return undefined;
  const { v, k, d, n, t, b, m } = env;
  if (v !== protocol.PROTOCOL_VERSION) return undefined;
  if (typeof k !== 'string' || !protocol.isId(k, 16) || !Object.hasOwn(protocol.BODY_FIELDS, k))
    return undefined;
  if (typeof d !== 'string' || !protocol.isId(d, 32)) return undefined;
  if (!isCount(n) || (t !== undefined && !isCount(t))) return undefined;
  if (typeof m !== 'string' || !isHex64(m)) return undefined;
  if (typeof b !== 'object' || b === null || Array.isArray(b) || !portable(b, 2)) return undefined;
  const body = b as { [key: string]: protocol.Json };
  if (protocol.validateFields(protocol.BODY_FIELDS[k], body) !== '') return undefined;
  const bodyText = canonical(body);
  if (bodyText === undefined) return undefined;
  // Canonical order b d k m n t v; ids and hex need no escaping. The payload must be exactly
  // this text: then it has no other member and the portable parser reads the same values.
  const head = `{"b":${bodyText},"d":"${d}","k":"${k}"`;
  const tail = `"n":${n}${t === undefined ? '' : `,"t":${t}`},"v":${v}}`;
  if (payload.length !== head.length + tail.length + 72 || payload !== `${head},"m":"${m}",${tail}`)
    return undefined;
  if (!isKeyHex(keyHex)) return undefined;
  const expected = hmacSha256Hex(keyHex, `${head},${tail}`);
  if (!equal(expected, m.toLowerCase())) return undefined;
  if (n <= lastCounter) return undefined;
  const message = { v, k, d, n, b: body } as unknown as protocol.Message;
  if (t !== undefined) message.t = t;
  return { ok: true, message };
}

function isKeyHex(keyHex: string): boolean {
  if (typeof keyHex !== 'string' || keyHex.length < 32 || keyHex.length % 2 !== 0) return false;
  for (let i = 0; i < keyHex.length; i++) {
    const c = keyHex.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

/** Constant-time comparison of two 64-digit hex MACs. */
function equal(a: string, b: string): boolean {
  return a.length === b.length && crypto.timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

/** protocol.verify(), answered natively for canonical payloads that pass (see above). */
export function verifyMessage(payload: string, keyHex: string, lastCounter: number): protocol.VerifyResult {
  return verifyCanonical(payload, keyHex, lastCounter) ?? protocol.verify(payload, keyHex, lastCounter);
}
