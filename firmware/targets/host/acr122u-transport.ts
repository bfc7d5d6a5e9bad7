/**
 * The PN532 inside an ACR122U, as a `Pn532Transport`: the portable Pn532Driver (and the card
 * poller, the NTAG 424 reader… above it) runs unchanged and its frames are carried as Direct
 * Transmit pseudo-APDUs. The driver speaks UM0701 frames; this transport translates:
 * - a command frame `00 00 FF LEN LCS D4 cmd params DCS 00` → `FF 00 00 00 Lc D4 cmd params`,
 *   acknowledged at once (the reader has taken the command), then the answer
 *   `D5 cmd+1 params 90 00` → the response frame the chip would have sent;
 * - an ACK from the driver (abort after its timeout) → the answer still in flight is dropped;
 * - a NACK (resend) → the last response frame again.
 * A reader-level failure (63 00, another status word, a malformed answer, a PC/SC error) is
 * logged with its reason and reaches the driver as the PN532 error frame, so the command fails
 * at once ('pn532-syntax-error', counted by the driver's watchdog) instead of timing out.
 */
import { type Clock, pn532 } from '@tibillet/firmware';
import { directTransmit, MAX_PN532_BODY, parseDirectTransmit } from './acr122u-apdu.js';
import type { ApduLink } from './pcsc-link.js';

export class Acr122uTransport implements pn532.Pn532Transport {
  /** Reader-level failures so far (each also logged). */
  failures = 0;
  private cb: (this: void, bytes: number[]) => void = () => {};
  private readonly decoder = new pn532.FrameDecoder(pn532.TFI_HOST);
  /** Bumped by every abort: an answer to an older generation is stale. */
  private generation = 0;
  private lastResponse: number[] = [];

  constructor(
    private readonly link: ApduLink,
    private readonly clock: Clock,
    private readonly log: (line: string) => void = () => {},
  ) {}

  send(frame: number[]): void {
    const events = this.decoder.push(frame);
    for (const ev of events) {
      if (ev.type === 'ack') this.generation++;
      else if (ev.type === 'nack') {
        if (this.lastResponse.length > 0) this.deliver(this.lastResponse);
      } else if (ev.type === 'response') this.command(ev.command, ev.params);
      else
        this.log(
          `acr122u: the driver sent an unusable frame (${ev.type === 'invalid' ? ev.reason : ev.type})`,
        );
    }
  }

  onReceive(cb: (this: void, bytes: number[]) => void): void {
    this.cb = cb;
  }

  /** The ACR122U's own firmware keeps its PN532 awake: nothing to do. */
  setAsleep(): void {}

  idle(): void {}

  private command(code: number, params: number[]): void {
    const gen = this.generation;
    // The ACR122U has taken the command: the PN532 ACK the driver waits for.
    this.later(gen, pn532.ACK_FRAME);
    if (params.length + 1 > MAX_PN532_BODY) {
      this.fail(
        gen,
        `PN532 command 0x${code.toString(16)} with ${params.length} parameter bytes does not fit a Direct Transmit`,
      );
      return;
    }
    this.link.exchange(directTransmit([code, ...params]), (err, answer) => {
      if (gen !== this.generation) {
        this.log(`acr122u: dropping the late answer to PN532 command 0x${code.toString(16)} (aborted)`);
        return;
      }
      if (err !== undefined) return this.fail(gen, err);
      const r = parseDirectTransmit(answer, code);
      if (!r.ok) return this.fail(gen, `${r.reason}: ${r.detail}`);
      this.lastResponse = pn532.responseFrame(code + 1, r.value);
      this.later(gen, this.lastResponse);
    });
  }

  private fail(gen: number, why: string): void {
    this.failures++;
    this.log(`acr122u: ${why}`);
    this.later(gen, pn532.ERROR_FRAME);
  }

  /**
   * On a later tick, in order, unless aborted meanwhile: the ACK always reaches the driver
   * before the answer, even from a link that calls back at once.
   */
  private later(gen: number, frame: number[]): void {
    this.clock.setTimeout(() => {
      if (gen === this.generation) this.deliver(frame);
    }, 0);
  }

  private deliver(frame: number[]): void {
    this.cb(frame.slice());
  }
}
