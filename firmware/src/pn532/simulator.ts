/**
 * PN532 simulator: the chip's side of the UM0701 frames, over HSU (a Serial), I2C or SPI, with
 * scriptable cards and fault injection. Portable (same subset as the driver) so the Espruino
 * and Lua targets reuse it in their tests; all timing goes through the Clock it is given.
 *
 * Behaviour modelled: ACK right after each well-formed command, the response after a
 * processing delay; an ACK from the host aborts the command; a NACK makes it send its last
 * response again; syntax errors (unknown command, bad parameters) answer the error frame;
 * in HSU mode the chip starts asleep and ignores everything until a 0x55 wake-up byte
 * (after power-on, hard reset and PowerDown); InListPassiveTarget honours MaxRetries
 * (0xFF: waits until a card comes), InDataExchange answers status 0x01 when the card has left.
 */
import type { Clock, I2C, Serial, SPI } from '../hal/types.js';
import { reverseAll, reverseBits } from './bitrev.js';
import { FrameDecoder } from './decoder.js';
import { ACK_FRAME, CMD, ERROR_FRAME, responseFrame, TFI_HOST } from './frame.js';
import { serialPair } from './serial-pair.js';
import { I2C_ADDRESS } from './transport-i2c.js';
import { SPI_DR, SPI_DW, SPI_SR } from './transport-spi.js';

/**
 * A card in the simulated field. Card emulators (UID-only, NTAG21x, NTAG 424 DNA…) implement it.
 *
 * - `uid`: NFCID1, 4, 7 or 10 bytes.
 * - `atqa`: SENS_RES as the PN532 reports it, 2 bytes, e.g. [0x00, 0x44] for NTAG21x.
 * - `sak`: SEL_RES, e.g. 0x00 NTAG21x, 0x08 MIFARE Classic 1K, 0x20 NTAG 424 DNA (ISO 14443-4).
 * - `ats`: the ATS, TL byte first; the PN532 sends RATS itself and appends the ATS to the
 *   InListPassiveTarget response when `sak & 0x20`.
 * - `exchange(data)`: what the card answers to the bytes of an InDataExchange (after Tg): a
 *   native command (NTAG READ `30 pp`…) or an ISO 7816 APDU for 14443-4 cards, answer with
 *   its SW1 SW2. Return the answer bytes (the simulator adds status 0x00), `[]` for silence
 *   (status 0x01, timeout), or a number to report that PN532 status instead (e.g. 0x14 MIFARE
 *   authentication error, 0x02 CRC error). Absent: the card never answers (UID-only card).
 * - `onSelect()`: the card was (re)selected by InListPassiveTarget: reset session state
 *   (e.g. an NTAG 424 authentication). `onRelease()`: InRelease deselected it.
 */
export interface SimCard {
  uid: number[];
  atqa: number[];
  sak: number;
  ats?: number[];
  exchange?(data: number[]): number[] | number;
  onSelect?(): void;
  onRelease?(): void;
}

/** A card that only has a UID (what the terminal needs from cheap MIFARE/NTAG cards). ATQA from the UID size. */
export function uidCard(uid: number[], sak?: number): SimCard {
  const atqaLow = uid.length === 4 ? 0x04 : uid.length === 7 ? 0x44 : 0x84;
  return {
    uid: uid.slice(0),
    atqa: [0x00, atqaLow],
    sak: sak === undefined ? (uid.length === 4 ? 0x08 : 0x00) : sak,
  };
}

/** Faults the simulator injects; counters decrement as they are used. Tests set them directly. */
export interface SimFaults {
  /** The next n ACK frames are lost on the wire (the commands still run and answer). */
  dropAcks: number;
  /** The next n command frames are lost entirely (no ACK, no response). */
  deafFrames: number;
  /** The next n responses go out with a wrong DCS (a NACK gets the intact one). */
  corruptResponses: number;
  /** Garbage sent before every frame. */
  noise: number[];
  /** Added to every response delay (slow chip). */
  extraDelayMs: number;
  /** The chip has hung: it ignores everything until hardReset(). */
  hung: boolean;
}

