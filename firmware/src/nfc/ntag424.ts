/**
 * NTAG 424 DNA Secure Unique NFC (SUN) messages, per NXP AN12196: every tap the card mirrors
 * into its NDEF URL either encrypted PICCData (UID + read counter under SDMMetaReadKey) or the
 * plain UID and counter, plus a truncated AES-CMAC under a session key derived from
 * SDMFileReadKey. The gateway verifies it, so a cloned UID without the key cannot pay, and the
 * caller compares the counter with the last one seen to refuse a replayed URL.
 */

import type { Crypto } from '../hal/types.js';
import { fromHex, toHex } from '../util/bytes.js';
import { aesCmac } from './cmac.js';

type Aes = Pick<Crypto, 'aes128EcbEncrypt' | 'aes128EcbDecrypt'>;

let defaultAes: Aes | undefined;

/** Sets the AES used when none is passed (node:crypto on the host: `nodeCrypto`). */
export function setCrypto(c: Aes): void {
  defaultAes = c;
}

export type SunResult = { ok: true; uid: string; counter: number } | { ok: false; reason: string };

const SV2_PREFIX = [0x3c, 0xc3, 0x00, 0x01, 0x00, 0x80];
/** PICCDataTag: UID mirrored (bit 7), counter mirrored (bit 6), UID length 7 (low nibble). */
export const PICC_DATA_TAG = 0xc7;

function key16(hex: string): number[] | undefined {
  const k = fromHex(hex);
  return k !== undefined && k.length === 16 ? k : undefined;
}

/** SDMMAC: odd-indexed bytes of CMAC(session key, MAC input), session key from SV2. */
export function sdmMac(
  aes: Aes,
  fileReadKey: number[],
  uid: number[],
  counter: number,
  macInput: number[],
): number[] {
  const sv2: number[] = [];
  for (let i = 0; i < SV2_PREFIX.length; i++) sv2.push(SV2_PREFIX[i]);
  for (let i = 0; i < uid.length; i++) sv2.push(uid[i]);
  sv2.push(counter % 256, Math.floor(counter / 256) % 256, Math.floor(counter / 65536) % 256);
  while (sv2.length % 16 !== 0) sv2.push(0);
  const session = aesCmac(aes, fileReadKey, sv2);
  const full = aesCmac(aes, session, macInput);
  const out: number[] = [];
  for (let i = 1; i < 16; i += 2) out.push(full[i]);
  return out;
}

function sameBytes(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff += a[i] === b[i] ? 0 : 1;
  return diff === 0;
}

function resolveAes(aes: Aes | undefined): Aes | undefined {
  return aes !== undefined ? aes : defaultAes;
}

/** Encrypted PICCData mirroring. All arguments hex. Never throws. */
export function verifySun(
  args: { piccData: string; cmac: string; metaReadKey: string; fileReadKey: string },
  aes?: Aes,
): SunResult {
  const c = resolveAes(aes);
  if (c === undefined) return { ok: false, reason: 'no-crypto' };
  const picc = fromHex(args.piccData);
  const mac = fromHex(args.cmac);
  const metaKey = key16(args.metaReadKey);
  const fileKey = key16(args.fileReadKey);
  if (picc === undefined || mac === undefined || metaKey === undefined || fileKey === undefined) {
    return { ok: false, reason: 'bad-hex' };
  }
  if (picc.length !== 16 || mac.length !== 8) return { ok: false, reason: 'bad-length' };
  // One block with a zero IV: CBC decryption is ECB decryption.
  const plain = c.aes128EcbDecrypt(metaKey, picc);
  if (plain[0] !== PICC_DATA_TAG) return { ok: false, reason: 'bad-tag' };
  const uid: number[] = [];
  for (let i = 1; i < 8; i++) uid.push(plain[i]);
  const counter = plain[8] + plain[9] * 256 + plain[10] * 65536;
  if (!sameBytes(sdmMac(c, fileKey, uid, counter, []), mac)) return { ok: false, reason: 'bad-cmac' };
  return { ok: true, uid: toHex(uid).toUpperCase(), counter };
}

/** Plain UID + counter mirroring (`ctr` is 6 hex digits, most significant first, as in the URL). */
export function verifySunPlain(
  args: { uid: string; counter: string; cmac: string; fileReadKey: string },
  aes?: Aes,
): SunResult {
  const c = resolveAes(aes);
  if (c === undefined) return { ok: false, reason: 'no-crypto' };
  const uid = fromHex(args.uid);
  const ctr = fromHex(args.counter);
  const mac = fromHex(args.cmac);
  const fileKey = key16(args.fileReadKey);
  if (uid === undefined || ctr === undefined || mac === undefined || fileKey === undefined) {
    return { ok: false, reason: 'bad-hex' };
  }
  if (uid.length !== 7 || ctr.length !== 3 || mac.length !== 8) return { ok: false, reason: 'bad-length' };
  const counter = ctr[0] * 65536 + ctr[1] * 256 + ctr[2];
  if (!sameBytes(sdmMac(c, fileKey, uid, counter, []), mac)) return { ok: false, reason: 'bad-cmac' };
  return { ok: true, uid: toHex(uid).toUpperCase(), counter };
}

/** What a card computes at a tap (used by the card emulator and tests). `random` is 5 bytes. */
export function generateSun(
  args: { uid: number[]; counter: number; metaReadKey: number[]; fileReadKey: number[]; random: number[] },
  aes: Aes,
): { piccData: string; cmac: string } {
  const block = [PICC_DATA_TAG];
  for (let i = 0; i < 7; i++) block.push(args.uid[i]);
  block.push(
    args.counter % 256,
    Math.floor(args.counter / 256) % 256,
    Math.floor(args.counter / 65536) % 256,
  );
  for (let i = 0; i < 5; i++) block.push(args.random[i]);
  const picc = aes.aes128EcbEncrypt(args.metaReadKey, block);
  const mac = sdmMac(aes, args.fileReadKey, args.uid, args.counter, []);
  return { piccData: toHex(picc).toUpperCase(), cmac: toHex(mac).toUpperCase() };
}

export type SunUrl =
  | { ok: true; kind: 'encrypted'; piccData: string; cmac: string }
  | { ok: true; kind: 'plain'; uid: string; counter: string; cmac: string }
  | { ok: false; reason: string };

function queryParam(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  let i = q + 1;
  while (i < url.length) {
    let end = url.indexOf('&', i);
    if (end < 0) end = url.length;
    const eq = url.indexOf('=', i);
    if (eq > i && eq < end && url.substring(i, eq) === name) return url.substring(eq + 1, end);
    i = end + 1;
  }
  return undefined;
}

/** Reads SUN parameters from a card URL: `picc_data`+`cmac`, or `uid`+`ctr`+`cmac`. */
export function parseSunUrl(url: string): SunUrl {
  const cmac = queryParam(url, 'cmac');
  if (cmac === undefined) return { ok: false, reason: 'no-cmac' };
  const picc = queryParam(url, 'picc_data');
  if (picc !== undefined) return { ok: true, kind: 'encrypted', piccData: picc, cmac };
  const uid = queryParam(url, 'uid');
  const ctr = queryParam(url, 'ctr');
  if (uid !== undefined && ctr !== undefined) return { ok: true, kind: 'plain', uid, counter: ctr, cmac };
  return { ok: false, reason: 'no-sun-data' };
}
