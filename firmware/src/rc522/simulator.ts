/**
 * MFRC522 simulator at the SPI register level, for deterministic tests (like the PN532
 * simulator): registers, the 64-byte FIFO, the commands the driver uses (Idle, CalcCRC with the
 * CRC_A coprocessor, Transceive with the chip's timer, SoftReset), interrupt request bits with
 * their Set1 write semantics, and ISO/IEC 14443-3 type A cards with their states (IDLE, READY,
 * ACTIVE, HALT) answering REQA/WUPA, ANTICOLLISION and SELECT per cascade level, and HLTA.
 * Cards are scripted: placeCard(uid), removeCard(); faults: `absent` (no chip on the bus: MISO
 * reads 0x00), `silent` (the chip stops answering mid-way), `garbleCrc` (the card's SAK CRC is wrong).
 */
import type { Clock, SPI } from '../hal/types.js';
import {
  BitFramingReg,
  CMD_CALC_CRC,
  CMD_IDLE,
  CMD_SOFT_RESET,
  CMD_TRANSCEIVE,
  ComIrqReg,
  CommandReg,
  CRCResultRegH,
  CRCResultRegL,
  crcA,
  DIVIRQ_CRC,
  DivIrqReg,
  ErrorReg,
  FIFO_FLUSH,
  FIFODataReg,
  FIFOLevelReg,
  IRQ_RX_IDLE,
  IRQ_TIMER,
  NVB_ANTICOLL,
  NVB_SELECT,
  PICC_CT,
  PICC_HLTA,
  PICC_REQA,
  PICC_SEL,
  PICC_WUPA,
  SAK_CASCADE,
  START_SEND,
  TModeReg,
  TPrescalerReg,
  TReloadRegH,
  TReloadRegL,
  TxControlReg,
  VersionReg,
} from './registers.js';

export interface Rc522SimCard {
  uid: number[];
  /** SAK of the complete UID (default 0x08: MIFARE Classic 1K; 0x00 NTAG/Ultralight, 0x20 ISO-DEP). */
  sak?: number;
  /** ATQA, as sent (default by UID size: 04 00, 44 00, 84 00). */
  atqa?: number[];
}

export interface Rc522SimFaults {
  /** No chip on the bus: every SPI read gives 0x00. */
  absent: boolean;
  /** The chip no longer answers: reads give 0x00, writes are ignored. */
  silent: boolean;
  /** The card's SAK comes with a wrong CRC_A. */
  garbleCrc: boolean;
}

const IDLE = 0;
const READY = 1;
const ACTIVE = 2;
const HALT = 3;

/** The card's bytes for cascade level `lv` (0-based): 4 UID bytes, or CT + 3 bytes. */
function cascadeBytes(uid: number[], lv: number): number[] {
  const levels = uid.length === 4 ? 1 : uid.length === 7 ? 2 : 3;
  const start = lv * 3;
  if (lv < levels - 1) return [PICC_CT, uid[start], uid[start + 1], uid[start + 2]];
  return [uid[start], uid[start + 1], uid[start + 2], uid[start + 3]];
}

export class Rc522Simulator {
  readonly regs: number[] = [];
  readonly faults: Rc522SimFaults = { absent: false, silent: false, garbleCrc: false };
  /** Frames the chip sent to cards (Transceive), for tests. */
  readonly sent: number[][] = [];
  private fifo: number[] = [];
  private card: Rc522SimCard | undefined;
  private cardState = IDLE;
  /** Cascade level the card has been selected up to. */
  private level = 0;
  private pending = -1;

  constructor(
    private readonly clock: Clock,
    private readonly version?: number,
  ) {
    this.softReset();
  }

  /** The chip's SPI port (what a target's HAL SPI would reach). */
  spi(): SPI {
    return { transfer: (bytes) => this.transfer(bytes) };
  }

  placeCard(card: Rc522SimCard): void {
    this.card = card;
    this.cardState = IDLE;
    this.level = 0;
  }

  removeCard(): void {
    this.card = undefined;
  }

  antennaOn(): boolean {
    return (this.regs[TxControlReg] & 0x03) === 0x03;
  }

  // ---- SPI ----

  private transfer(bytes: number[]): number[] {
    const out: number[] = [0];
    if (this.faults.absent || this.faults.silent) {
      for (let i = 1; i < bytes.length; i++) out.push(0);
      return out;
    }
    const first = bytes[0];
    const reg = (first >>> 1) & 0x3f;
    if ((first & 0x80) !== 0) {
      // read: each further byte clocks out the register addressed by the previous one
      for (let i = 1; i < bytes.length; i++) out.push(this.read((bytes[i - 1] >>> 1) & 0x3f));
    } else {
      for (let i = 1; i < bytes.length; i++) {
        this.write(reg, bytes[i]);
        out.push(0);
      }
    }
    return out;
  }

  private read(reg: number): number {
    if (reg === FIFODataReg) {
      const b = this.fifo.shift();
      return b === undefined ? 0 : b;
    }
    if (reg === FIFOLevelReg) return this.fifo.length;
    if (reg === VersionReg) return this.version === undefined ? 0x92 : this.version;
    const v = this.regs[reg];
    return v === undefined ? 0 : v;
  }

