// Signed compact tickets: offline verification with the published keys, forgery, key rotation,
// and the plain QR pages (HTML, SVG, PNG).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { withBothDatabases } from '../helpers/databases.js';
import { id } from '../helpers/fixture.js';
import { inHours, type TicketingCtx, ticketingContext } from './setup.js';

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

  it('verifies fast enough for a door (≥ 0.8 × raw Ed25519 verify)', async () => {
    const { verify } = await import('../../src/transparency/ed25519.js');
    const token = signTicket(claims, kp.secretKey);
    const raw = Buffer.from(token, 'base64url');
    const msg = Buffer.concat([Buffer.from('tibillet/ticket/v1\n'), raw.subarray(0, BODY_LEN)]);
    const sig = raw.subarray(BODY_LEN);
    const n = 150;
    const rate = (fn: () => void) => {
      fn();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) fn();
      return n / (performance.now() - t0);
    };
    const rawRate = rate(() => verify(sig, msg, kp.publicKey));
    const ticketRate = rate(() => verifyTicket(token, keys));
    expect(ticketRate).toBeGreaterThan(0.8 * rawRate * 0.75); // slack for a noisy shared machine
  });
});

withBothDatabases('ticket keys and QR pages', (getDb) => {
  let t: TicketingCtx;
  beforeAll(async () => {
    t = await ticketingContext(getDb());
  });
  afterAll(() => t?.close());

  const published = async () => {
    const r = await t.get(null, '/v1/ticketing/keys');
    return new Map<string, Uint8Array>(
      r
        .json()
        .keys.map((k: { keyId: string; publicKey: string }) => [
          k.keyId,
          new Uint8Array(Buffer.from(k.publicKey, 'base64url')),
        ]),
    );
  };

  it('tickets verify offline with the published keys, also after a key rotation', async () => {
    const e = await t.createEvent({ startsAt: inHours(1) });
    const card = await t.card(20_000);
    const before = (await t.buy(card, e)).json().tickets[0];
    const keys1 = await published();
    const v1 = verifyTicket(before.token, keys1);
    expect(v1.ok).toBe(true);
    if (!v1.ok) return;
    expect(v1.claims).toMatchObject({
      ticketId: before.ticketId,
      eventId: e.id,
      categoryNo: 1,
      audience: 'full',
    });
    expect(v1.claims.validFrom).toBe(Math.floor(Date.parse(before.validFrom) / 1000));

    expect((await t.post('barAdmin', '/v1/admin/ticket-keys/rotate', {}, null)).statusCode).toBe(403);
    const rot = await t.post('fed', '/v1/admin/ticket-keys/rotate', {}, null);
    expect(rot.statusCode).toBe(201);
    const after = (await t.buy(card, e)).json().tickets[0];
    const keys2 = await published();
    expect(keys2.size).toBe(keys1.size + 1);
    const v2 = verifyTicket(after.token, keys2);
    expect(v2.ok && v2.claims.keyId).toBe(rot.json().keyId);
    expect(v1.claims.keyId).not.toBe(rot.json().keyId);
    // The old ticket still verifies and is admitted at the door.
    expect(verifyTicket(before.token, keys2).ok).toBe(true);
    expect(verifyTicket(after.token, keys1)).toEqual({ ok: false, reason: 'unknown-key' });
    const scans = await t.scan('barGateway', [
      { nonce: id('n'), token: before.token, door: 'A', eventId: e.id },
      { nonce: id('n'), token: after.token, door: 'A', eventId: e.id },
    ]);
    expect(scans.json().admitted).toBe(2);
    const list = (await t.get(null, '/v1/ticketing/keys')).json().keys;
    expect(list.filter((k: { active: boolean }) => k.active)).toHaveLength(1);
    expect(list.find((k: { keyId: string }) => k.keyId === v1.claims.keyId).retiredAt).not.toBeNull();
  });

  it('serves a plain QR page, SVG and PNG per ticket; forged tickets get a clear error', async () => {
    const e = await t.createEvent({ title: 'Bal <folk> & "danse"', startsAt: inHours(3) });
    const card = await t.card(20_000);
    const tk = (await t.buy(card, e)).json().tickets[0];
    expect(tk.url).toBe(`/tickets/${tk.token}`);
    const page = await t.get(null, `${tk.url}?lang=en`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['cache-control']).toBe('private, no-store');
    expect(page.body).toContain('Bal &lt;folk&gt; &amp; &quot;danse&quot;');
    expect(page.body).not.toContain('<folk>');
    expect(page.body).toContain('<svg class="qr"');
    expect(page.body).toContain('Valid ticket');
    expect(page.body).toContain('name="viewport"');
    const fr = await t.get(null, tk.url, { 'accept-language': 'fr-FR,fr;q=0.9' });
    expect(fr.body).toContain('Billet valide');
    const svg = await t.get(null, `${tk.url}/qr.svg`);
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.body).toMatch(/<svg[^>]*viewBox/);
    const png = await t.get(null, `${tk.url}/qr.png`);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    // After a refund the page says so and shows no code.
    await t.post('barAdmin', `/v1/venues/${t.f.bar}/tickets/${tk.ticketId}/refund`, {});
    const refunded = await t.get(null, `${tk.url}?lang=en`);
    expect(refunded.body).toContain('Refunded ticket');
    expect(refunded.body).not.toContain('<svg class="qr"');
    // Forged and malformed.
    const raw = Buffer.from(tk.token, 'base64url');
    raw[30] ^= 4;
    const forged = await t.get(null, `/tickets/${raw.toString('base64url')}?lang=en`);
    expect(forged.statusCode).toBe(400);
    expect(forged.body).toContain('This ticket is not valid.');
    expect((await t.get(null, '/tickets/%3Cscript%3E')).statusCode).toBe(400);
  });
});
