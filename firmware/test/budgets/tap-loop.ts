/**
 * A booted, connected Espruino bundle in the shim and a loop of paid taps: a signed charge comes
 * down, a card is placed on the simulated PN532, the signed tap goes up, the signed result comes
 * down, the card leaves. `measure()` counts what the bundle keeps alive (closure-walk.ts).
 * Shared by the allocation budget test and the targets bench.
 */
import { pn532, protocol } from '@tibillet/firmware';
import { downSigner, downTopic, KEY, provision, TAP_LOOP_NET, UID } from '../device.js';
import { createRig, type Rig } from '../espruino/rig.js';
import { ClosureWalker, type WalkCount } from './closure-walk.js';

export interface TapLoop {
  rig: Rig;
  /** Runs `n` paid taps; throws if one does not publish a valid signed tap. */
  taps(n: number): void;
  /** What the bundle keeps alive now, plus its live timers. */
  measure(): WalkCount & { timers: number };
  close(): void;
}

type Sign = ReturnType<typeof downSigner>;

/** The bundle booted in the shim as dev-1, its broker connected, and a signer of its down messages. */
export function connectedRig(bundle: string): { rig: Rig; sign: Sign } {
  const rig = createRig(bundle, { storage: { 'tb.prov': provision(TAP_LOOP_NET).record } });
  rig.shim.boot();
  rig.shim.advance(500);
  rig.shim.mqttConnected();
  return { rig, sign: downSigner(1000) };
}

/**
 * Paid tap number `n` on a connected rig: the signed charge comes down, the card is placed, the
 * signed tap goes up, the signed result comes down, the card leaves. Throws unless exactly one
 * signed tap went up in the round (a heartbeat may have gone up too).
 */
export function payTap(rig: Rig, sign: Sign, n: number): void {
  const from = rig.published.length;
  rig.shim.mqttMessage(downTopic('charge'), sign('charge', { ref: `t${n}`, amt: 250 }));
  rig.sim.placeCard(pn532.uidCard(UID));
  rig.shim.advance(120);
  const tapped = rig.published.slice(from).filter((p) => p.topic.endsWith('/up/tap'));
  const r = protocol.verify(tapped.length === 1 ? tapped[0].payload : '', KEY, -1);
  if (!r.ok) throw new Error(`tap ${n}: ${tapped.length} taps published, expected one signed tap`);
  const tx = (r.message.b as { tx: string }).tx;
  rig.shim.mqttMessage(
    downTopic('result'),
    sign('result', { tx, ok: true, amt: 250, bal: [{ a: 'EUR', v: 1000 }] }),
  );
  rig.sim.removeCard();
  rig.shim.advance(3000);
}

/** A booted, connected bundle and a loop of paid taps (shared with the bench). */
export function tapLoop(bundle: string): TapLoop {
  const { rig, sign } = connectedRig(bundle);
  let tap = 0;
  const walker = new ClosureWalker(rig.shim.context, []);
  return {
    rig,
    taps(count) {
      for (let i = 0; i < count; i++, tap++) {
        payTap(rig, sign, tap);
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
