// Compact signed tickets, verifiable offline (no database, no network): 112 bytes, 150 base64url
// characters in the QR code.
//
//   0      version (1)
//   1..4   key id (first 4 bytes of SHA-256(public key))
//   5..20  event id (UUID bytes)
//   21..36 ticket id (UUID bytes)
//   37..38 category number within the event (u16 BE)
//   39     audience (0 full, 1 reduced, 2 member)
//   40..43 valid from (u32 BE, epoch seconds)
//   44..47 valid until (u32 BE, epoch seconds)
//   48..111 Ed25519 signature of DOMAIN ‖ bytes 0..47
//
// Key rotation: the key id selects the verifying key among all keys ever published (retired ones
// keep verifying the tickets they signed).
import { createHash } from 'node:crypto';
import { sign, verify } from '../transparency/ed25519.js';
import type { Audience } from './schema.js';

export const TOKEN_VERSION = 1;
export const BODY_LEN = 48;
export const TOKEN_LEN = BODY_LEN + 64;
const DOMAIN = Buffer.from('tibillet/ticket/v1\n');
const AUDIENCE_CODES: Audience[] = ['full', 'reduced', 'member'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface TicketClaims {
  /** 8 hex digits. */
  keyId: string;
  eventId: string;
  ticketId: string;
  categoryNo: number;
  audience: Audience;
  /** Epoch seconds. */
  validFrom: number;
  validUntil: number;
}

export type VerifyFailure = 'malformed' | 'unknown-key' | 'bad-signature';
export type VerifyResult = { ok: true; claims: TicketClaims } | { ok: false; reason: VerifyFailure };

/** Key id of a public key: hex of the first 4 bytes of its SHA-256. */
export const ticketKeyId = (publicKey: Uint8Array): string =>
  createHash('sha256').update(publicKey).digest().subarray(0, 4).toString('hex');

const uuidBytes = (id: string): Buffer => {
  if (!UUID.test(id)) throw new Error(`not a UUID: ${id}`);
  return Buffer.from(id.replaceAll('-', ''), 'hex');
};
const uuidText = (b: Buffer): string => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export function encodeBody(c: TicketClaims): Buffer {
  const b = Buffer.alloc(BODY_LEN);
  b[0] = TOKEN_VERSION;
  if (!/^[0-9a-f]{8}$/.test(c.keyId)) throw new Error(`bad key id ${c.keyId}`);
  Buffer.from(c.keyId, 'hex').copy(b, 1);
  uuidBytes(c.eventId).copy(b, 5);
  uuidBytes(c.ticketId).copy(b, 21);
  b.writeUInt16BE(c.categoryNo, 37);
  const a = AUDIENCE_CODES.indexOf(c.audience);
  if (a < 0) throw new Error(`bad audience ${c.audience}`);
  b[39] = a;
  b.writeUInt32BE(c.validFrom, 40);
  b.writeUInt32BE(c.validUntil, 44);
  return b;
}

export function decodeBody(b: Buffer): TicketClaims | null {
  if (b.length < BODY_LEN || b[0] !== TOKEN_VERSION || b[39] >= AUDIENCE_CODES.length) return null;
  return {
    keyId: b.subarray(1, 5).toString('hex'),
    eventId: uuidText(b.subarray(5, 21)),
    ticketId: uuidText(b.subarray(21, 37)),
    categoryNo: b.readUInt16BE(37),
    audience: AUDIENCE_CODES[b[39]],
    validFrom: b.readUInt32BE(40),
    validUntil: b.readUInt32BE(44),
  };
}

const message = (body: Uint8Array): Buffer => Buffer.concat([DOMAIN, body]);

/** Signs claims with the secret key of `claims.keyId`; returns the base64url token. */
export function signTicket(claims: TicketClaims, secretKey: Uint8Array): string {
  const body = encodeBody(claims);
  return Buffer.concat([body, sign(message(body), secretKey)]).toString('base64url');
}

/** Reads the claims without checking the signature (for display and error messages only). */
export function peekTicket(token: string): TicketClaims | null {
  const raw = decodeToken(token);
  return raw ? decodeBody(raw) : null;
}

function decodeToken(token: string): Buffer | null {
  if (
    typeof token !== 'string' ||
    token.length !== Math.ceil((TOKEN_LEN * 4) / 3) ||
    !/^[A-Za-z0-9_-]+$/.test(token)
  )
    return null;
  const raw = Buffer.from(token, 'base64url');
  return raw.length === TOKEN_LEN ? raw : null;
}

/**
 * Offline verification against the published keys (key id → Ed25519 public key). Checks format
 * and signature only; validity window, revocation and double entry are the door's business.
 */
export function verifyTicket(token: string, keys: ReadonlyMap<string, Uint8Array>): VerifyResult {
  const raw = decodeToken(token);
  if (!raw) return { ok: false, reason: 'malformed' };
  const body = raw.subarray(0, BODY_LEN);
  const claims = decodeBody(body);
  if (!claims) return { ok: false, reason: 'malformed' };
  const pk = keys.get(claims.keyId);
  if (!pk) return { ok: false, reason: 'unknown-key' };
  if (!verify(raw.subarray(BODY_LEN), message(body), pk)) return { ok: false, reason: 'bad-signature' };
  return { ok: true, claims };
}
