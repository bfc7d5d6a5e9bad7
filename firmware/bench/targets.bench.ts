// Firmware targets: bundle sizes against the budgets, and protocol throughput of the
// Espruino bundle in the Espruino shim (node:vm, none of what Espruino lacks; far faster than a
// real ESP32, so these are relative figures for spotting regressions, not board speeds):
//   firmware.espruinoBundleBytes (the main file), firmware.espruinoDefaultLoadBytes (main file +
//   the Storage modules a default PN532/French terminal loads: tb-pn532, tb-fr),
//   firmware.luaBundleBytes (terminal.lua + init.lua, shipped),
//   firmware.lua53BundleBytes (test variant), firmware.espruinoBudgetBytes / luaBudgetBytes,
//   firmware.espruinoVerifyPerSecond: signed down messages (charge) verified and applied,
//   firmware.espruinoTapsPerSecond: charge → PN532 tap → signed tap published → signed result
//   verified (two verifies and one sign a round, plus the PN532 exchange).
//   firmware.espruinoTapVariables: what the bundle keeps alive after 100 paid taps, counted as
//   Espruino variables (test/budgets/closure-walk.ts); firmware.espruinoTapVariableGrowth: the
//   count after 2,100 taps minus that (must stay 0; test/budgets/tap-alloc.test.ts runs 10,000).
//   firmware.hostTapMs / luaTapMs / luaTapCpuMs: time per paid tap, host core vs lua5.1 (bench/tap-timing.ts).
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { connectedRig, payTap, tapLoop } from '../test/budgets/tap-loop.js';
import { downTopic } from '../test/device.js';
import { buildBundle, FW } from '../test/espruino/rig.js';
import { tapTiming } from './tap-timing.js';

export async function run(): Promise<Record<string, number>> {
  const bundle = buildBundle();
  execFileSync(process.execPath, [join(FW, 'scripts', 'build-lua.mjs')], { stdio: 'pipe' });
  const size = (rel: string) => statSync(join(FW, rel)).size;
  const defaultLoadBytes = () =>
    ['terminal.js', 'tb-pn532.js', 'tb-fr.js'].reduce((t, f) => t + size(`dist/espruino/${f}`), 0);

  const { rig, sign } = connectedRig(bundle);

  const verifies = 2000;
  const charges: string[] = [];
  for (let i = 0; i < verifies; i++) charges.push(sign('charge', { ref: `p${i}`, amt: 100 + i }));
  let t = performance.now();
  for (const c of charges) rig.shim.mqttMessage(downTopic('charge'), c);
  const verifyPerSecond = verifies / ((performance.now() - t) / 1000);

  const taps = 300;
  t = performance.now();
  for (let i = 0; i < taps; i++) payTap(rig, sign, i);
  const tapsPerSecond = taps / ((performance.now() - t) / 1000);

  const loop = tapLoop(bundle);
  loop.taps(100);
  const early = loop.measure();
  loop.taps(2000);
  const late = loop.measure();
  loop.close();
  const timing = await tapTiming(FW);

  return {
    'firmware.espruinoTapVariables': early.variables,
    'firmware.espruinoTapVariableGrowth': late.variables - early.variables,
    ...timing,
    'firmware.espruinoBundleBytes': size('dist/espruino/terminal.js'),
    'firmware.espruinoDefaultLoadBytes': defaultLoadBytes(),
    'firmware.espruinoBudgetBytes': 24 * 1024,
    'firmware.luaBundleBytes': size('dist/nodemcu/terminal.lua') + size('dist/nodemcu/init.lua'),
    'firmware.luaBudgetBytes': 64 * 1024,
    'firmware.lua53BundleBytes': size('dist/nodemcu/lua53/terminal.lua'),
    'firmware.espruinoVerifyPerSecond': Math.round(verifyPerSecond),
    'firmware.espruinoTapsPerSecond': Math.round(tapsPerSecond),
  };
}
