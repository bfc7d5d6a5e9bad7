/**
 * Streaming PN532 frame decoder: bytes arrive in arbitrary chunks, possibly with garbage,
 * truncated or corrupted frames; it reports what it recognises and resynchronises on the next
 * `00 FF` start code. It never throws and holds at most one frame (bounded memory).
 *
 * A frame is reported as soon as its DCS byte arrives: the postamble is not waited for, so a
 * missing postamble costs nothing (the next start code is found as usual).
 * When a frame fails (bad LCS/DCS, too long), every byte after its start code is scanned again,
 * because a corrupted frame's LEN may have swallowed the start of the real next frame.
 */
import { MAX_DATA_LENGTH, TFI_CHIP, TFI_ERROR } from './frame.js';

export type DecoderEvent =
  | { type: 'ack' }
  | { type: 'nack' }
  | { type: 'error' }
  /** `command` is the code after the TFI: the response code (command + 1) for chip frames. */
  | { type: 'response'; command: number; params: number[] }
  | { type: 'invalid'; reason: InvalidReason };

/**
 * bad-lcs: length checksum wrong; bad-len: LEN 0 in a normal frame or 0 in an extended one;
 * bad-dcs: data checksum wrong; bad-tfi: well-formed frame with another TFI (e.g. the host's own
 * D4 echoed back); too-short: TFI without a command code; too-long: extended LEN over 264.
 */
export type InvalidReason = 'bad-lcs' | 'bad-len' | 'bad-dcs' | 'bad-tfi' | 'too-short' | 'too-long';

const S_IDLE = 0;
const S_ZERO = 1;
const S_LEN = 2;
const S_LCS = 3;
const S_EXT_M = 4;
const S_EXT_L = 5;
const S_EXT_LCS = 6;
const S_DATA = 7;
const S_DCS = 8;

/** Bytes after a start code the decoder keeps at most: extended header (5) + data + DCS. */
const BUF_SIZE = 5 + MAX_DATA_LENGTH + 1;

export class FrameDecoder {
  private state = S_IDLE;
  /** Bytes received since the current frame's `00 FF` start code. */
  private buf: number[] = [];
  private n = 0;
  private need = 0;
  private sum = 0;
  private dataStart = 0;
  private out: DecoderEvent[] = [];
  private readonly tfi: number;

  /** `tfi`: the frame identifier to accept (D5 on the host; the simulator decodes D4). */
  constructor(tfi?: number) {
    this.tfi = tfi === undefined ? TFI_CHIP : tfi;
    for (let i = 0; i < BUF_SIZE; i++) this.buf.push(0);
  }

  /** Feeds a chunk; returns the events completed by it, in stream order. */
  push(bytes: number[] | Uint8Array): DecoderEvent[] {
    this.out = [];
    // Indexing only: works for number[] and Uint8Array alike (and for Lua tables).
    const arr = bytes as number[];
    const len = arr.length;
    for (let i = 0; i < len; i++) this.feed(arr[i]);
    return this.out;
  }

  /** Forgets any partial frame (e.g. after the chip was reset). */
  reset(): void {
    this.state = S_IDLE;
    this.n = 0;
  }

  private feed(b: number): void {
    const st = this.state;
    if (st === S_DATA) {
      this.buf[this.n++] = b;
      this.sum += b;
      if (--this.need === 0) this.state = S_DCS;
      return;
    }
    if (st === S_IDLE) {
      if (b === 0x00) this.state = S_ZERO;
      return;
    }
    if (st === S_ZERO) {
      if (b === 0xff) {
        this.state = S_LEN;
        this.n = 0;
      } else if (b !== 0x00) this.state = S_IDLE;
      return;
    }
    this.buf[this.n++] = b;
    if (st === S_LEN) {
      this.state = S_LCS;
    } else if (st === S_LCS) {
      const len = this.buf[0];
      if (len === 0x00 && b === 0xff) this.done({ type: 'ack' });
      else if (len === 0xff && b === 0x00) this.done({ type: 'nack' });
      else if (len === 0xff && b === 0xff) this.state = S_EXT_M;
      else if ((len + b) % 256 !== 0) this.fail('bad-lcs');
      else if (len === 0) this.fail('bad-len');
      else this.startData(len, 2);
    } else if (st === S_EXT_M) {
      this.state = S_EXT_L;
    } else if (st === S_EXT_L) {
      this.state = S_EXT_LCS;
    } else if (st === S_EXT_LCS) {
      const m = this.buf[2];
      const l = this.buf[3];
      const len = m * 256 + l;
      if ((m + l + b) % 256 !== 0) this.fail('bad-lcs');
      else if (len === 0) this.fail('bad-len');
      else if (len > MAX_DATA_LENGTH) this.fail('too-long');
      else this.startData(len, 5);
    } else if (st === S_DCS) {
      if ((this.sum + b) % 256 !== 0) this.fail('bad-dcs');
      else this.frame();
    }
  }

  private startData(len: number, dataStart: number): void {
    this.need = len;
    this.sum = 0;
    this.dataStart = dataStart;
    this.state = S_DATA;
  }

  /** A checksum-valid information frame is in buf[dataStart .. n-1) (the DCS is last). */
  private frame(): void {
    const ds = this.dataStart;
    const end = this.n - 1;
    const tfi = this.buf[ds];
    if (tfi === this.tfi) {
      if (end - ds < 2) {
        this.done({ type: 'invalid', reason: 'too-short' });
        return;
      }
      const params: number[] = [];
      for (let i = ds + 2; i < end; i++) params.push(this.buf[i]);
      this.done({ type: 'response', command: this.buf[ds + 1], params });
    } else if (tfi === TFI_ERROR && end - ds === 1) {
      this.done({ type: 'error' });
    } else {
      this.done({ type: 'invalid', reason: 'bad-tfi' });
    }
  }

  private done(ev: DecoderEvent): void {
    this.out.push(ev);
    this.state = S_IDLE;
    this.n = 0;
  }

  /** Reports the failure, then rescans every byte after the failed frame's start code. */
  private fail(reason: InvalidReason): void {
    this.out.push({ type: 'invalid', reason });
    const replay: number[] = [];
    for (let i = 0; i < this.n; i++) replay.push(this.buf[i]);
    this.state = S_IDLE;
    this.n = 0;
    for (let i = 0; i < replay.length; i++) this.feed(replay[i]);
  }
}
