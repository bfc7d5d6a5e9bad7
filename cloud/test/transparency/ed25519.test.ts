// Ed25519 signatures of checkpoints, cosignatures, ticket and pay tokens: RFC 8032 §7.1 vectors,
// and refusals that never throw.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, keyIdOf, publicKeyOf, sign, verify } from '../../src/transparency/ed25519.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// RFC 8032 §7.1, TEST 1, 2 and 3: secret key, public key, message, signature.
const RFC8032 = [
  [
    '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    '',
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  ],
  [
    '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    '72',
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  ],
  [
    'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    'af82',
    '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  ],
] as const;

describe('Ed25519', () => {
  it.each(RFC8032)('RFC 8032 vector: key %s derives, signs and verifies as published', (sk, pk, msg, sig) => {
    expect(toHex(publicKeyOf(hex(sk)))).toBe(pk);
    expect(toHex(sign(hex(msg), hex(sk)))).toBe(sig);
    expect(verify(hex(sig), hex(msg), hex(pk))).toBe(true);
  });

  it('refuses, without throwing, a changed message, signature or key and malformed inputs', () => {
    const kp = generateKeyPair();
    const other = generateKeyPair();
    const msg = randomBytes(80);
    const sig = sign(msg, kp.secretKey);
    expect(verify(sig, msg, kp.publicKey)).toBe(true);
    const flipped = Uint8Array.from(msg);
    flipped[5] ^= 1;
    expect(verify(sig, flipped, kp.publicKey)).toBe(false);
    for (const i of [0, 31, 32, 63]) {
      const bad = Uint8Array.from(sig);
      bad[i] ^= 0x80;
      expect(verify(bad, msg, kp.publicKey)).toBe(false);
    }
    expect(verify(sig, msg, other.publicKey)).toBe(false);
    expect(verify(sig.subarray(0, 63), msg, kp.publicKey)).toBe(false);
    expect(verify(new Uint8Array(64), msg, kp.publicKey)).toBe(false);
    expect(verify(sig, msg, new Uint8Array(32).fill(0xff))).toBe(false);
    expect(verify(sig, msg, kp.publicKey.subarray(0, 31))).toBe(false);
    expect(() => sign(msg, new Uint8Array(31))).toThrow(/32 bytes/);
  });

  it('keys from generateKeyPair sign and verify; key ids are 8 bytes of SHA-256 of the key', () => {
    const kp = generateKeyPair();
    expect(kp.secretKey).toHaveLength(32);
    expect(toHex(publicKeyOf(kp.secretKey))).toBe(toHex(kp.publicKey));
    expect(verify(sign(new Uint8Array(0), kp.secretKey), new Uint8Array(0), kp.publicKey)).toBe(true);
    expect(keyIdOf(hex(RFC8032[0][1]))).toMatch(/^[0-9a-f]{16}$/);
  });
});
