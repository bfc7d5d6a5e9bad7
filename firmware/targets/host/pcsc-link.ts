/**
 * One PC/SC reader as a pipe for ACR122U pseudo-APDUs, one exchange at a time (FIFO).
 *
 * How the bytes travel depends on what the reader holds, as libnfc's acr122_pcsc driver does:
 * - a card is present: SCardConnect(SHARED, T=0|T=1) and SCardTransmit (T=0 answers `61 xx`,
 *   fetched with the reader's GET RESPONSE `FF C0 00 00 xx`);
 * - no card: SCardConnect(DIRECT) and SCardControl(IOCTL_CCID_ESCAPE) with the same bytes.
 * The card leaving (or arriving) makes the current way fail; the link then reconnects the other
 * way and tries the exchange once more. Errors come back as text, never as throws.
 */
import { IOCTL_CCID_ESCAPE } from './acr122u-apdu.js';

/** The part of a `pcsclite` CardReader this link uses: tests pass a double. */
export interface PcscReader {
  readonly name: string;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_SHARE_DIRECT: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_LEAVE_CARD: number;
  connect(
    options: { share_mode: number; protocol: number },
    cb: (err: Error | null | undefined, protocol: number) => void,
  ): void;
  disconnect(disposition: number, cb: (err: Error | null | undefined) => void): void;
  transmit(
    data: Buffer,
    resLen: number,
    protocol: number,
    cb: (err: Error | null | undefined, data: Buffer) => void,
  ): void;
  control(
    data: Buffer,
    code: number,
    resLen: number,
    cb: (err: Error | null | undefined, data: Buffer) => void,
  ): void;
}

/** Where pseudo-APDUs go; the ACR122U transport only needs this. */
export interface ApduLink {
  /** Sends one pseudo-APDU; `cb` gets the reader's answer (data ‖ SW1 SW2) or an error text. */
  exchange(apdu: number[], cb: (err: string | undefined, answer: number[]) => void): void;
  close(): Promise<void>;
}

/** How the link reaches the reader now: not connected, through the card, or directly (escape). */
export type LinkMode = 'none' | 'card' | 'direct';

/** Longest answer we accept: a PN532 frame (264) plus D5, code and the status word, with margin. */
const MAX_ANSWER = 300;

/** PC/SC codes meaning "the card connection is gone or never was": reconnect the other way. */
const CARD_GONE = /0x8010(0069|0068|000c|0067|0066)/i;
/** PC/SC codes meaning "this reader/driver refuses SCardControl escape". */
const NO_ESCAPE = /0x8010(001f|0016|0002)/i;

interface Job {
  apdu: number[];
  cb: (err: string | undefined, answer: number[]) => void;
}

export class PcscLink implements ApduLink {
  mode: LinkMode = 'none';
  /** Exchanges made through SCardTransmit and SCardControl: tests check which way was used. */
  readonly counts = { transmit: 0, control: 0, connects: 0 };
  private protocol = 0;
  private queue: Job[] = [];
  private busy = false;
  private closed = false;
  /** The reader refused escape once: prefer the card connection from then on. */
  private escapeRefused = false;

  constructor(
    private reader: PcscReader,
    private readonly log: (line: string) => void = () => {},
  ) {}

  exchange(apdu: number[], cb: (err: string | undefined, answer: number[]) => void): void {
    if (this.closed) {
      cb(`${this.reader.name}: link closed`, []);
      return;
    }
    this.queue.push({ apdu, cb });
    this.pump();
  }

  /**
   * The reader was unplugged and is back (pcsc-lite announces it as a new reader object): talk
   * to the new one from the next exchange on.
   */
  replaceReader(reader: PcscReader): void {
    this.reader = reader;
    this.mode = 'none';
  }

  async close(): Promise<void> {
    this.closed = true;
    const failed = this.queue.splice(0);
    for (const j of failed) j.cb(`${this.reader.name}: link closed`, []);
    if (this.mode !== 'none') await new Promise<void>((resolve) => this.disconnect(() => resolve()));
  }

