// Ed25519 through @noble/ed25519 3 (sync API: it needs a SHA-512, taken from @noble/hashes).

import { createHash, randomBytes } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

ed.hashes.sha512 = sha512;

export interface Ed25519KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function generateKeyPair(): Ed25519KeyPair {
  const secretKey = new Uint8Array(randomBytes(32));
  return { secretKey, publicKey: ed.getPublicKey(secretKey) };
}

export const publicKeyOf = (secretKey: Uint8Array): Uint8Array => ed.getPublicKey(secretKey);

export const sign = (message: Uint8Array, secretKey: Uint8Array): Uint8Array => ed.sign(message, secretKey);

/** False (never throws) on malformed keys or signatures. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return ed.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** Key id: hex of the first 8 bytes of SHA-256(public key). */
export const keyIdOf = (publicKey: Uint8Array): string =>
  createHash('sha256').update(publicKey).digest().subarray(0, 8).toString('hex');
