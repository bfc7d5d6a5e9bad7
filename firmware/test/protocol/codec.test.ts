import { createHash, createHmac } from 'node:crypto';
import { protocol } from '@tibillet/firmware';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacSha256 } from '../../src/util/hmac.js';
import { sha256 } from '../../src/util/sha256.js';
import { referenceCanonical } from './reference.js';

const key = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const wrongKey = '10112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const idArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/);
const tapArb = fc.record({
  v: fc.constant(1),
  k: fc.constant('tap' as const),
  d: idArb,
  n: fc.integer({ min: 0, max: 2 ** 40 }),
  b: fc.record(
    {
      tx: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
      uid: fc.constantFrom('04DE5F1EACC040', 'A1B2C3D4', '0102030405060708090A'),
      mode: fc.constantFrom('cashier', 'topup', 'balance', 'door'),
      amt: fc.integer({ min: 0, max: 100_000_000 }),
      cart: fc.array(
        fc.record({
          sku: fc.stringMatching(/^[a-z0-9-]{1,32}$/),
          qty: fc.integer({ min: 1, max: 999 }),
          price: fc.integer({ min: 0, max: 10_000_000 }),
        }),
        { maxLength: 5 },
      ),
    },
    { requiredKeys: ['tx', 'uid', 'mode'] },
  ),
});
const logArb = fc.record({
  v: fc.constant(1),
  k: fc.constant('log' as const),
  d: idArb,
  n: fc.nat(),
  b: fc.record({
    lvl: fc.constant('info'),
    code: fc.constant('x'),
    text: fc.string({ unit: 'grapheme', maxLength: 60 }),
  }),
});

describe('protocol.sign / protocol.verify', () => {
  it('round-trips any valid message, and the payload is the canonical encoding', () => {
    fc.assert(
      fc.property(fc.oneof(tapArb, logArb), (msg) => {
        const payload = protocol.sign(msg as never, key);
        expect(payload).toBe(referenceCanonical(JSON.parse(payload)));
        const r = protocol.verify(payload, key, msg.n - 1);
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.message).toEqual(msg);
        expect(protocol.verify(payload, key, msg.n)).toMatchObject({ ok: false, reason: 'replay' });
        expect(protocol.verify(payload, wrongKey, -1)).toMatchObject({ ok: false, reason: 'bad-mac' });
      }),
      { numRuns: 500 },
    );
  });

  it('never throws and never accepts a mutated payload signed with another key', () => {
    const base = protocol.sign(
      { v: 1, k: 'tap', d: 'dev-1', n: 9, b: { tx: 't9', uid: 'A1B2C3D4', mode: 'cashier', amt: 100 } },
      key,
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc
            .tuple(fc.nat(base.length), fc.nat(base.length), fc.string({ maxLength: 8 }))
            .map(([a, b, s]) => base.slice(0, Math.min(a, b)) + s + base.slice(Math.max(a, b))),
        ),
        (input) => {
          const r = protocol.verify(input, wrongKey, -1);
          expect(r.ok).toBe(false);
          const r2 = protocol.verify(input, key, -1);
          if (r2.ok) expect(referenceCanonical(JSON.parse(input))).toBeTypeOf('string');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rejects oversized payloads before parsing and names a bad field', () => {
    expect(protocol.verify('x'.repeat(4096), key, -1)).toMatchObject({ ok: false, reason: 'too-large' });
    expect(protocol.verify(`"${'é'.repeat(1100)}"`, key, -1)).toMatchObject({
      ok: false,
      reason: 'too-large',
    });
    const p = protocol.sign({ v: 1, k: 'heartbeat', d: 'dev-1', n: 1, b: { up: 1, q: 0 } }, key);
    expect(protocol.verify(p.replace('"q":0', '"q":"0"'), key, -1)).toEqual({
      ok: false,
      reason: 'bad-field',
      detail: 'b.q',
    });
    expect(protocol.verify('[1,2]', key, -1)).toMatchObject({ ok: false, reason: 'bad-json' });
    expect(protocol.verify('{"v":1,"k":"heartbeat","d":"x","n":1,"b":null,"m":"00"}', key, -1)).toMatchObject(
      { ok: false, reason: 'bad-json' },
    );
  });

  it('refuses to sign with a short or non-hex key (a programming error, so it throws)', () => {
    const msg = { v: 1, k: 'heartbeat' as const, d: 'd', n: 1, b: { up: 1, q: 0 } };
    expect(() => protocol.sign(msg, 'abcd')).toThrow(/key/);
    expect(() => protocol.sign(msg, 'zz'.repeat(32))).toThrow(/key/);
  });
});

describe('canonical JSON', () => {
  it('encodes like sorted JSON.stringify and parses back', () => {
    const jsonArb = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: 'grapheme' }),
        fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
        fc.boolean(),
        fc.array(tie('value'), { maxLength: 4 }),
        // Keys that look like array indices are ordered first by JS objects themselves, which
        // would make the JSON.stringify reference disagree: the protocol's keys are names.
        fc.dictionary(
          fc
            .string({ minLength: 1, maxLength: 6 })
            .filter((k) => !/^\d+$/.test(k) && !['__proto__', 'constructor', 'prototype'].includes(k)),
          tie('value'),
          {
            minKeys: 1,
            maxKeys: 4,
          },
        ),
      ),
    })).value;
    fc.assert(
      fc.property(jsonArb, (v) => {
        const s = protocol.encodeCanonical(v as never);
        expect(s).toBe(referenceCanonical(v));
        const back = protocol.parseJson(s, 64);
        expect(back).toEqual({ ok: true, value: v });
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['{"a":1,"a":2}', 'duplicate-key'],
    ['{"__proto__":{"x":1}}', 'forbidden-key'],
    ['1.5', 'not-an-integer'],
    ['1e3', 'not-an-integer'],
    ['012', 'leading-zero'],
    ['12345678901234567890', 'integer-too-large'],
    ['[1,]', 'unexpected-character'],
    ['null', 'null-not-allowed'],
    ['"\u0001"', 'control-character-in-string'],
    ['"\\x"', 'bad-escape'],
    ['[[[[[[1]]]]]]', 'too-deep'],
    ['{} x', 'trailing-characters'],
  ])('rejects %s (%s)', (text, reason) => {
    expect(protocol.parseJson(text, 5)).toEqual({ ok: false, reason });
  });

  it('decodes \\u escapes, surrogate pairs included', () => {
    expect(protocol.parseJson('"\\u00e9\\ud83d\\ude00"', 2)).toEqual({ ok: true, value: 'é😀' });
  });
});

describe('pure SHA-256 / HMAC (the Espruino and Lua fallback)', () => {
  it('matches node:crypto on random inputs and keys', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 100 }), (data, k) => {
        expect(Buffer.from(sha256([...data])).toString('hex')).toBe(
          createHash('sha256').update(data).digest('hex'),
        );
        expect(Buffer.from(hmacSha256([...k], [...data])).toString('hex')).toBe(
          createHmac('sha256', k).update(data).digest('hex'),
        );
      }),
      { numRuns: 300 },
    );
  });
});
