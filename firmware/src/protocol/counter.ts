/**
 * The per-device up counter, persisted across reboots without a flash write per message.
 * Storage holds a reservation R: every value below R may have been used. At boot the counter
 * restarts at R and immediately reserves R + BLOCK; while sending, the reservation is moved
 * forward a block at a time. A power cut therefore skips at most BLOCK values and never reuses
 * one (a reused value would be rejected by the gateway as a replay), and the flash sees one write
 * per BLOCK messages instead of one per message.
 */
import type { Storage } from '../hal/types.js';
import { intToString } from '../util/json.js';

export const COUNTER_BLOCK = 64;

/** Decimal digits only, at most 16 of them (2^53 - 1 has 16), else -1. */
export function parseUint(s: string): number {
  if (s.length === 0 || s.length > 16) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

export class Counter {
  private value: number;
  private reserved: number;

  constructor(
    private readonly storage: Storage,
    private readonly key: string,
    private readonly block: number = COUNTER_BLOCK,
  ) {
    const raw = storage.read(key);
    const stored = raw === undefined ? -1 : parseUint(raw);
    this.value = stored < 0 ? 0 : stored;
    this.reserved = this.value + block;
    storage.write(key, intToString(this.reserved));
  }

  /** The next counter value (strictly greater than every value returned before, across reboots). */
  next(): number {
    this.value++;
    if (this.value >= this.reserved) {
      this.reserved = this.value + this.block;
      this.storage.write(this.key, intToString(this.reserved));
    }
    return this.value;
  }

  /** The last value returned (or the restart point before the first next()). */
  current(): number {
    return this.value;
  }
}