export interface SimOptions {
  clock: Clock;
  /** GetFirmwareVersion answer (default IC 0x32, Ver 1, Rev 6, Support 7). */
  firmware?: number[];
  /** Processing time of a command before its response (default 1 ms). */
  responseDelayMs?: number;
  /** Time of one passive activation attempt (default 5 ms). */
  searchMs?: number;
  /** Time the PN532 waits for a silent card before status 0x01 (default 10 ms). */
  rfTimeoutMs?: number;
  /** Start awake (HSU mode starts asleep, as after power-on). */
  awake?: boolean;
}

const MODE_HSU = 0;
const MODE_POLLED = 1;

export class Pn532Simulator {
  readonly faults: SimFaults = {
    dropAcks: 0,
    deafFrames: 0,
    corruptResponses: 0,
    noise: [],
    extraDelayMs: 0,
    hung: false,
  };
  /** Codes of the commands received and executed, in order. */
  readonly commands: number[] = [];
  /** Hard resets so far. */
  resets = 0;

  private readonly clock: Clock;
  private readonly firmware: number[];
  private readonly responseDelayMs: number;
  private readonly searchMs: number;
  private readonly rfTimeoutMs: number;
  private decoder = new FrameDecoder(TFI_HOST);
  private mode = MODE_HSU;
  private asleep: boolean;
  private serialOut: Serial | undefined;
  private outbox: number[][] = [];
  private timers: number[] = [];
  private processing = false;
  private lastResponse: number[] = [];
  private field: SimCard | undefined;
  private selected: SimCard | undefined;
  private passiveRetries = 0xff;
  /** An InListPassiveTarget is searching (true) and answers when a card arrives. */
  private searching = false;

  constructor(opts: SimOptions) {
    this.clock = opts.clock;
    this.firmware = opts.firmware === undefined ? [0x32, 0x01, 0x06, 0x07] : opts.firmware;
    this.responseDelayMs = opts.responseDelayMs === undefined ? 1 : opts.responseDelayMs;
    this.searchMs = opts.searchMs === undefined ? 5 : opts.searchMs;
    this.rfTimeoutMs = opts.rfTimeoutMs === undefined ? 10 : opts.rfTimeoutMs;
    this.asleep = opts.awake !== true;
  }

  // ---- faces -------------------------------------------------------------------------------

  /** HSU: the host's end of an in-memory UART to the chip. */
  hsu(): Serial {
    const pair = serialPair(this.clock);
    this.attachSerial(pair.b);
    return pair.a;
  }

  /** HSU over an existing byte pipe (e.g. a mock serial port): `serial` is the chip's end. */
  attachSerial(serial: Serial): void {
    this.mode = MODE_HSU;
    this.serialOut = serial;
    serial.onData((bytes) => this.receive(bytes));
  }

  /** I2C bus with the chip at 0x24: every read starts with the status byte (bit 0 = ready). */
  i2c(): I2C {
    this.mode = MODE_POLLED;
    return {
      writeTo: (address: number, bytes: number[]) => {
        if (address === I2C_ADDRESS) this.receive(bytes);
      },
      readFrom: (address: number, length: number) => {
        const out: number[] = [];
        if (address !== I2C_ADDRESS || this.faults.hung || length < 1) return zeros(out, length);
        out.push(this.outbox.length > 0 ? 0x01 : 0x00);
        if (length > 1 && this.outbox.length > 0) {
          // Reading consumes the frame, whole or not (a short read loses the rest: NACK to get it again).
          const frame = this.outbox.shift() as number[];
          for (let i = 0; i < frame.length && out.length < length; i++) out.push(frame[i]);
        }
        return zeros(out, length);
      },
    };
  }

  /** SPI (LSB-first on the wire, so bytes are bit-reversed as the HAL's MSB-first SPI sees them). */
  spi(): SPI {
    this.mode = MODE_POLLED;
    return {
      transfer: (bytes: number[]) => {
        const out: number[] = [];
        if (bytes.length === 0 || this.faults.hung) return zeros(out, bytes.length);
        const op = reverseBits(bytes[0]);
        out.push(0x00);
        if (op === SPI_DW) {
          this.receive(reverseAll(bytes.slice(1)));
        } else if (op === SPI_SR) {
          out.push(reverseBits(this.outbox.length > 0 ? 0x01 : 0x00));
        } else if (op === SPI_DR && this.outbox.length > 0) {
          const frame = this.outbox.shift() as number[];
          for (let i = 0; i < frame.length && out.length < bytes.length; i++) out.push(reverseBits(frame[i]));
        }
        return zeros(out, bytes.length);
      },
    };
  }

