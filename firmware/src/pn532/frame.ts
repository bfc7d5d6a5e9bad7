/**
 * PN532 frame codec (NXP UM0701 §6.2.1): builds the frames the host and the chip exchange.
 *
 * Normal information frame: `00 00 FF LEN LCS TFI PD0..PDn DCS 00`, LEN counts TFI + PD,
 * LCS = (0x100 - LEN) & 0xFF, DCS = (0x100 - (TFI + ΣPD)) & 0xFF.
 * Extended information frame (TFI + PD longer than 255 bytes):
 * `00 00 FF FF FF LENM LENL LCS TFI PD0..PDn DCS 00`, LCS over LENM + LENL.
 */

/** Frame identifier: host controller to PN532. */
export const TFI_HOST = 0xd4;
/** Frame identifier: PN532 to host controller. */
export const TFI_CHIP = 0xd5;
/** TFI of the application-level error (syntax error) frame. */
export const TFI_ERROR = 0x7f;

export const ACK_FRAME: number[] = [0x00, 0x00, 0xff, 0x00, 0xff, 0x00];
export const NACK_FRAME: number[] = [0x00, 0x00, 0xff, 0xff, 0x00, 0x00];
export const ERROR_FRAME: number[] = [0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00];

/**
 * HSU wake-up (UM0701 §7.2.11 and the HSU wake-up condition): 0x55 0x55 then a long run of
 * zeros so the oscillator is stable before the following frame's start code arrives.
 */
export const HSU_WAKEUP: number[] = [0x55, 0x55, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** Largest TFI + PD the PN532 accepts or produces (its frame buffer is 265 bytes in total). */
export const MAX_DATA_LENGTH = 264;

/** Command codes (UM0701 §7). The response code is always command + 1. */
export const CMD = {
  GetFirmwareVersion: 0x02,
  SAMConfiguration: 0x14,
  PowerDown: 0x16,
  RFConfiguration: 0x32,
  InDataExchange: 0x40,
  InListPassiveTarget: 0x4a,
  InRelease: 0x52,
};

/** Builds a normal or extended information frame with the given TFI and payload `code ‖ params`. */
export function buildFrame(tfi: number, code: number, params: number[]): number[] {
  const len = params.length + 2; // TFI + code + params
  let sum = tfi + code;
  for (let i = 0; i < params.length; i++) sum += params[i];
  const out: number[] = [0x00, 0x00, 0xff];
  if (len > 255) {
    const m = Math.floor(len / 256);
    const l = len % 256;
    out.push(0xff, 0xff, m, l, (0x200 - m - l) % 256);
  } else {
    out.push(len, (0x100 - len) % 256);
  }
  out.push(tfi, code);
  for (let i = 0; i < params.length; i++) out.push(params[i]);
  out.push((0x100 - (sum % 256)) % 256, 0x00);
  return out;
}

/** Full host→PN532 frame for `command` with its parameters (TFI D4). */
export function commandFrame(command: number, params: number[]): number[] {
  return buildFrame(TFI_HOST, command, params);
}

/** Full PN532→host frame (TFI D5); `code` is the response code (command + 1). Used by the simulator. */
export function responseFrame(code: number, params: number[]): number[] {
  return buildFrame(TFI_CHIP, code, params);
}

/**
 * Length in bytes of the frame whose start code `00 FF` begins at `at` (preamble not counted),
 * from its header alone: 4 for ACK/NACK (`00 FF 00 FF`, `00 FF FF 00`), the whole frame through
 * the postamble otherwise. Returns 0 when the header is incomplete, -1 when it is not a valid
 * header. Polled transports (I2C, SPI) use it to know whether one read got the whole frame.
 */
export function frameLengthAt(bytes: number[], at: number): number {
  if (at + 4 > bytes.length) return 0;
  if (bytes[at] !== 0x00 || bytes[at + 1] !== 0xff) return -1;
  const a = bytes[at + 2];
  const b = bytes[at + 3];
  if ((a === 0x00 && b === 0xff) || (a === 0xff && b === 0x00)) return 5; // + postamble
  if (a === 0xff && b === 0xff) {
    if (at + 7 > bytes.length) return 0;
    const m = bytes[at + 4];
    const l = bytes[at + 5];
    if ((m + l + bytes[at + 6]) % 256 !== 0) return -1;
    return 7 + m * 256 + l + 2;
  }
  if (a === 0 || (a + b) % 256 !== 0) return -1;
  return 4 + a + 2;
}

/** Index of the first `00 FF` start code at or after `from`, or -1. */
export function findStartCode(bytes: number[], from: number): number {
  for (let i = from; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0x00 && bytes[i + 1] === 0xff) return i;
  }
  return -1;
}