  private pump(): void {
    if (this.busy || this.queue.length === 0) return;
    const job = this.queue.shift() as Job;
    this.busy = true;
    this.run(job.apdu, true, (err, answer) => {
      this.busy = false;
      job.cb(err, answer);
      this.pump();
    });
  }

  private run(
    apdu: number[],
    mayRetry: boolean,
    done: (err: string | undefined, answer: number[]) => void,
  ): void {
    this.ensureConnected((err) => {
      if (err !== undefined) return done(err, []);
      const mode = this.mode;
      this.once(apdu, (e, answer) => {
        if (e === undefined) return done(undefined, answer);
        const gone = CARD_GONE.test(e);
        const noEscape = mode === 'direct' && NO_ESCAPE.test(e);
        if (noEscape && !this.escapeRefused) {
          this.escapeRefused = true;
          this.log(
            `${this.reader.name}: SCardControl escape refused (${e}); using the card connection when a card is present`,
          );
        }
        if (mayRetry && !this.closed && (gone || noEscape)) {
          // The card came or went under us: reconnect the other way and try once more.
          this.disconnect(() => this.run(apdu, false, done));
          return;
        }
        done(this.explain(mode, e), []);
      });
    });
  }

  private explain(mode: LinkMode, e: string): string {
    if (mode === 'direct' && NO_ESCAPE.test(e)) {
      return (
        `${this.reader.name}: SCardControl(IOCTL_CCID_ESCAPE) refused (${e}). ` +
        'With no card on the reader the ACR122U is reached through escape commands, which the CCID ' +
        "driver allows only with ifdDriverOptions 0x0001 in libccid's Info.plist (then restart pcscd)"
      );
    }
    return `${this.reader.name}: ${mode === 'card' ? 'SCardTransmit' : 'SCardControl'} failed: ${e}`;
  }

  private once(apdu: number[], cb: (err: string | undefined, answer: number[]) => void): void {
    const data = Buffer.from(apdu);
    if (this.mode === 'card') {
      this.counts.transmit++;
      this.reader.transmit(data, MAX_ANSWER, this.protocol, (err, out) => {
        if (err) return cb(err.message, []);
        const answer = [...out];
        // T=0: the reader says how much it has (61 xx); GET RESPONSE fetches it.
        if (answer.length === 2 && answer[0] === 0x61 && apdu[1] !== 0xc0) {
          this.once([0xff, 0xc0, 0x00, 0x00, answer[1]], cb);
          return;
        }
        cb(undefined, answer);
      });
      return;
    }
    this.counts.control++;
    this.reader.control(data, IOCTL_CCID_ESCAPE, MAX_ANSWER, (err, out) => {
      if (err) return cb(err.message, []);
      cb(undefined, [...out]);
    });
  }

  private ensureConnected(cb: (err: string | undefined) => void): void {
    if (this.mode !== 'none') {
      cb(undefined);
      return;
    }
    const r = this.reader;
    const viaDirect = (cardErr: string) =>
      r.connect({ share_mode: r.SCARD_SHARE_DIRECT, protocol: 0 }, (err) => {
        this.counts.connects++;
        if (err) return cb(`${r.name}: cannot connect (card: ${cardErr}; direct: ${err.message})`);
        this.mode = 'direct';
        this.protocol = 0;
        cb(undefined);
      });
    r.connect(
      { share_mode: r.SCARD_SHARE_SHARED, protocol: r.SCARD_PROTOCOL_T0 | r.SCARD_PROTOCOL_T1 },
      (err, protocol) => {
        this.counts.connects++;
        if (err) return viaDirect(err.message);
        this.mode = 'card';
        this.protocol = protocol;
        cb(undefined);
      },
    );
  }

  private disconnect(cb: () => void): void {
    this.mode = 'none';
    this.reader.disconnect(this.reader.SCARD_LEAVE_CARD, () => cb());
  }
}
