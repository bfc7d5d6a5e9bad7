/**
 * Shared logic of the polled interfaces (I2C and SPI): after a frame is written the host polls
 * the chip's ready bit with short timers (never a blocking wait), reads the waiting frame, and
 * keeps polling until the response (not just the ACK) is in. A read cannot know the frame's
 * length beforehand: it reads `readLength` bytes, and if the header announces a longer frame it
 * sends a NACK, which makes the PN532 send the same frame again, and rereads it whole.
 */
import type { Clock } from '../hal/types.js';
import { findStartCode, frameLengthAt, NACK_FRAME } from './frame.js';
import type { Pn532Transport } from './transport.js';

/** The bus operations one interface provides. */
export interface PolledBus {
  /** Writes one frame to the chip. */
  write(frame: number[]): void;
  /** One short status transaction: true when the chip has a frame ready. */
  ready(): boolean;
  /** One read transaction of `n` frame bytes (status byte / SPI opcode already stripped). */
  read(n: number): number[];
}

export interface PolledOptions {
  /** Delay before the first status poll after a write (the PN532 needs ~1 ms in SPI mode). */
  firstPollMs?: number;
  /** Interval between status polls. */
  pollMs?: number;
  /** Bytes read per frame before the header says more are needed. */
  readLength?: number;
}

const MAX_READ = 300;

export class PolledTransport implements Pn532Transport {
  private cb: (this: void, bytes: number[]) => void = () => {};
  private timer = -1;
  private polling = false;
  private readLength: number;
  private nextRead: number;
  private readonly firstPollMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly bus: PolledBus,
    private readonly clock: Clock,
    opts?: PolledOptions,
  ) {
    const o = opts || {};
    this.firstPollMs = o.firstPollMs === undefined ? 1 : o.firstPollMs;
    this.pollMs = o.pollMs === undefined ? 2 : o.pollMs;
    this.readLength = o.readLength === undefined ? 40 : o.readLength;
    this.nextRead = this.readLength;
  }

  send(frame: number[]): void {
    this.stop();
    this.safe(() => this.bus.write(frame));
    // An ACK frame from the host aborts the command: nothing more will come.
    if (frame.length === 6 && frame[3] === 0x00 && frame[4] === 0xff) return;
    this.nextRead = this.readLength;
    this.polling = true;
    this.schedule(this.firstPollMs);
  }

  onReceive(cb: (this: void, bytes: number[]) => void): void {
    this.cb = cb;
  }

  setAsleep(): void {}

  idle(): void {
    this.stop();
  }

  private stop(): void {
    this.polling = false;
    if (this.timer >= 0) this.clock.clearTimeout(this.timer);
    this.timer = -1;
  }

  private schedule(ms: number): void {
    if (this.timer >= 0) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = -1;
      this.poll();
    }, ms);
  }

  /** Bus errors (an I2C NAK, a stretched clock timing out) count as "not ready yet". */
  private safe(f: () => void): void {
    try {
      f();
    } catch (_e) {
      // the next poll or the driver's timeout deals with it
    }
  }

  private isReady(): boolean {
    try {
      return this.bus.ready();
    } catch (_e) {
      return false;
    }
  }

  private readFrame(n: number): number[] {
    try {
      return this.bus.read(n);
    } catch (_e) {
      return [];
    }
  }

  private poll(): void {
    if (!this.polling) return;
    const data = this.isReady() ? this.readFrame(this.nextRead) : [];
    if (data.length === 0) {
      this.schedule(this.pollMs);
      return;
    }
    const s = findStartCode(data, 0);
    const len = s < 0 ? -1 : frameLengthAt(data, s);
    if (len === 0 || (len > 0 && s + len > data.length)) {
      // Cut short: ask for the same frame again and read all of it.
      const want = len > 0 ? s + len + 1 : data.length * 2;
      this.nextRead = Math.min(want, MAX_READ);
      this.safe(() => this.bus.write(NACK_FRAME));
      this.schedule(this.pollMs);
      return;
    }
    this.nextRead = this.readLength;
    const isAck = len === 5 && data[s + 2] === 0x00;
    // Deliver the frame without the read's padding (garbage is delivered whole: the decoder judges).
    const frame = len > 0 ? data.slice(0, s + len) : data;
    // Keep polling after an ACK (the response follows) or garbage (the driver's timers decide).
    if (isAck || len < 0) this.schedule(this.pollMs);
    else this.stop();
    this.cb(frame);
  }
}
