/**
 * ACR122U pseudo-APDUs (ACS "ACR122U Application Programming Interface"): the reader is a USB
 * CCID device whose contactless side is a PN532. The host reaches the PN532 with the Direct
 * Transmit pseudo-APDU `FF 00 00 00 Lc D4 <cmd> <params…>` and gets `D5 <cmd+1> <params…> 90 00`
 * back (63 00: the operation failed). The same bytes go through SCardTransmit when a card is
 * connected, or through SCardControl(IOCTL_CCID_ESCAPE) on a direct connection (no card).
 * Peripherals: `FF 00 48 00 00` answers the reader's firmware as ASCII ("ACR122U207"),
 * `FF 00 40 P2 04 T1 T2 N B` drives the bi-colour LED and the buzzer (answer `90 <LED state>`).
 * Pure byte functions: the PC/SC I/O lives in pcsc-link.ts.
 */
import { pn532 } from '@tibillet/firmware';

/** Largest PN532 body (command code + parameters) one Direct Transmit carries: Lc ≤ 255 counts D4 too. */
export const MAX_PN532_BODY = 254;

/** IOCTL_CCID_ESCAPE on pcsc-lite: SCARD_CTL_CODE(3500) = 0x42000000 + 3500. */
export const IOCTL_CCID_ESCAPE = 0x42000000 + 3500;

/** Get the reader's firmware version (answer: ASCII, no status word on most firmwares). */
export const GET_FIRMWARE_APDU: number[] = [0xff, 0x00, 0x48, 0x00, 0x00];

/** Status words of the pseudo-APDUs. */
export const SW_OK = 0x9000;
export const SW_FAILED = 0x6300;

export type Acr122uResult<T> = { ok: true; value: T } | { ok: false; reason: string; detail: string };

const hex2 = (n: number) => (n < 16 ? '0' : '') + n.toString(16).toUpperCase();
const hexBytes = (b: number[]) => b.map(hex2).join(' ');

/** `FF 00 00 00 Lc D4 body…`: `body` is the PN532 command code followed by its parameters. */
export function directTransmit(body: number[]): number[] {
  if (body.length < 1 || body.length > MAX_PN532_BODY) {
    throw new RangeError(
      `PN532 body of ${body.length} bytes does not fit a Direct Transmit (1..${MAX_PN532_BODY})`,
    );
  }
  const out = [0xff, 0x00, 0x00, 0x00, body.length + 1, pn532.TFI_HOST];
  for (const b of body) out.push(b & 0xff);
  return out;
}

/** SW1 SW2 of an answer as one number (-1 when the answer is shorter than 2 bytes). */
export function statusWord(answer: number[]): number {
  if (answer.length < 2) return -1;
  return answer[answer.length - 2] * 256 + answer[answer.length - 1];
}

/**
 * Checks a Direct Transmit answer to PN532 command `command` and returns the response
 * parameters (after D5 and the response code). Every malformed answer is a reason, never a throw:
 * 'acr122u-short-answer', 'acr122u-operation-failed' (63 00), 'acr122u-status' (another status
 * word), 'acr122u-bad-tfi' (not D5), 'acr122u-wrong-response' (not command + 1).
 */
export function parseDirectTransmit(answer: number[], command: number): Acr122uResult<number[]> {
  const cmd = `PN532 command 0x${hex2(command)}`;
  const sw = statusWord(answer);
  if (sw < 0)
    return {
      ok: false,
      reason: 'acr122u-short-answer',
      detail: `${cmd}: answer [${hexBytes(answer)}] has no status word`,
    };
  if (sw === SW_FAILED)
    return {
      ok: false,
      reason: 'acr122u-operation-failed',
      detail: `${cmd}: the reader answered 63 00 (operation failed)`,
    };
  if (sw !== SW_OK) {
    return {
      ok: false,
      reason: 'acr122u-status',
      detail: `${cmd}: the reader answered status ${hexBytes(answer.slice(-2))}`,
    };
  }
  const body = answer.slice(0, -2);
  if (body.length < 2)
    return {
      ok: false,
      reason: 'acr122u-short-answer',
      detail: `${cmd}: answer [${hexBytes(answer)}] carries no PN532 response`,
    };
  if (body[0] !== pn532.TFI_CHIP) {
    return {
      ok: false,
      reason: 'acr122u-bad-tfi',
      detail: `${cmd}: answer starts with ${hex2(body[0])}, expected D5`,
    };
  }
  if (body[1] !== command + 1) {
    return {
      ok: false,
      reason: 'acr122u-wrong-response',
      detail: `${cmd}: response code 0x${hex2(body[1])}, expected 0x${hex2(command + 1)}`,
    };
  }
  return { ok: true, value: body.slice(2) };
}

