// Secrets at rest: AES-256-GCM sealing under the master key (card keys, device keys), scrypt
// password hashing, and random bearer tokens stored only as SHA-256.
import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
} from 'node:crypto';
import { promisify } from 'node:util';
import { sha256 } from './canonical.js';

const scrypt = promisify(scryptCb) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;

/** iv(12) ‖ tag(16) ‖ ciphertext. `aad` binds the ciphertext to its row (e.g. the card UID). */
export function seal(masterKey: Buffer, plaintext: Uint8Array, aad: string): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', masterKey, iv);
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]);
}

export function open(masterKey: Buffer, sealed: Uint8Array, aad: string): Buffer {
  const b = Buffer.from(sealed);
  const d = createDecipheriv('aes-256-gcm', masterKey, b.subarray(0, 12));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(b.subarray(12, 28));
  return Buffer.concat([d.update(b.subarray(28)), d.final()]);
}

export function parseMasterKey(hex: string | undefined): Buffer {
  if (!hex || !/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error('master key must be 32 bytes as 64 hex digits');
  return Buffer.from(hex, 'hex');
}

const SCRYPT = { N: 16384, r: 8, p: 1 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, { ...SCRYPT, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], 'base64');
  const want = Buffer.from(parts[5], 'base64');
  const got = await scrypt(password, salt, want.length, { N, r, p, maxmem: 64 * 1024 * 1024 });
  return timingSafeEqual(got, want);
}

/** A random bearer token with a readable prefix (`tbg_` gateway key, `tbs_` session). */
export function newToken(prefix: 'tbg_' | 'tbs_'): { token: string; hash: Buffer } {
  const token = prefix + randomBytes(24).toString('base64url');
  return { token, hash: sha256(token) };
}

export const tokenHash = (token: string): Buffer => sha256(token);
