/**
 * The terminal the scripted scenarios drive (conformance test, tap-loop budget, targets bench):
 * dev-1 at the venue bar, its key and provisioning record, a card, and the signed down messages
 * it accepts. No vitest here: the benches import it.
 */
import { protocol } from '@tibillet/firmware';
import type { Provision, TargetDriver } from './conformance/targets.js';

export const KEY = '4f'.repeat(32);
export const VENUE = 'bar';
export const DEVICE = 'dev-1';
export const BOARD = 'esp32-devkitc';
export const UID = [0x04, 0xde, 0x5f, 0x1e, 0xac, 0xc0, 0x40];

/** The provisioning of dev-1; only the network it is told to join differs between callers. */
export function provision(net: { ssid: string; pass: string; mqtt: string }): Provision {
  return {
    venue: VENUE,
    device: DEVICE,
    key: KEY,
    board: BOARD,
    record: protocol.encodeCanonical({
      venue: VENUE,
      device: DEVICE,
      key: KEY,
      ssid: net.ssid,
      pass: net.pass,
      mqtt: net.mqtt,
      board: BOARD,
    }),
  };
}

/** The network of the tap loops (budget test, benches), which only measure: the shortest names. */
export const TAP_LOOP_NET = { ssid: 'w', pass: 'p', mqtt: 'h' };

export const downTopic = (k: string) => `tb/v1/${VENUE}/dev/${DEVICE}/down/${k}`;

/**
 * Signs down messages with the counters after `n`, in call order: a scenario that signs the same
 * calls gives every target the same bytes.
 */
export function downSigner(n: number): (k: 'result' | 'config' | 'charge', b: unknown) => string {
  return (k, b) => protocol.sign({ v: 1, k, d: DEVICE, n: ++n, b } as never, KEY);
}

/** Boots the target (the PN532 wakes up, the network comes up) and lets the broker accept it. */
export async function bootConnected(t: TargetDriver): Promise<void> {
  await t.boot();
  await t.advance(500);
  await t.brokerUp();
  await t.advance(100);
}

/** The tx id of the last tap the target published; its signature must verify. */
export function lastTapTx(t: TargetDriver): string {
  const taps = t.rec.published.filter((p) => p.startsWith(`tb/v1/${VENUE}/dev/${DEVICE}/up/tap `));
  const r = protocol.verify(taps[taps.length - 1].split(' ')[1], KEY, -1);
  if (!r.ok) throw new Error(`${t.name}: invalid tap: ${r.reason}`);
  return (r.message.b as { tx: string }).tx;
}
