/**
 * MFRC522 ("RC522") driver over SPI: chip initialisation, ISO/IEC 14443-3 type A activation
 * (WUPA, ANTICOLLISION and SELECT through cascade levels 1..3, so 4-, 7- and 10-byte UIDs), HLTA,
 * and CRC_A computed by the chip's coprocessor (CalcCRC). The chip's own timer ends a Transceive
 * with no answer (25 ms: no card); a host-side deadline catches a chip that does not answer at all
 * ('rc522-timeout': unplugged, wrong wiring, MISO stuck).
 * One operation at a time (the reader loop in terminal/reader-rc522.ts serialises them); all waits
 * are HAL timers, never a busy loop.
 */
import type { Clock, SPI } from '../hal/types.js';
import {
  ANTENNA_ON,
  BitFramingReg,
  CMD_CALC_CRC,
  CMD_IDLE,
  CMD_SOFT_RESET,
  CMD_TRANSCEIVE,
  CollReg,
  ComIrqReg,
  CommandReg,
  CRCResultRegH,
  CRCResultRegL,
  DIVIRQ_CRC,
  DivIrqReg,
  ERR_COLL,
  ERR_FATAL,
  ErrorReg,
  FIFO_FLUSH,
  FIFODataReg,
  FIFOLevelReg,
  IRQ_RX_IDLE,
  IRQ_TIMER,
  ModeReg,
  ModWidthReg,
  NVB_ANTICOLL,
  NVB_SELECT,
  PICC_CT,
  PICC_HLTA,
  PICC_SEL,
  PICC_WUPA,
  RxModeReg,
  SAK_CASCADE,
  START_SEND,
  spiAddress,
  TModeReg,
  TPrescalerReg,
  TReloadRegH,
  TReloadRegL,
  TxASKReg,
  TxControlReg,
  TxModeReg,
  VersionReg,
} from './registers.js';

/**
 * reason: 'rc522-no-chip' (VersionReg reads 00/FF or a register does not keep what was written),
 * 'rc522-timeout' (the chip did not finish in time), 'rc522-collision', 'rc522-protocol-error'
 * (parity, buffer overflow, framing), 'rc522-crc-error', 'rc522-bad-answer' (wrong length or BCC).
 */
export type Rc522Result<T> = { ok: true; value: T } | { ok: false; reason: string };
export type Rc522Callback<T> = (this: void, r: Rc522Result<T>) => void;

export interface Rc522Card {
  /** UID, 4, 7 or 10 bytes. */
  uid: number[];
  sak: number;
  atqa: number[];
}

export interface Rc522Options {
  spi: SPI;
  clock: Clock;
  /** ms between two reads of an interrupt register while waiting (default 2). */
  pollMs?: number;
  /** Host-side limit of one chip operation, ms (default 60; the chip's own receive timeout is 25). */
  deadlineMs?: number;
  /** Hard reset (pulse NRSTPD low), then done(); run before each init when wired. */
  reset?: (this: void, done: (this: void) => void) => void;
}

/** VersionReg 0x91 is MFRC522 v1.0, 0x92 v2.0; clones answer other values (0x88, 0x12, 0xB2). */
export function rc522VersionName(v: number): string {
  if (v === 0x91) return '1.0';
  if (v === 0x92) return '2.0';
  return '0x' + (v < 16 ? '0' : '') + v.toString(16);
}

function fail<T>(cb: Rc522Callback<T>, reason: string): void {
  cb({ ok: false, reason });
}

export class Rc522Driver {
  /** SPI transactions so far (tests count round trips). */
  transfers = 0;
  private readonly spi: SPI;
  private readonly clock: Clock;
  private readonly pollMs: number;
  private readonly deadlineMs: number;
  private readonly resetHook: ((this: void, done: (this: void) => void) => void) | undefined;

  constructor(opts: Rc522Options) {
    this.spi = opts.spi;
    this.clock = opts.clock;
    this.pollMs = opts.pollMs === undefined ? 2 : opts.pollMs;
    this.deadlineMs = opts.deadlineMs === undefined ? 60 : opts.deadlineMs;
    this.resetHook = opts.reset;
  }

  // ---- register access (data sheet §8.1.2) ----

  readReg(reg: number): number {
    this.transfers++;
    const r = this.spi.transfer([spiAddress(reg, true), 0]);
    return r.length > 1 ? r[1] & 0xff : 0;
  }

