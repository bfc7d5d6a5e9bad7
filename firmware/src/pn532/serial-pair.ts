/**
 * Two connected in-memory Serial endpoints, like a UART cable: what one writes arrives at the
 * other's onData on a later clock tick (never inside the write call, as with real hardware).
 */
import type { Clock, Serial } from '../hal/types.js';

export interface SerialPair {
  a: Serial;
  b: Serial;
}

export function serialPair(clock: Clock, latencyMs?: number): SerialPair {
  const delay = latencyMs === undefined ? 0 : latencyMs;
  const sinks: ((this: void, bytes: number[]) => void)[] = [() => {}, () => {}];
  const end = (self: number): Serial => ({
    write: (bytes: number[]) => {
      const copy = bytes.slice(0);
      clock.setTimeout(() => sinks[1 - self](copy), delay);
    },
    onData: (cb: (bytes: number[]) => void) => {
      sinks[self] = cb;
    },
  });
  return { a: end(0), b: end(1) };
}
