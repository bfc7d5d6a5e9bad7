// Signed compact tickets: offline verification with the published keys, forgery, key rotation,
// and the plain QR pages (HTML, SVG, PNG).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BODY_LEN,
  peekTicket,
  signTicket,
  type TicketClaims,
  TOKEN_LEN,
  ticketKeyId,
  verifyTicket,
} from '../../src/ticketing/token.js';
import { generateKeyPair } from '../../src/transparency/ed25519.js';

describe('ticket tokens (offline)', () => {
  const kp = generateKeyPair();
  const keyId = ticketKeyId(kp.publicKey);
  const keys = new Map([[keyId, kp.publicKey]]);
  const claims: TicketClaims = {
    keyId,
    eventId: randomUUID(),
    ticketId: randomUUID(),
    categoryNo: 3,
    audience: 'reduced',
    validFrom: 1_800_000_000,
    validUntil: 1_800_086_400,
  };

  it('round-trips every claim in 112 bytes (150 base64url characters)', () => {
    const token = signTicket(claims, kp.secretKey);
    expect(TOKEN_LEN).toBe(112);
    expect(token).toMatch(/^[A-Za-z0-9_-]{150}$/);
    expect(verifyTicket(token, keys)).toEqual({ ok: true, claims });
    expect(peekTicket(token)).toEqual(claims);
  });

  it('refuses any altered byte, a foreign key, unknown key ids and garbage', () => {
    const token = signTicket(claims, kp.secretKey);
    const raw = Buffer.from(token, 'base64url');
    for (let i = 0; i < TOKEN_LEN; i++) {
      const bad = Buffer.from(raw);
      bad[i] ^= 0x01;
      const r = verifyTicket(bad.toString('base64url'), keys);
      expect(r.ok, `byte ${i}`).toBe(false);
    }
    // Signed by another key that claims our key id.
    const other = generateKeyPair();
    expect(verifyTicket(signTicket(claims, other.secretKey), keys)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    // A key id nobody published.
    const unknown = signTicket({ ...claims, keyId: ticketKeyId(other.publicKey) }, other.secretKey);
    expect(verifyTicket(unknown, keys)).toEqual({ ok: false, reason: 'unknown-key' });
    for (const junk of ['', 'x', token.slice(1), `${token}A`, token.replace(/.$/, '+'), 'A'.repeat(150)])
      expect(verifyTicket(junk, keys).ok).toBe(false);
    expect(BODY_LEN).toBe(48);
  });
});