  private write(reg: number, v: number): void {
    if (reg === FIFODataReg) {
      if (this.fifo.length < 64) this.fifo.push(v);
      return;
    }
    if (reg === FIFOLevelReg) {
      if ((v & FIFO_FLUSH) !== 0) this.fifo = [];
      return;
    }
    if (reg === ComIrqReg || reg === DivIrqReg) {
      // Set1 (bit 7) set: the marked bits are set; else they are cleared.
      const cur = this.regs[reg];
      this.regs[reg] = (v & 0x80) !== 0 ? cur | (v & 0x7f) : cur & ~v & 0x7f;
      return;
    }
    if (reg === VersionReg) return;
    this.regs[reg] = v;
    if (reg === CommandReg) this.command(v & 0x0f);
    else if (
      reg === BitFramingReg &&
      (v & START_SEND) !== 0 &&
      (this.regs[CommandReg] & 0x0f) === CMD_TRANSCEIVE
    )
      this.transmit();
  }

  private softReset(): void {
    for (let i = 0; i < 64; i++) this.regs[i] = 0;
    this.regs[CommandReg] = 0x20; // RcvOff 1, PowerDown 0 once the oscillator runs
    this.regs[TxControlReg] = 0x80;
    this.regs[ComIrqReg] = 0x14;
    this.fifo = [];
    this.cancel();
  }

  private cancel(): void {
    if (this.pending >= 0) this.clock.clearTimeout(this.pending);
    this.pending = -1;
  }

  private command(cmd: number): void {
    if (cmd === CMD_SOFT_RESET) this.softReset();
    else if (cmd === CMD_IDLE) this.cancel();
    else if (cmd === CMD_CALC_CRC) {
      const crc = crcA(this.fifo);
      this.fifo = [];
      this.regs[CRCResultRegL] = crc[0];
      this.regs[CRCResultRegH] = crc[1];
      this.regs[DivIrqReg] |= DIVIRQ_CRC;
    }
  }

  /** The chip's timer period, ms: (2 * TPrescaler + 1) * (TReload + 1) / 13.56 MHz. */
  private timeoutMs(): number {
    const prescaler = ((this.regs[TModeReg] & 0x0f) << 8) | this.regs[TPrescalerReg];
    const reload = (this.regs[TReloadRegH] << 8) | this.regs[TReloadRegL];
    return ((2 * prescaler + 1) * (reload + 1)) / 13560;
  }

  private transmit(): void {
    const frame = this.fifo;
    this.fifo = [];
    this.sent.push(frame.slice());
    this.regs[ComIrqReg] |= 0x40; // TxIRq
    const answer = this.antennaOn() ? this.cardAnswer(frame, this.regs[BitFramingReg] & 0x07) : undefined;
    this.cancel();
    if (answer === undefined) {
      this.pending = this.clock.setTimeout(() => {
        this.pending = -1;
        this.regs[ComIrqReg] |= IRQ_TIMER;
      }, this.timeoutMs());
      return;
    }
    this.pending = this.clock.setTimeout(() => {
      this.pending = -1;
      if (this.faults.silent) return;
      this.fifo = answer;
      this.regs[ErrorReg] = 0;
      this.regs[ComIrqReg] |= IRQ_RX_IDLE;
      this.regs[CommandReg] = (this.regs[CommandReg] & 0xf0) | CMD_IDLE;
    }, 1);
  }

  /** What the card in the field answers to `frame`, or undefined (no answer). */
  private cardAnswer(frame: number[], lastBits: number): number[] | undefined {
    const card = this.card;
    if (card === undefined || frame.length === 0) return undefined;
    const uid = card.uid;
    if (frame.length === 1 && lastBits === 7) {
      const wakes =
        (frame[0] === PICC_REQA && this.cardState === IDLE) ||
        (frame[0] === PICC_WUPA && (this.cardState === IDLE || this.cardState === HALT));
      if (!wakes) return undefined;
      this.cardState = READY;
      this.level = 0;
      if (card.atqa !== undefined) return card.atqa.slice();
      return [uid.length === 4 ? 0x04 : uid.length === 7 ? 0x44 : 0x84, 0x00];
    }
    if (frame[0] === PICC_HLTA && frame.length === 4) {
      const crc = crcA([frame[0], frame[1]]);
      if (frame[1] === 0 && frame[2] === crc[0] && frame[3] === crc[1]) this.cardState = HALT;
      return undefined;
    }
    const lv = PICC_SEL.indexOf(frame[0]);
    if (lv < 0 || this.cardState !== READY || lv !== this.level) return undefined;
    const cl = cascadeBytes(uid, lv);
    const bcc = cl[0] ^ cl[1] ^ cl[2] ^ cl[3];
    if (frame.length === 2 && frame[1] === NVB_ANTICOLL) return [cl[0], cl[1], cl[2], cl[3], bcc];
    if (frame.length !== 9 || frame[1] !== NVB_SELECT) return undefined;
    const crc = crcA(frame.slice(0, 7));
    if (frame[7] !== crc[0] || frame[8] !== crc[1]) return undefined; // a corrupted frame: cards stay silent
    for (let i = 0; i < 4; i++) if (frame[2 + i] !== cl[i]) return undefined;
    if (frame[6] !== bcc) return undefined;
    const last = cl[0] !== PICC_CT;
    let sak = last ? (card.sak === undefined ? 0x08 : card.sak) : SAK_CASCADE;
    if (last) this.cardState = ACTIVE;
    else this.level = lv + 1;
    sak = sak & 0xff;
    const sakCrc = crcA([sak]);
    if (this.faults.garbleCrc) sakCrc[0] = sakCrc[0] ^ 0xff;
    return [sak, sakCrc[0], sakCrc[1]];
  }
}