  writeReg(reg: number, value: number): void {
    this.transfers++;
    this.spi.transfer([spiAddress(reg, false), value & 0xff]);
  }

  private readFifo(n: number): number[] {
    if (n === 0) return [];
    const out: number[] = [];
    const addr = spiAddress(FIFODataReg, true);
    for (let i = 0; i < n; i++) out.push(addr);
    out.push(0);
    this.transfers++;
    const r = this.spi.transfer(out);
    const bytes: number[] = [];
    for (let i = 1; i <= n; i++) bytes.push(r.length > i ? r[i] & 0xff : 0);
    return bytes;
  }

  private writeFifo(data: number[]): void {
    const out = [spiAddress(FIFODataReg, false)];
    for (let i = 0; i < data.length; i++) out.push(data[i]);
    this.transfers++;
    this.spi.transfer(out);
  }

  /** Polls `reg` until one of `mask`'s bits is set (cb gets the value) or the deadline (undefined). */
  private waitFor(reg: number, mask: number, cb: (this: void, v: number | undefined) => void): void {
    const start = this.clock.now();
    const check = (): void => {
      const v = this.readReg(reg);
      if ((v & mask) !== 0) cb(v);
      else if (this.clock.now() - start >= this.deadlineMs) cb(undefined);
      else this.clock.setTimeout(check, this.pollMs);
    };
    check();
  }

  // ---- chip ----

  /** (Hard reset,) SoftReset, timer 25 ms, 100 % ASK, CRC preset 6363, antenna on; cb gets VersionReg. */
  init(cb: Rc522Callback<number>): void {
    const configure = (): void => {
      this.writeReg(CommandReg, CMD_SOFT_RESET);
      // The oscillator restarts after a soft reset (~38 ms, data sheet §8.8.2).
      this.clock.setTimeout(() => {
        const version = this.readReg(VersionReg);
        if (version === 0x00 || version === 0xff) return fail(cb, 'rc522-no-chip');
        if ((this.readReg(CommandReg) & 0x10) !== 0) return fail(cb, 'rc522-timeout'); // still powered down
        this.writeReg(TxModeReg, 0x00);
        this.writeReg(RxModeReg, 0x00);
        this.writeReg(ModWidthReg, 0x26);
        // Timer starts at the end of each transmission: f = 13.56 MHz / (2 * 0xA9 + 1) = 40 kHz,
        // reload 1000: 25 ms without an answer ends the Transceive with TimerIRq.
        this.writeReg(TModeReg, 0x80);
        this.writeReg(TPrescalerReg, 0xa9);
        this.writeReg(TReloadRegH, 0x03);
        this.writeReg(TReloadRegL, 0xe8);
        this.writeReg(TxASKReg, 0x40);
        this.writeReg(ModeReg, 0x3d);
        if (this.readReg(TPrescalerReg) !== 0xa9) return fail(cb, 'rc522-no-chip');
        this.writeReg(TxControlReg, this.readReg(TxControlReg) | ANTENNA_ON);
        cb({ ok: true, value: version });
      }, 50);
    };
    if (this.resetHook !== undefined) this.resetHook(configure);
    else configure();
  }

  /** CRC_A of `data` by the chip's coprocessor, low byte first. */
  calcCrc(data: number[], cb: Rc522Callback<number[]>): void {
    this.writeReg(CommandReg, CMD_IDLE);
    this.writeReg(DivIrqReg, DIVIRQ_CRC); // clear CRCIRq
    this.writeReg(FIFOLevelReg, FIFO_FLUSH);
    this.writeFifo(data);
    this.writeReg(CommandReg, CMD_CALC_CRC);
    this.waitFor(DivIrqReg, DIVIRQ_CRC, (v) => {
      this.writeReg(CommandReg, CMD_IDLE);
      if (v === undefined) return fail(cb, 'rc522-timeout');
      cb({ ok: true, value: [this.readReg(CRCResultRegL), this.readReg(CRCResultRegH)] });
    });
  }

