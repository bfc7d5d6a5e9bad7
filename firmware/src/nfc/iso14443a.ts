/** ISO/IEC 14443-3 type A identification: UIDs and card family from ATQA/SAK. */
import { toHex } from '../util/bytes.js';

export type CardFamily =
  | 'mifare-classic-1k'
  | 'mifare-classic-4k'
  | 'ultralight-ntag'
  | 'iso-dep'
  | 'unknown';

export function uidHex(uid: number[]): string {
  return toHex(uid).toUpperCase();
}

/** A UID is 4 (single), 7 (double) or 10 (triple size) bytes; a cascade tag 0x88 never starts a complete UID. */
export function isValidUid(uid: number[]): boolean {
  if (uid.length !== 4 && uid.length !== 7 && uid.length !== 10) return false;
  if (uid.length === 4 && uid[0] === 0x88) return false;
  return true;
}

export function cardFamily(atqa: number[], sak: number): CardFamily {
  if ((sak & 0x20) !== 0) return 'iso-dep'; // DESFire, NTAG 424 DNA, bank cards
  if (sak === 0x08 || sak === 0x88) return 'mifare-classic-1k';
  if (sak === 0x18) return 'mifare-classic-4k';
  if (sak === 0x00 && atqa.length === 2 && atqa[1] === 0x44) return 'ultralight-ntag';
  return 'unknown';
}
