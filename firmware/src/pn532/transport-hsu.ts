/**
 * HSU (high-speed UART, 115200 8N1) transport. The PN532 sleeps after power-on, reset and
 * PowerDown; in HSU mode it only wakes on a long preamble `55 55 00 00 …`, which is sent in
 * the same write as the next frame so nothing can slip in between.
 */
import type { Serial } from '../hal/types.js';
import { HSU_WAKEUP } from './frame.js';
import type { Pn532Transport } from './transport.js';

export const HSU_BAUD = 115200;

export class HsuTransport implements Pn532Transport {
  private asleep = true;
  private cb: (this: void, bytes: number[]) => void = () => {};

  constructor(private readonly serial: Serial) {
    serial.onData((bytes) => this.cb(bytes));
  }

  send(frame: number[]): void {
    if (!this.asleep) {
      this.serial.write(frame);
      return;
    }
    this.asleep = false;
    const out: number[] = [];
    for (let i = 0; i < HSU_WAKEUP.length; i++) out.push(HSU_WAKEUP[i]);
    for (let i = 0; i < frame.length; i++) out.push(frame[i]);
    this.serial.write(out);
  }

  onReceive(cb: (this: void, bytes: number[]) => void): void {
    this.cb = cb;
  }

  setAsleep(): void {
    this.asleep = true;
  }

  idle(): void {}
}
