/**
 * MFRC522 ("RC522") register map, commands and ISO/IEC 14443-3 type A frame bytes used by the
 * driver (NXP MFRC522 data sheet rev. 3.9, §9 registers, §10 commands; ISO/IEC 14443-3 §6).
 * SPI access (§8.1.2): the address byte is `(reg << 1) & 0x7E`, with bit 7 set for a read; a read
 * clocks out the address and gets the register's value on the next byte.
 */

// ---- registers (page 0: command and status) ----
export const CommandReg = 0x01;
export const ComIEnReg = 0x02;
export const DivIEnReg = 0x03;
export const ComIrqReg = 0x04;
export const DivIrqReg = 0x05;
export const ErrorReg = 0x06;
export const Status1Reg = 0x07;
export const Status2Reg = 0x08;
export const FIFODataReg = 0x09;
export const FIFOLevelReg = 0x0a;
export const ControlReg = 0x0c;
export const BitFramingReg = 0x0d;
export const CollReg = 0x0e;
// ---- page 1: command ----
export const ModeReg = 0x11;
export const TxModeReg = 0x12;
export const RxModeReg = 0x13;
export const TxControlReg = 0x14;
export const TxASKReg = 0x15;
// ---- page 2: configuration ----
export const CRCResultRegH = 0x21;
export const CRCResultRegL = 0x22;
export const ModWidthReg = 0x24;
export const RFCfgReg = 0x26;
export const TModeReg = 0x2a;
export const TPrescalerReg = 0x2b;
export const TReloadRegH = 0x2c;
export const TReloadRegL = 0x2d;
// ---- page 3: test ----
export const VersionReg = 0x37;

// ---- commands (CommandReg bits 3..0) ----
export const CMD_IDLE = 0x00;
export const CMD_CALC_CRC = 0x03;
export const CMD_TRANSCEIVE = 0x0c;
export const CMD_SOFT_RESET = 0x0f;

// ---- bits ----
/** ComIrqReg: TimerIRq (the receive timeout ran out). */
export const IRQ_TIMER = 0x01;
/** ComIrqReg: ErrIRq. */
export const IRQ_ERR = 0x02;
/** ComIrqReg: IdleIRq | RxIRq (a frame was received, the command ended). */
export const IRQ_RX_IDLE = 0x30;
/** DivIrqReg: CRCIRq (the coprocessor is done). */
export const DIVIRQ_CRC = 0x04;
/** ErrorReg: BufferOvfl | ParityErr | ProtocolErr (the frame is unusable). */
export const ERR_FATAL = 0x13;
/** ErrorReg: CollErr (two cards answered at once). */
export const ERR_COLL = 0x08;
/** ErrorReg: CRCErr. */
export const ERR_CRC = 0x04;
/** FIFOLevelReg: FlushBuffer. */
export const FIFO_FLUSH = 0x80;
/** BitFramingReg: StartSend (starts a Transceive). */
export const START_SEND = 0x80;
/** TxControlReg: Tx1RFEn | Tx2RFEn (antenna on). */
export const ANTENNA_ON = 0x03;

// ---- ISO/IEC 14443-3 type A ----
/** REQA, a 7-bit short frame: wakes IDLE cards. */
export const PICC_REQA = 0x26;
/** WUPA, a 7-bit short frame: wakes IDLE and HALT cards. */
export const PICC_WUPA = 0x52;
/** SEL of cascade levels 1, 2, 3. */
export const PICC_SEL = [0x93, 0x95, 0x97];
/** Cascade tag: first byte of a cascade level that is not the last one. */
export const PICC_CT = 0x88;
/** HLTA: 50 00 + CRC_A; the card does not answer. */
export const PICC_HLTA = 0x50;
/** NVB of ANTICOLLISION (2 bytes sent) and of SELECT (7 bytes sent). */
export const NVB_ANTICOLL = 0x20;
export const NVB_SELECT = 0x70;
/** SAK bit: UID not complete, another cascade level follows. */
export const SAK_CASCADE = 0x04;

/** SPI address byte of a register, for a write (`read` false) or a read. */
export function spiAddress(reg: number, read: boolean): number {
  return ((reg << 1) & 0x7e) | (read ? 0x80 : 0);
}

/**
 * CRC_A (ISO/IEC 14443-3 Annex B: polynomial x^16 + x^12 + x^5 + 1 reflected, preset 0x6363),
 * low byte first as sent. What the chip's coprocessor computes; the driver asks the chip, the
 * simulator and the tests use this.
 */
export function crcA(data: number[]): number[] {
  let crc = 0x6363;
  for (let i = 0; i < data.length; i++) {
    let b = (data[i] ^ crc) & 0xff;
    b = (b ^ (b << 4)) & 0xff;
    crc = ((crc >>> 8) ^ (b << 8) ^ (b << 3) ^ (b >>> 4)) & 0xffff;
  }
  return [crc & 0xff, crc >>> 8];
}
