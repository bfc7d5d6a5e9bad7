/**
 * Taps taken while the gateway is unreachable, kept in HAL storage (flash on the device) so they
 * survive a power cut, and drained in order with their original tx ids.
 *
 * Layout: one key per slot (`q0`…`q{capacity-1}`) holding `<adler32>:<body>`, and `qm` holding
 * `<head>,<count>:<adler32>`. A record is written before the meta that makes it visible, so a
 * cut between the two loses nothing already acknowledged to the cashier; a torn record or meta
 * fails its checksum, is dropped, and `corrupt` is reported in the next hello.
 */
import type { Storage } from '../hal/types.js';
import { parseUint } from '../protocol/counter.js';
import { intToString } from '../util/json.js';
import { adler32 } from './checksum.js';

function seal(body: string): string {
  return intToString(adler32(body)) + ':' + body;
}

/** Returns the body, or undefined when the record is missing or torn. */
function unseal(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const colon = raw.indexOf(':');
  if (colon < 1) return undefined;
  const body = raw.substring(colon + 1);
  return parseUint(raw.substring(0, colon)) === adler32(body) ? body : undefined;
}

export class OfflineQueue {
  private head = 0;
  private count = 0;
  /** Storage failed a checksum when loading: reported in the next hello. */
  corrupt = false;

  constructor(
    private readonly storage: Storage,
    readonly capacity: number,
  ) {
    const meta = unseal(storage.read('qm'));
    if (meta === undefined) {
      if (storage.read('qm') !== undefined) this.corrupt = true;
      return;
    }
    const comma = meta.indexOf(',');
    const head = parseUint(meta.substring(0, comma));
    const count = parseUint(meta.substring(comma + 1));
    if (comma < 0 || head < 0 || count < 0 || head >= capacity || count > capacity) {
      this.corrupt = true;
      this.writeMeta();
      return;
    }
    this.head = head;
    this.count = count;
  }

  size(): number {
    return this.count;
  }

  isFull(): boolean {
    return this.count >= this.capacity;
  }

  /** Appends a record; false when full. */
  push(body: string): boolean {
    if (this.isFull()) return false;
    const slot = (this.head + this.count) % this.capacity;
    this.storage.write('q' + intToString(slot), seal(body));
    this.count++;
    this.writeMeta();
    return true;
  }

  /** The oldest intact record (torn ones are dropped and flagged), without removing it. */
  peek(): string | undefined {
    while (this.count > 0) {
      const body = unseal(this.storage.read('q' + intToString(this.head)));
      if (body !== undefined) return body;
      this.corrupt = true;
      this.shift();
    }
    return undefined;
  }

  /** Removes the oldest record (after the gateway acknowledged it). */
  shift(): void {
    if (this.count === 0) return;
    this.storage.erase('q' + intToString(this.head));
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    this.writeMeta();
  }

  private writeMeta(): void {
    this.storage.write('qm', seal(intToString(this.head) + ',' + intToString(this.count)));
  }
}
