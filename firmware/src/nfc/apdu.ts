/** The three ISO 7816-4 APDUs that read an NTAG 424 DNA's NDEF file (AN12196 §SUN). */

/** ISOSelectFile by DF name: the NDEF application D2760000850101. */
export const SELECT_NDEF_APP = [0x00, 0xa4, 0x04, 0x00, 0x07, 0xd2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01, 0x00];
/** ISOSelectFile by file id E104 (the NDEF file), no response data. */
export const SELECT_NDEF_FILE = [0x00, 0xa4, 0x00, 0x0c, 0x02, 0xe1, 0x04];
/** ISOReadBinary from offset 0, Le = 0: the whole file (up to 256 bytes). */
export const READ_BINARY = [0x00, 0xb0, 0x00, 0x00, 0x00];

export const SW_OK = [0x90, 0x00];
export const SW_NOT_FOUND = [0x6a, 0x82];
export const SW_WRONG_STATE = [0x69, 0x85];
export const SW_NOT_SUPPORTED = [0x6d, 0x00];

export function sameApdu(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