  // ---- scripting ---------------------------------------------------------------------------

  /** Puts a card in the field (replacing any other). A waiting InListPassiveTarget finds it. */
  placeCard(card: SimCard): void {
    this.field = card;
    if (this.searching) {
      this.cancelTimers();
      this.later(this.searchMs, () => this.select());
    }
  }

  /** Takes the card out of the field. A selected card stays selected in the chip until it notices. */
  removeCard(): void {
    this.field = undefined;
  }

  fieldCard(): SimCard | undefined {
    return this.field;
  }

  isAsleep(): boolean {
    return this.asleep;
  }

  /** RSTPDN pulse: everything volatile is lost, the chip boots asleep, a hang is cured. */
  hardReset(): void {
    this.cancelTimers();
    this.resets++;
    this.faults.hung = false;
    this.asleep = true;
    this.decoder = new FrameDecoder(TFI_HOST);
    this.outbox = [];
    this.processing = false;
    this.lastResponse = [];
    this.selected = undefined;
    this.passiveRetries = 0xff;
    this.searching = false;
  }

  /** Sends garbage to the host now. */
  sendNoise(bytes: number[]): void {
    this.output(bytes);
  }

  // ---- chip ---------------------------------------------------------------------------------

  private receive(bytes: number[]): void {
    if (this.faults.hung) return;
    let input = bytes;
    if (this.asleep) {
      if (this.mode === MODE_POLLED) {
        this.asleep = false; // addressing the chip wakes it
      } else {
        const w = input.indexOf(0x55);
        if (w < 0) return; // a sleeping chip hears nothing but the wake-up byte
        this.asleep = false;
        input = input.slice(w + 1);
      }
    }
    const events = this.decoder.push(input);
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      if (ev.type === 'response') {
        // `continue` is avoided: typescript-to-lua turns it into goto, which Lua 5.1 lacks
        if (this.faults.deafFrames > 0) this.faults.deafFrames--;
        else this.execute(ev.command, ev.params);
      } else if (ev.type === 'ack') {
        this.abort();
      } else if (ev.type === 'nack') {
        if (!this.processing && this.lastResponse.length > 0) this.output(this.lastResponse);
      }
      // invalid frames are ignored: the host's timeout deals with them
    }
  }

  private abort(): void {
    this.cancelTimers();
    this.processing = false;
    this.searching = false;
  }

  private execute(code: number, p: number[]): void {
    this.abort(); // a new command supersedes an unfinished one
    this.commands.push(code);
    this.processing = true;
    if (this.faults.dropAcks > 0) this.faults.dropAcks--;
    else this.output(ACK_FRAME); // HSU delivery is asynchronous anyway (serial pipe)
    const delay = this.responseDelayMs + this.faults.extraDelayMs;
    if (code === CMD.GetFirmwareVersion) {
      this.respond(code, this.firmware, delay);
    } else if (code === CMD.SAMConfiguration) {
      if (p.length < 1 || p[0] < 1 || p[0] > 4) this.syntaxError(delay);
      else this.respond(code, [], delay);
    } else if (code === CMD.RFConfiguration) {
      this.rfConfiguration(p, delay);
    } else if (code === CMD.InListPassiveTarget) {
      if (p.length < 2 || p[0] < 1 || p[0] > 2) this.syntaxError(delay);
      else if (p[1] !== 0x00)
        this.respond(code, [0x00], delay + this.searchMs); // only type A cards here
      else this.list(delay);
    } else if (code === CMD.InDataExchange) {
      if (p.length < 1) this.syntaxError(delay);
      else this.later(delay, () => this.exchange(p[0], p.slice(1)));
    } else if (code === CMD.InRelease) {
      if (p.length !== 1) this.syntaxError(delay);
      else this.release(p[0], delay);
    } else if (code === CMD.PowerDown) {
      if (p.length < 1) this.syntaxError(delay);
      else this.respond(code, [0x00], delay, () => (this.asleep = this.mode === MODE_HSU));
    } else {
      this.syntaxError(delay);
    }
  }

  private rfConfiguration(p: number[], delay: number): void {
    // Item → number of configuration bytes (UM0701 §7.3.1).
    const sizes: { [item: string]: number } = {
      '1': 1,
      '2': 3,
      '4': 1,
      '5': 3,
      '10': 11,
      '11': 8,
      '12': 3,
      '13': 9,
    };
    const n = p.length > 0 ? sizes['' + p[0]] : undefined;
    if (n === undefined || p.length !== n + 1) {
      this.syntaxError(delay);
      return;
    }
    if (p[0] === 0x05) this.passiveRetries = p[3];
    this.respond(CMD.RFConfiguration, [], delay);
  }

  private list(delay: number): void {
    this.searching = true;
    if (this.field !== undefined) {
      this.later(delay + this.searchMs, () => this.select());
    } else if (this.passiveRetries !== 0xff) {
      this.later(delay + (this.passiveRetries + 1) * this.searchMs, () => {
        this.searching = false;
        this.respond(CMD.InListPassiveTarget, [0x00], 0);
      });
    }
    // 0xFF: search until a card comes (placeCard) or the host aborts with an ACK
  }

  private select(): void {
    const card = this.field;
    this.searching = false;
    if (card === undefined) {
      this.respond(CMD.InListPassiveTarget, [0x00], 0);
      return;
    }
    if (this.selected !== undefined && this.selected !== card && this.selected.onRelease)
      this.selected.onRelease();
    this.selected = card;
    if (card.onSelect) card.onSelect();
    const p = [0x01, 0x01, card.atqa[0], card.atqa[1], card.sak, card.uid.length];
    for (let i = 0; i < card.uid.length; i++) p.push(card.uid[i]);
    if ((card.sak & 0x20) !== 0 && card.ats !== undefined)
      for (let i = 0; i < card.ats.length; i++) p.push(card.ats[i]);
    this.respond(CMD.InListPassiveTarget, p, 0);
  }

  private exchange(tg: number, data: number[]): void {
    const card = this.selected;
    if (card === undefined || tg !== 0x01) {
      this.respond(CMD.InDataExchange, [0x27], 0);
      return;
    }
    if (card !== this.field || card.exchange === undefined) {
      this.respond(CMD.InDataExchange, [0x01], this.rfTimeoutMs);
      return;
    }
    const r = card.exchange(data);
    if (typeof r === 'number') {
      this.respond(CMD.InDataExchange, [r], 0);
    } else if (r.length === 0) {
      this.respond(CMD.InDataExchange, [0x01], this.rfTimeoutMs);
    } else {
      const p = [0x00];
      for (let i = 0; i < r.length; i++) p.push(r[i]);
      this.respond(CMD.InDataExchange, p, 0);
    }
  }

  private release(tg: number, delay: number): void {
    const card = this.selected;
    if (card === undefined || (tg !== 0x00 && tg !== 0x01)) {
      this.respond(CMD.InRelease, [0x27], delay);
      return;
    }
    this.selected = undefined;
    if (card.onRelease) card.onRelease();
    this.respond(CMD.InRelease, [0x00], delay);
  }

  private respond(code: number, params: number[], delay: number, after?: (this: void) => void): void {
    this.later(delay, () => {
      const frame = responseFrame(code + 1, params);
      this.lastResponse = frame;
      this.processing = false;
      if (this.faults.corruptResponses > 0) {
        this.faults.corruptResponses--;
        const bad = frame.slice(0);
        bad[bad.length - 2] = (bad[bad.length - 2] + 1) % 256; // DCS
        this.output(bad);
      } else {
        this.output(frame);
      }
      if (after) after();
    });
  }

  private syntaxError(delay: number): void {
    this.later(delay, () => {
      this.processing = false;
      this.output(ERROR_FRAME);
    });
  }

  private output(frame: number[]): void {
    let bytes = frame;
    if (this.faults.noise.length > 0) {
      bytes = this.faults.noise.slice(0);
      for (let i = 0; i < frame.length; i++) bytes.push(frame[i]);
    }
    if (this.mode === MODE_POLLED) this.outbox.push(bytes);
    else if (this.serialOut !== undefined) this.serialOut.write(bytes);
  }

  private later(ms: number, f: (this: void) => void): void {
    const id = this.clock.setTimeout(() => {
      const k = this.timers.indexOf(id);
      if (k >= 0) this.timers.splice(k, 1);
      f();
    }, ms);
    this.timers.push(id);
  }

  private cancelTimers(): void {
    for (let i = 0; i < this.timers.length; i++) this.clock.clearTimeout(this.timers[i]);
    this.timers = [];
  }
}

function zeros(out: number[], length: number): number[] {
  while (out.length < length) out.push(0x00);
  return out;
}
