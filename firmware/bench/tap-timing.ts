// Time per paid tap on the host core and on the NodeMCU build under lua5.1, over the same
// scripted taps (test/conformance/targets.ts: the same PN532 simulator, the same signed down
// messages). Each tap: charge down → card placed → signed tap up → signed result down → card
// removed, 3.4 s of virtual time with the reader polling every 40 ms.
//   hostTapMs: wall time per tap of the TypeScript core (in process, virtual clock).
//   luaTapMs: wall time per tap driving terminal.lua in lua5.1 through the harness pipe, in lock
//     step with the simulator (includes the pipe round trips: one per timer step).
//   luaTapCpuMs: CPU time per tap of the lua5.1 process alone (from /proc), the interpreter's share.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { protocol } from '@tibillet/firmware';
import { hostTarget, luaTarget, type TargetDriver } from '../test/conformance/targets.js';
import { bootConnected, downSigner, downTopic, KEY, provision, TAP_LOOP_NET, UID } from '../test/device.js';

const PROV = provision(TAP_LOOP_NET);

/** Runs `n` paid taps; returns the wall milliseconds they took. */
async function taps(t: TargetDriver, n: number, first: number): Promise<number> {
  const down = downSigner(1000 + first * 2);
  const started = performance.now();
  for (let i = first; i < first + n; i++) {
    await t.message(downTopic('charge'), down('charge', { ref: `b${i}`, amt: 250 }));
    t.placeCard(UID);
    await t.advance(300);
    // the tap (a heartbeat may have gone up in the same round)
    const tapped = t.rec.published.filter((p) => p.split(' ')[0].endsWith('/up/tap'));
    const r = protocol.verify(tapped.length === 1 ? tapped[0].split(' ')[1] : '', KEY, -1);
    if (!r.ok)
      throw new Error(`${t.name}: tap ${i} published ${tapped.length} taps, expected one signed tap`);
    const tx = (r.message.b as { tx: string }).tx;
    await t.message(
      downTopic('result'),
      down('result', { tx, ok: true, amt: 250, bal: [{ a: 'EUR', v: 1000 }] }),
    );
    t.removeCard();
    await t.advance(3000);
    // keep the recordings small: they are the bench's memory, not the target's
    t.rec.published.length = 0;
    t.rec.uart.length = 0;
    t.rec.screens.length = 0;
  }
  return performance.now() - started;
}

/** utime + stime in ms of this process's child running `match` (Linux /proc), or -1. */
function childCpuMs(match: string): number {
  const tick = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue; // ppid
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes(match)) continue;
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / tick;
    } catch {
      // the process went away while we looked
    }
  }
  return -1;
}

export async function tapTiming(
  fw: string,
  opts = { hostTaps: 300, luaTaps: 60 },
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const host = hostTarget(PROV, '0.1.0');
  await bootConnected(host);
  await taps(host, 20, 0); // warm-up (JIT)
  out['firmware.hostTapMs'] = (await taps(host, opts.hostTaps, 20)) / opts.hostTaps;
  host.close();

  const lua51 = spawnSync('sh', ['-c', 'command -v lua5.1'], { encoding: 'utf8' }).stdout.trim();
  if (lua51 === '') {
    process.stderr.write(
      'tap timing: lua5.1 not installed (apt-get install lua5.1 lua-bitop): Lua keys left out\n',
    );
    return out;
  }
  const lua = luaTarget('lua5.1', join(fw, 'dist/nodemcu/terminal.lua'), PROV);
  try {
    await bootConnected(lua);
    await taps(lua, 5, 0);
    const cpu0 = childCpuMs('harness.lua');
    out['firmware.luaTapMs'] = (await taps(lua, opts.luaTaps, 5)) / opts.luaTaps;
    const cpu1 = childCpuMs('harness.lua');
    if (cpu0 >= 0 && cpu1 >= 0) out['firmware.luaTapCpuMs'] = (cpu1 - cpu0) / opts.luaTaps;
  } finally {
    lua.close();
  }
  return out;
}