  /**
   * Sends `data` (the last byte's `txLastBits` bits only, 0 = all 8) and receives the card's
   * answer; `undefined` when no card answered before the chip's timer ran out.
   */
  transceive(data: number[], txLastBits: number, cb: Rc522Callback<number[] | undefined>): void {
    this.writeReg(CommandReg, CMD_IDLE);
    this.writeReg(ComIrqReg, 0x7f); // clear every interrupt request bit
    this.writeReg(FIFOLevelReg, FIFO_FLUSH);
    this.writeFifo(data);
    this.writeReg(BitFramingReg, txLastBits);
    this.writeReg(CommandReg, CMD_TRANSCEIVE);
    this.writeReg(BitFramingReg, txLastBits | START_SEND);
    this.waitFor(ComIrqReg, IRQ_RX_IDLE | IRQ_TIMER, (irq) => {
      if (irq === undefined) {
        this.writeReg(CommandReg, CMD_IDLE);
        return fail(cb, 'rc522-timeout');
      }
      if ((irq & IRQ_RX_IDLE) === 0) return cb({ ok: true, value: undefined });
      const err = this.readReg(ErrorReg);
      if ((err & ERR_FATAL) !== 0) return fail(cb, 'rc522-protocol-error');
      if ((err & ERR_COLL) !== 0) return fail(cb, 'rc522-collision');
      cb({ ok: true, value: this.readFifo(this.readReg(FIFOLevelReg) & 0x7f) });
    });
  }

  /** WUPA (wakes IDLE and HALT cards): the ATQA, or undefined when no card is in the field. */
  wakeUpA(cb: Rc522Callback<number[] | undefined>): void {
    this.writeReg(CollReg, this.readReg(CollReg) & 0x7f); // ValuesAfterColl = 0
    this.transceive([PICC_WUPA], 7, (r) => {
      if (!r.ok || r.value === undefined) return cb(r);
      if (r.value.length !== 2) return fail(cb, 'rc522-bad-answer');
      cb(r);
    });
  }

  /** ANTICOLLISION + SELECT, cascade level after level, until the SAK says the UID is complete. */
  select(cb: Rc522Callback<{ uid: number[]; sak: number }>): void {
    const uid: number[] = [];
    const level = (lv: number): void => {
      const sel = PICC_SEL[lv];
      this.transceive([sel, NVB_ANTICOLL], 0, (a) => {
        if (!a.ok) return cb(a);
        const b = a.value;
        if (b === undefined || b.length !== 5 || (b[0] ^ b[1] ^ b[2] ^ b[3]) !== b[4])
          return fail(cb, 'rc522-bad-answer');
        const frame = [sel, NVB_SELECT, b[0], b[1], b[2], b[3], b[4]];
        this.calcCrc(frame, (c) => {
          if (!c.ok) return cb(c);
          frame.push(c.value[0]);
          frame.push(c.value[1]);
          this.transceive(frame, 0, (s) => {
            if (!s.ok) return cb(s);
            const sak = s.value;
            if (sak === undefined || sak.length !== 3) return fail(cb, 'rc522-bad-answer');
            this.calcCrc([sak[0]], (sc) => {
              if (!sc.ok) return cb(sc);
              if (sc.value[0] !== sak[1] || sc.value[1] !== sak[2]) return fail(cb, 'rc522-crc-error');
              if ((sak[0] & SAK_CASCADE) === 0) {
                for (let i = 0; i < 4; i++) uid.push(b[i]);
                return cb({ ok: true, value: { uid, sak: sak[0] } });
              }
              if (b[0] !== PICC_CT || lv + 1 >= PICC_SEL.length) return fail(cb, 'rc522-bad-answer');
              for (let i = 1; i < 4; i++) uid.push(b[i]);
              level(lv + 1);
            });
          });
        });
      });
    };
    level(0);
  }

  /** HLTA: the card goes to HALT (only WUPA wakes it); it does not answer. */
  haltA(cb: Rc522Callback<boolean>): void {
    const frame = [PICC_HLTA, 0x00];
    this.calcCrc(frame, (c) => {
      if (!c.ok) return cb(c);
      frame.push(c.value[0]);
      frame.push(c.value[1]);
      this.transceive(frame, 0, (r) => cb(r.ok ? { ok: true, value: true } : r));
    });
  }

  /**
   * One presence check: WUPA, then the UID through the cascade levels, then HLTA so the next WUPA
   * finds the card again. undefined: no card in the field.
   */
  readCard(cb: Rc522Callback<Rc522Card | undefined>): void {
    this.wakeUpA((w) => {
      if (!w.ok) return cb(w);
      const atqa = w.value;
      if (atqa === undefined) return cb({ ok: true, value: undefined });
      this.select((s) => {
        if (!s.ok) return cb(s);
        const card: Rc522Card = { uid: s.value.uid, sak: s.value.sak, atqa };
        this.haltA(() => cb({ ok: true, value: card }));
      });
    });
  }
}
