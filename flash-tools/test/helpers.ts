/** Test fixtures: small bundles standing in for firmware/dist (written to a temp dir), output capture. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = join(tmpdir(), `tibillet-flash-fixtures-${process.pid}`);
mkdirSync(dir, { recursive: true });

function espruinoFixture(): string {
  let s = '// fixture bundle standing in for firmware/dist/espruino/terminal.js\n';
  s +=
    'var TB = { version: "fixture" };\nfunction onInit() { print("TiBillet terminal " + TB.version + " \\u00e9 é"); }\n';
  for (let i = 0; i < 120; i++) s += `function f${i}(x){return x*${i}+"${'abcdefghij'.repeat(i % 5)}";}\n`;
  return s;
}

function nodemcuFixture(): string {
  let s = '-- fixture bundle standing in for firmware/dist/nodemcu/terminal.lua\nlocal M = {}\n';
  for (let i = 0; i < 60; i++) s += `M.f${i} = function(x) return x * ${i} + ${(i * 7) % 13} end\n`;
  return `${s}print("TiBillet terminal fixture")\nreturn M\n`;
}

export const ESPRUINO_BUNDLE = join(dir, 'terminal.js');
export const NODEMCU_BUNDLE = join(dir, 'terminal.lua');
writeFileSync(ESPRUINO_BUNDLE, espruinoFixture());
writeFileSync(NODEMCU_BUNDLE, nodemcuFixture());

export const bundleBytes = (p: string) => new Uint8Array(readFileSync(p));

/** Collects CLI output. */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    deps: { out: (s: string) => out.push(s), err: (s: string) => err.push(s), progress: false },
  };
}
