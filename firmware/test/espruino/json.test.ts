/**
 * The Espruino build's JSON (targets/espruino/json.ts: the interpreter's JSON.parse plus the
 * protocol's checks, the core's canonical encoder) against the portable parser (src/util/json.ts).
 * The codec is bundled here the way scripts/build-espruino.mjs routes it (every import of
 * src/util/json.js from src/ goes to targets/espruino/json.ts) and run in a fresh V8 context: it
 * must give the golden vectors' answers and agree with the portable codec everywhere except the
 * differences docs/protocol.md lists ("JSON on Espruino"), which are pinned below.
 * (Node's JSON.parse stands in for Espruino's: the interpreter's own leniencies are documented,
 * not tested.)
 */
import { join } from 'node:path';
import vm from 'node:vm';
import { protocol } from '@tibillet/firmware';
import { build } from 'esbuild';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseJson as portableParse } from '../../src/util/json.js';
import signVectors from '../vectors/protocol-sign.json' with { type: 'json' };
import verifyVectors from '../vectors/protocol-verify.json' with { type: 'json' };
import { FW } from './rig.js';

interface EspruinoCodec {
  verify: typeof protocol.verify;
  sign: typeof protocol.sign;
  parseJson: typeof portableParse;
  encodeCanonical: typeof protocol.encodeCanonical;
}

let esp: EspruinoCodec;
beforeAll(async () => {
  const entry = [
    "export { sign, verify } from './src/protocol/codec.ts';",
    "export { parseJson, encodeCanonical } from './src/util/json.ts';",
  ].join('\n');
  const src = join(FW, 'src');
  const out = await build({
    stdin: { contents: entry, resolveDir: FW, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'codec',
    target: 'es2015',
    logLevel: 'silent',
    plugins: [
      {
        name: 'as-on-espruino',
        setup(b) {
          b.onResolve({ filter: /(^|\/)json\.(js|ts)$/ }, (a) =>
            a.importer.startsWith(src) || a.importer === '<stdin>' || a.importer.endsWith('entry.ts')
              ? { path: join(FW, 'targets/espruino/json.ts') }
              : undefined,
          );
        },
      },
    ],
  });
  const text = out.outputFiles[0].text;
  expect(text).toContain('JSON.parse'); // the routed parser, not the portable one
  esp = vm.runInNewContext(`${text};codec`, {}) as EspruinoCodec;
}, 60_000);

/** Plain data across the two V8 contexts (their prototypes differ). */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe('Espruino JSON (native JSON.parse + checks)', () => {
  it('verify: every golden vector gets the same answer as on the other targets', () => {
    // documented: duplicate keys are not a JSON error natively; that vector fails at the MAC instead
    const differs: { [name: string]: string } = { 'duplicate-key': 'bad-mac' };
    const got = verifyVectors.map((v) => {
      const r = esp.verify(v.payload, v.keyHex, v.lastCounter);
      return `${v.name}: ${r.ok ? 'ok' : r.reason}`;
    });
    const want = verifyVectors.map(
      (v) => `${v.name}: ${differs[v.name] ?? (v.expect.ok ? 'ok' : v.expect.reason)}`,
    );
    expect(got).toEqual(want);
    for (const v of verifyVectors) {
      const r = esp.verify(v.payload, v.keyHex, v.lastCounter);
      const p = protocol.verify(v.payload, v.keyHex, v.lastCounter);
      if (r.ok && p.ok) expect(plain(r.message)).toEqual(plain(p.message));
    }
  });

  it('sign: byte-identical payloads (the canonical encoder is the core one)', () => {
    for (const v of signVectors) expect(esp.sign(v.message as never, v.keyHex)).toBe(v.payload);
  });

  it('agrees with the portable parser on any JSON text (outside the documented differences)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 7 }), (value) => {
        const text = JSON.stringify(value);
        // documented: \u escapes above U+001F (JSON.stringify writes lone surrogates so) and "__proto__"
        fc.pre(!/\\u(?!00[01])/.test(text) && !text.includes('"__proto__"'));
        const a = esp.parseJson(text, 5);
        const b = portableParse(text, 5);
        expect(a.ok).toBe(b.ok);
        if (a.ok && b.ok) expect(plain(a.value)).toEqual(plain(b.value));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the portable parser on mutated payloads: same verify reason', () => {
    const key = '4f'.repeat(32);
    const payload = protocol.sign(
      {
        v: 1,
        k: 'result',
        d: 'dev-1',
        n: 7,
        b: { tx: 'dev-1-3', ok: true, amt: 450, bal: [{ a: 'EUR', v: 1550 }], lines: ['Merci é'] },
      },
      key,
    );
    expect(esp.verify(payload, key, -1).ok).toBe(true);
    fc.assert(
      fc.property(
        fc.nat({ max: payload.length - 1 }),
        fc.constantFrom(...'{}[]":,0123456789.-e \\ntruefalsenull'.split('')),
        (at, ch) => {
          const text = payload.substring(0, at) + ch + payload.substring(at + 1);
          const a = esp.verify(text, key, -1);
          const b = protocol.verify(text, key, -1);
          // documented: the native parser takes 1.0, 1e2 and duplicate keys (the MAC then decides)
          if (a.ok !== b.ok || (!a.ok && !b.ok && a.reason !== b.reason)) {
            expect(b.ok ? '' : b.reason).toBe('bad-json');
            expect(/\d[.eE]\d|"(\w+)":.*"\1":/.test(text)).toBe(true);
          } else if (!a.ok && !b.ok) expect(a.reason).toBe(b.reason);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('the documented differences, and the refusals both parsers share', () => {
    const both = (text: string) => [esp.parseJson(text, 5).ok, portableParse(text, 5).ok];
    // refused by both
    for (const t of [
      '{"a":null}',
      '[1.5]',
      '{"__proto__":{"x":1}}',
      '{"constructor":1}',
      '{"a":{"prototype":1}}',
      '[9007199254740992]',
      '[-9007199254740992]',
      '[[[[[[1]]]]]]',
      '{"a":1,}',
      '',
      '{"a":1} x',
      '"\u0001"',
    ])
      expect(both(t), t).toEqual([false, false]);
    // accepted by both, same value
    for (const t of [
      '[[[[[1]]]]]',
      '[9007199254740991,-9007199254740991]',
      '{"a":"\\u001f\\n\\"é"}',
      '-0',
      'true',
    ]) {
      expect(both(t), t).toEqual([true, true]);
      const a = esp.parseJson(t, 5);
      const b = portableParse(t, 5);
      if (a.ok && b.ok) expect(plain(a.value)).toEqual(plain(b.value));
    }
    // Espruino refuses, the portable parser accepts
    for (const t of ['{"a":"\\u00e9"}', '{"a":"\\ud83d\\ude00"}', '{"a":"__proto__"}'])
      expect(both(t), t).toEqual([false, true]);
    // Espruino accepts (the MAC still covers the canonical re-encoding), the portable parser refuses
    for (const t of ['{"a":1,"a":2}', '{"a":1.0}', '{"a":1e2}']) expect(both(t), t).toEqual([true, false]);
    expect(esp.parseJson('{"a":1,"a":2}', 5)).toMatchObject({ ok: true, value: { a: 2 } });
    // a backslash before a `u` is not an escape of it
    expect(both('{"a":"C:\\\\users"}')).toEqual([true, true]);
  });
});
