import { createHash, createHmac } from 'node:crypto';
import { protocol } from '@tibillet/firmware';
import { nodeCrypto, nodeMac } from '@tibillet/firmware/host';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacSha256 as pureHmac } from '../../src/util/hmac.js';
import signVectors from '../vectors/protocol-sign.json' with { type: 'json' };
import verifyVectors from '../vectors/protocol-verify.json' with { type: 'json' };
import { referenceCanonical, referenceMac } from './reference.js';

describe('golden vectors', () => {
  const providers: [string, protocol.MacProvider][] = [
    ['pure', { hmacSha256: (k, b) => pureHmac(k, b) }],
    ['node:crypto', { hmacSha256: nodeCrypto.hmacSha256 }],
    ['node:crypto hex fast path', nodeMac],
  ];
  for (const [provider, mac] of providers) {
    describe(`with the ${provider} HMAC`, () => {
      beforeAll(() => protocol.setCrypto(mac));
      afterAll(() => protocol.setCrypto({ hmacSha256: nodeCrypto.hmacSha256 }));

      it.each(signVectors.map((v) => [v.name, v] as const))(
        'sign %s reproduces the payload byte for byte',
        (_n, v) => {
          expect(protocol.sign(v.message as never, v.keyHex)).toBe(v.payload);
        },
      );

      it.each(verifyVectors.map((v) => [v.name, v] as const))('verify %s', (_n, v) => {
        const r = protocol.verify(v.payload, v.keyHex, v.lastCounter);
        expect(r.ok).toBe(v.expect.ok);
        if (!r.ok) expect(r.reason).toBe(v.expect.reason);
      });
    });
  }

  it('every sign vector is what an independent implementation computes (sorted JSON.stringify + node:crypto)', () => {
    for (const v of signVectors) {
      const parsed = JSON.parse(v.payload) as Record<string, unknown>;
      expect(referenceCanonical(parsed)).toBe(v.payload);
      expect(parsed.m).toBe(referenceMac(v.keyHex, { ...v.message }));
    }
  });

  it('covers every verify reason', () => {
    const reasons = new Set(verifyVectors.filter((v) => !v.expect.ok).map((v) => v.expect.reason));
    expect([...reasons].sort()).toEqual([
      'bad-field',
      'bad-json',
      'bad-mac',
      'bad-version',
      'replay',
      'too-large',
    ]);
  });

  it('pure SHA-256 and HMAC match node:crypto on the RFC 4231 case 2 and FIPS "abc" vectors', async () => {
    const { sha256 } = await import('../../src/util/sha256.js');
    const { hmacSha256 } = await import('../../src/util/hmac.js');
    const abc = [0x61, 0x62, 0x63];
    expect(Buffer.from(sha256(abc)).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    const key = [...Buffer.from('Jefe')];
    const data = [...Buffer.from('what do ya want for nothing?')];
    expect(Buffer.from(hmacSha256(key, data)).toString('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(createHmac('sha256', 'Jefe').update('what do ya want for nothing?').digest('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(createHash('sha256').update('abc').digest('hex')).toBe(Buffer.from(sha256(abc)).toString('hex'));
  });
});
