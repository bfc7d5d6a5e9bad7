/**
 * A booted, connected Espruino bundle in the shim and a loop of paid taps: a signed charge comes
 * down, a card is placed on the simulated PN532, the signed tap goes up, the signed result comes
 * down, the card leaves. `measure()` counts what the bundle keeps alive (closure-walk.ts).
 * Shared by the allocation budget test and the targets bench.
 */
import { pn532, protocol } from '@tibillet/firmware';
import { createRig, type Rig } from '../espruino/rig.js';
import { ClosureWalker, type WalkCount } from './closure-walk.js';

const KEY = '4f'.repeat(32);
const DEVICE = 'dev-1';
const UID = [0x04, 0xde, 0x5f, 0x1e, 0xac, 0xc0, 0x40];
const PROV = protocol.encodeCanonical({
  venue: 'bar',
  device: DEVICE,
  key: KEY,
  ssid: 'w',
  pass: 'p',
  mqtt: 'h',
  board: 'esp32-devkitc',
});
const down = (k: string) => `tb/v1/bar/dev/${DEVICE}/down/${k}`;

export interface TapLoop {
  rig: Rig;
  /** Runs `n` paid taps; throws if one does not publish a valid signed tap. */
  taps(n: number): void;
  /** What the bundle keeps alive now, plus its live timers. */
  measure(): WalkCount & { timers: number };
  close(): void;
}

/** A booted, connected bundle and a loop of paid taps (shared with the bench). */
export function tapLoop(bundle: string): TapLoop {
  const rig = createRig(bundle, { storage: { 'tb.prov': PROV } });
  rig.shim.boot();
  rig.shim.advance(500);
  rig.shim.mqttConnected();
  let n = 1000;
  let tap = 0;
  const sign = (k: string, b: unknown) => protocol.sign({ v: 1, k, d: DEVICE, n: ++n, b } as never, KEY);
  const walker = new ClosureWalker(rig.shim.context, []);
  return {
    rig,
    taps(count) {
      for (let i = 0; i < count; i++, tap++) {
        rig.shim.mqttMessage(down('charge'), sign('charge', { ref: `t${tap}`, amt: 250 }));
        rig.sim.placeCard(pn532.uidCard(UID));
        rig.shim.advance(120);
        // the tap (a heartbeat may have gone up in the same round)
        const tapped = rig.published.filter((p) => p.topic.endsWith('/up/tap'));
        const r = protocol.verify(tapped.length === 1 ? tapped[0].payload : '', KEY, -1);
        if (!r.ok) throw new Error(`tap ${tap}: ${tapped.length} taps published, expected one signed tap`);
        const tx = (r.message.b as { tx: string }).tx;
        rig.shim.mqttMessage(
          down('result'),
          sign('result', { tx, ok: true, amt: 250, bal: [{ a: 'EUR', v: 1000 }] }),
        );
        rig.sim.removeCard();
        rig.shim.advance(3000);
        // The rig's recordings are the test's memory, not the bundle's: keep them small.
        rig.published.length = 0;
        rig.screens.length = 0;
        rig.pins.length = 0;
        rig.logs.length = 0;
        rig.uartWrites.length = 0;
        rig.sim.commands.length = 0;
      }
    },
    measure() {
      // The bundle's callbacks held by the shim (timers, UART / MQTT / pin listeners) are roots too.
      const v = walker.closureVariables(rig.shim.advance) as {
        timers?: { cb: unknown }[];
        serialListeners?: Record<string, unknown[]>;
        mqttHandlers?: Record<string, unknown[]>;
        watches?: Record<string, unknown[]>;
      };
      if (!Array.isArray(v.timers))
        throw new Error('tap loop: the Espruino shim no longer keeps its timers in `timers`');
      const roots: unknown[] = [];
      for (const t of v.timers ?? []) roots.push(t.cb);
      for (const table of [v.serialListeners, v.mqttHandlers, v.watches])
        for (const k of Object.keys(table ?? {})) roots.push(...(table as Record<string, unknown[]>)[k]);
      return { ...walker.count(roots), timers: rig.shim.timerCount() };
    },
    close: () => walker.close(),
  };
}
