/**
 * The gateway's counter on messages to terminals. Terminals refuse a down message whose counter
 * is not above the last one they accepted, so it must keep rising across gateway restarts:
 * blocks are reserved in the journal's meta table ahead of use (one write per 10,000 messages).
 */
import type { Journal } from '../journal/journal.js';

const BLOCK = 10_000;

export class DownCounter {
  private next: number;
  private reserved: number;

  constructor(private readonly journal: Journal) {
    const saved = Number(journal.getMeta('down_reserved') ?? '0');
    this.next = saved + 1; // whatever was used before a crash is below the reservation
    this.reserved = saved;
  }

  take(): number {
    if (this.next > this.reserved) {
      this.reserved = this.next + BLOCK;
      this.journal.setMeta('down_reserved', String(this.reserved));
    }
    return this.next++;
  }
}
