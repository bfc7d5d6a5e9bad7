// Wallet payment QR: the holder's wallet page shows a short-lived token the venue's POS scans to
// charge the card's wallet without the card (a phone instead). Verifiable offline by the gateway
// with the federation's published Ed25519 keys (the ticket keys: one key set to publish and
// rotate; the domain string keeps a ticket signature from ever passing as a payment token and
// the reverse).
//
//   0        version (1)
//   1..4     key id (first 4 bytes of SHA-256(public key))
//   5        card UID length L (4, 7 or 10: ISO 14443 single, double, triple size)
//   6..5+L   card UID
//   +0..3    valid until (u32 BE, epoch seconds)
//   +4..11   nonce (8 random bytes: a POS accepts a token once)
//   then     Ed25519 signature of DOMAIN ‖ all the bytes above
//
// Text form in the QR: "TBPAY1." + base64url(bytes) (a scanned ticket or URL is told apart).
import { randomBytes } from 'node:crypto';
import { sign, verify } from '../transparency/ed25519.js';

export const PAY_PREFIX = 'TBPAY1.';
const VERSION = 1;
const DOMAIN = Buffer.from('tibillet/wallet-pay/v1\n');
/** Long enough to show the QR at the counter, short enough that a photo of it soon expires. */
export const PAY_TOKEN_SECONDS = 120;

export interface PayClaims {
  keyId: string;
  /** Card UID, upper-case hex. */
  uid: string;
  /** Epoch seconds. */
  validUntil: number;
  /** 16 hex digits. */
  nonce: string;
}

export type PayVerifyFailure = 'malformed' | 'unknown-key' | 'bad-signature' | 'expired';
export type PayVerifyResult = { ok: true; claims: PayClaims } | { ok: false; reason: PayVerifyFailure };

function encode(c: PayClaims): Buffer {
  if (!/^[0-9a-f]{8}$/.test(c.keyId)) throw new Error(`bad key id ${c.keyId}`);
  if (!/^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/.test(c.uid)) throw new Error(`bad card UID ${c.uid}`);
  if (!/^[0-9a-f]{16}$/.test(c.nonce)) throw new Error(`bad nonce ${c.nonce}`);
  const uid = Buffer.from(c.uid, 'hex');
  const b = Buffer.alloc(6 + uid.length + 12);
  b[0] = VERSION;
  Buffer.from(c.keyId, 'hex').copy(b, 1);
  b[5] = uid.length;
  uid.copy(b, 6);
  b.writeUInt32BE(c.validUntil, 6 + uid.length);
  Buffer.from(c.nonce, 'hex').copy(b, 10 + uid.length);
  return b;
}

function decode(b: Buffer): PayClaims | null {
  if (b.length < 6 || b[0] !== VERSION || ![4, 7, 10].includes(b[5])) return null;
  const l = b[5];
  if (b.length !== 6 + l + 12 + 64) return null;
  return {
    keyId: b.subarray(1, 5).toString('hex'),
    uid: b
      .subarray(6, 6 + l)
      .toString('hex')
      .toUpperCase(),
    validUntil: b.readUInt32BE(6 + l),
    nonce: b.subarray(10 + l, 18 + l).toString('hex'),
  };
}

/** A fresh token for the card, signed with the active key. */
export function signPayToken(
  uid: string,
  signer: { keyId: string; secretKey: Uint8Array },
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  const body = encode({
    keyId: signer.keyId,
    uid: uid.toUpperCase(),
    validUntil: nowSeconds + PAY_TOKEN_SECONDS,
    nonce: randomBytes(8).toString('hex'),
  });
  const sig = sign(Buffer.concat([DOMAIN, body]), signer.secretKey);
  return PAY_PREFIX + Buffer.concat([body, sig]).toString('base64url');
}

/** Format, key, signature and expiry. Single use (the nonce) is the POS's business. */
export function verifyPayToken(
  text: string,
  keys: ReadonlyMap<string, Uint8Array>,
  nowSeconds = Math.floor(Date.now() / 1000),
): PayVerifyResult {
  if (typeof text !== 'string' || !text.startsWith(PAY_PREFIX) || text.length > 200)
    return { ok: false, reason: 'malformed' };
  const b64 = text.slice(PAY_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(b64)) return { ok: false, reason: 'malformed' };
  const raw = Buffer.from(b64, 'base64url');
  const claims = decode(raw);
  if (!claims) return { ok: false, reason: 'malformed' };
  const pk = keys.get(claims.keyId);
  if (!pk) return { ok: false, reason: 'unknown-key' };
  const bodyLen = raw.length - 64;
  if (!verify(raw.subarray(bodyLen), Buffer.concat([DOMAIN, raw.subarray(0, bodyLen)]), pk))
    return { ok: false, reason: 'bad-signature' };
  if (claims.validUntil < nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