/** The firmware string of a `FF 00 48 00 00` answer ("ACR122U207"); a trailing 90 00 is tolerated. */
export function parseFirmwareVersion(answer: number[]): Acr122uResult<string> {
  let text = answer;
  if (statusWord(answer) === SW_OK) text = answer.slice(0, -2);
  if (statusWord(answer) === SW_FAILED)
    return { ok: false, reason: 'acr122u-operation-failed', detail: 'firmware version: 63 00' };
  if (text.length === 0 || text.some((b) => b < 0x20 || b > 0x7e)) {
    return {
      ok: false,
      reason: 'acr122u-bad-firmware',
      detail: `firmware version answer [${hexBytes(answer)}] is not ASCII`,
    };
  }
  return { ok: true, value: String.fromCharCode(...text) };
}

/** Bi-colour LED and buzzer: P2 bits (API §6.2 "Bi-Color LED and Buzzer Control"). */
export const LED = {
  finalRed: 0x01,
  finalGreen: 0x02,
  redMask: 0x04,
  greenMask: 0x08,
  initialRedBlink: 0x10,
  initialGreenBlink: 0x20,
  redBlinkMask: 0x40,
  greenBlinkMask: 0x80,
};

export interface LedBuzzer {
  /** P2, an OR of LED bits. */
  led: number;
  /** Initial blinking state duration, in 100 ms units. */
  t1: number;
  /** Toggle blinking state duration, in 100 ms units. */
  t2: number;
  /** Repetitions (the buzzer only sounds when > 0). */
  repeat: number;
  /** 0 silent, 1 during T1, 2 during T2, 3 during both. */
  buzzer: number;
}

/** `FF 00 40 P2 04 T1 T2 N B`. */
export function ledBuzzerApdu(o: LedBuzzer): number[] {
  const clamp = (n: number) => Math.max(0, Math.min(255, Math.round(n)));
  return [0xff, 0x00, 0x40, clamp(o.led), 0x04, clamp(o.t1), clamp(o.t2), clamp(o.repeat), o.buzzer & 0x03];
}

/** `90 <LED state>` → the LED state byte (bit 0 red, bit 1 green); 63 00 → failed. */
export function parseLedBuzzer(answer: number[]): Acr122uResult<number> {
  if (answer.length === 2 && answer[0] === 0x90) return { ok: true, value: answer[1] };
  if (statusWord(answer) === SW_FAILED)
    return { ok: false, reason: 'acr122u-operation-failed', detail: 'LED/buzzer: 63 00' };
  return { ok: false, reason: 'acr122u-bad-answer', detail: `LED/buzzer answer [${hexBytes(answer)}]` };
}

/**
 * A terminal beep pattern (alternating on/off ms, starting with on) as one LED/buzzer command:
 * the first on and off durations, repeated for each on phase, with the green (ok) or red LED blinking.
 */
export function beepApdu(pattern: number[], colour: 'green' | 'red'): number[] {
  const on = pattern.length > 0 ? pattern[0] : 100;
  const off = pattern.length > 1 ? pattern[1] : 100;
  const repeat = Math.max(1, Math.ceil(pattern.length / 2));
  const led =
    colour === 'green' ? LED.initialGreenBlink | LED.greenBlinkMask : LED.initialRedBlink | LED.redBlinkMask;
  return ledBuzzerApdu({ led, t1: Math.max(1, on / 100), t2: Math.max(1, off / 100), repeat, buzzer: 1 });
}
