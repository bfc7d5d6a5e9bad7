/**
 * The NodeMCU-Lua build (typescript-to-lua) on real Lua interpreters: the protocol golden vectors
 * (sign and verify) through dist/nodemcu/terminal.lua on lua5.1 + LuaBitOp (NodeMCU's Lua and
 * `bit` module) and dist/nodemcu/lua53/terminal.lua on lua5.3 must give exactly what the host
 * core gives. A missing interpreter fails the test (install: apt-get install -y lua5.1 lua-bitop lua5.3).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { protocol } from '@tibillet/firmware';
import { beforeAll, describe, expect, it } from 'vitest';
import signVectors from '../vectors/protocol-sign.json' with { type: 'json' };
import verifyVectors from '../vectors/protocol-verify.json' with { type: 'json' };
import { LUA_BUNDLE, requireInterpreter } from './interpreter.js';

const here = dirname(fileURLToPath(import.meta.url));
const FW = join(here, '..', '..');
const DRIVER = join(here, 'vectors.lua');
const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
const unhex = (h: string) => Buffer.from(h, 'hex').toString('utf8');

function requests(): string {
  const lines: string[] = [];
  for (const v of signVectors) lines.push(`S ${v.keyHex} ${hex(JSON.stringify(v.message))}`);
  for (const v of verifyVectors) lines.push(`V ${v.keyHex} ${v.lastCounter} ${hex(v.payload)}`);
  return lines.join('\n') + '\n';
}

/** What the host core answers to the same requests, in the driver's output format. */
function hostAnswers(): string[] {
  const out: string[] = [];
  for (const v of signVectors) out.push(`S ${hex(protocol.sign(v.message as never, v.keyHex))}`);
  for (const v of verifyVectors) {
    const r = protocol.verify(v.payload, v.keyHex, v.lastCounter);
    out.push(r.ok ? 'V ok' : `V ${r.reason}`);
  }
  return out;
}

function runLua(bin: string, bundle: string): string[] {
  const r = spawnSync(bin, [DRIVER, bundle], { input: requests(), encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${bin} exited with ${r.status}: ${r.stderr}`);
  return r.stdout.trimEnd().split('\n');
}

beforeAll(() => {
  execFileSync(process.execPath, [join(FW, 'scripts', 'build-lua.mjs')], { stdio: 'pipe' });
}, 60_000);

describe('NodeMCU-Lua build', () => {
  it('is one bundled file per Lua version, plus init.lua with a boot delay', () => {
    const lua51 = readFileSync(join(FW, 'dist/nodemcu/terminal.lua'), 'utf8');
    expect(lua51).not.toMatch(/\bgoto\b/);
    expect(lua51).toMatch(/bit\.band\(/);
    expect(readFileSync(join(FW, 'dist/nodemcu/lua53/terminal.lua'), 'utf8')).not.toMatch(/bit\.band\(/);
    expect(readFileSync(join(FW, 'dist/nodemcu/init.lua'), 'utf8')).toMatch(/BOOT_DELAY_MS = \d+/);
    expect(statSync(join(FW, 'dist/nodemcu/terminal.lua')).size).toBeGreaterThan(1000);
  });

  const targets: [string, string, boolean][] = [
    ['lua5.1', LUA_BUNDLE['lua5.1'], true],
    ['lua5.3', LUA_BUNDLE['lua5.3'], false],
  ];
  for (const [bin, bundle, needsBit] of targets) {
    it(`${bin}: the ${signVectors.length} sign and ${verifyVectors.length} verify vectors give what the host core gives`, () => {
      requireInterpreter(bin, needsBit);
      const got = runLua(bin, join(FW, bundle));
      const want = hostAnswers();
      expect(got).toHaveLength(want.length);
      // Readable diff: decoded payloads side by side.
      const readable = (l: string) =>
        l.startsWith('S ') || l.startsWith('E ') ? `${l[0]} ${unhex(l.slice(2))}` : l;
      expect(got.map(readable)).toEqual(want.map(readable));
      // And the vectors themselves (generated on the host) agree.
      for (let i = 0; i < signVectors.length; i++)
        expect(unhex(got[i].slice(2))).toBe(signVectors[i].payload);
      for (let i = 0; i < verifyVectors.length; i++) {
        const e = verifyVectors[i].expect as { ok: boolean; reason?: string };
        expect(got[signVectors.length + i]).toBe(e.ok ? 'V ok' : `V ${e.reason}`);
      }
    });
  }
});
