// Wallet payment tokens: round trip for every UID size, and each way a forged, altered, expired,
// foreign-key or ticket token is refused with its reason; random garbage never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signTicket, ticketKeyId } from '../../src/ticketing/token.js';
import { generateKeyPair } from '../../src/transparency/ed25519.js';
import {
  PAY_PREFIX,
  PAY_TOKEN_SECONDS,
  signPayToken,
  verifyPayToken,
} from '../../src/wallet-pay/pay-token.js';

const kp = generateKeyPair();
const signer = { keyId: ticketKeyId(kp.publicKey), secretKey: kp.secretKey };
const keys = new Map([[signer.keyId, kp.publicKey]]);
const NOW = 1_800_000_000;

describe('wallet payment tokens', () => {
  it('round-trips 4-, 7- and 10-byte UIDs and stays small enough for a phone QR', () => {
    for (const uid of ['A1B2C3D4', '04a1b2c3d4e5f6', '04A1B2C3D4E5F6A7B8C9']) {
      const t = signPayToken(uid, signer, NOW);
      expect(t.startsWith(PAY_PREFIX)).toBe(true);
      expect(t.length).toBeLessThanOrEqual(130);
      const r = verifyPayToken(t, keys, NOW + 10);
      expect(r).toMatchObject({
        ok: true,
        claims: { uid: uid.toUpperCase(), validUntil: NOW + PAY_TOKEN_SECONDS },
      });
    }
    // two tokens of the same card differ (nonce): a POS can refuse a second use of one
    expect(signPayToken('04A1B2C3D4E5F6', signer, NOW)).not.toBe(signPayToken('04A1B2C3D4E5F6', signer, NOW));
  });

  it('refuses expired, altered, foreign-key and ticket tokens with their reason', () => {
    const t = signPayToken('04A1B2C3D4E5F6', signer, NOW);
    expect(verifyPayToken(t, keys, NOW + PAY_TOKEN_SECONDS + 1)).toEqual({ ok: false, reason: 'expired' });
    // another card's UID in an otherwise valid token
    const raw = Buffer.from(t.slice(PAY_PREFIX.length), 'base64url');
    raw[7] ^= 1;
    expect(verifyPayToken(PAY_PREFIX + raw.toString('base64url'), keys, NOW)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    const other = generateKeyPair();
    const foreign = signPayToken(
      '04A1B2C3D4E5F6',
      { keyId: ticketKeyId(other.publicKey), secretKey: other.secretKey },
      NOW,
    );
    expect(verifyPayToken(foreign, keys, NOW)).toEqual({ ok: false, reason: 'unknown-key' });
    // same key id, wrong secret: a forgery
    const forged = signPayToken('04A1B2C3D4E5F6', { keyId: signer.keyId, secretKey: other.secretKey }, NOW);
    expect(verifyPayToken(forged, keys, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
    const ticket = signTicket(
      {
        keyId: signer.keyId,
        eventId: '00000000-0000-4000-8000-000000000001',
        ticketId: '00000000-0000-4000-8000-000000000002',
        categoryNo: 1,
        audience: 'full',
        validFrom: NOW,
        validUntil: NOW + 3600,
      },
      kp.secretKey,
    );
    expect(verifyPayToken(ticket, keys, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyPayToken(PAY_PREFIX + ticket, keys, NOW).ok).toBe(false);
  });

  it('never throws on garbage (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.uint8Array({ maxLength: 120 }).map((b) => PAY_PREFIX + Buffer.from(b).toString('base64url')),
        ),
        (s) => {
          expect(verifyPayToken(s, keys, NOW).ok).toBe(false);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
