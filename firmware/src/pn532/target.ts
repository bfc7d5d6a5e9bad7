/** Parsing of InListPassiveTarget responses for 106 kbps type A (UM0701 §7.3.5). */

export interface TargetInfo {
  /** Logical target number to use in InDataExchange / InRelease. */
  tg: number;
  /** SENS_RES (ATQA), the two bytes in the order the PN532 reports them, e.g. [0x00, 0x44]. */
  atqa: number[];
  /** SEL_RES (SAK). */
  sak: number;
  /** NFCID1: 4, 7 or 10 bytes. */
  uidBytes: number[];
  /** The UID as upper-case hex, e.g. '04A1B2C3D4E580'. */
  uid: string;
  /** ATS including its length byte TL when the card is ISO/IEC 14443-4 (SAK bit 0x20); else []. */
  ats: number[];
}

export type TargetParse = { ok: true; target: TargetInfo | undefined } | { ok: false; reason: string };

const HEX = '0123456789ABCDEF';

export function upperHex(bytes: number[]): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++)
    s += HEX.charAt(Math.floor(bytes[i] / 16)) + HEX.charAt(bytes[i] % 16);
  return s;
}

/**
 * Parses the response parameters `NbTg [Tg SENS_RES(2) SEL_RES NFCIDLength NFCID… [ATS]]`.
 * Only the first target is returned (the driver asks for one). Never throws.
 */
export function parseTypeATarget(p: number[]): TargetParse {
  if (p.length < 1) return { ok: false, reason: 'pn532-bad-response' };
  if (p[0] === 0) return { ok: true, target: undefined };
  if (p.length < 6) return { ok: false, reason: 'pn532-bad-response' };
  const idLen = p[5];
  if (idLen !== 4 && idLen !== 7 && idLen !== 10) return { ok: false, reason: 'pn532-bad-uid-length' };
  const end = 6 + idLen;
  if (p.length < end) return { ok: false, reason: 'pn532-bad-response' };
  const uidBytes = p.slice(6, end);
  const sak = p[4];
  let ats: number[] = [];
  if ((sak & 0x20) !== 0 && p.length > end) {
    const tl = p[end];
    // With one target the ATS ends the response; TL counts itself.
    if (tl < 1 || end + tl > p.length) return { ok: false, reason: 'pn532-bad-ats' };
    ats = p.slice(end, end + tl);
  }
  return {
    ok: true,
    target: { tg: p[1], atqa: [p[2], p[3]], sak, uidBytes, uid: upperHex(uidBytes), ats },
  };
}
