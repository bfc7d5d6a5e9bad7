import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import type { Crypto, protocol } from '@tibillet/firmware';

/** HAL Crypto on Node: node:crypto (OpenSSL). */
export const nodeCrypto: Crypto = {
  sha256: (bytes) => [...createHash('sha256').update(Uint8Array.from(bytes)).digest()],
  hmacSha256: (key, bytes) => [
    ...createHmac('sha256', Uint8Array.from(key)).update(Uint8Array.from(bytes)).digest(),
  ],
  aes128EcbEncrypt: (key, block) => aesEcb(true, key, block),
  aes128EcbDecrypt: (key, block) => aesEcb(false, key, block),
  randomBytes: (n) => [...randomBytes(n)],
};

function aesEcb(encrypt: boolean, key: number[], data: number[]): number[] {
  if (key.length !== 16) throw new RangeError(`AES-128 key must be 16 bytes, got ${key.length}`);
  if (data.length % 16 !== 0)
    throw new RangeError(`AES-ECB data must be whole 16-byte blocks, got ${data.length}`);
  const k = Uint8Array.from(key);
  const c = encrypt ? createCipheriv('aes-128-ecb', k, null) : createDecipheriv('aes-128-ecb', k, null);
  c.setAutoPadding(false);
  return [...c.update(Uint8Array.from(data)), ...c.final()];
}

/** The protocol's MAC on node:crypto, with the hex fast path (no byte-array round trips). */
export const nodeMac: protocol.MacProvider = {
  hmacSha256: nodeCrypto.hmacSha256,
  hmacSha256Hex: (keyHex, text) =>
    createHmac('sha256', Buffer.from(keyHex, 'hex')).update(text, 'utf8').digest('hex'),
};
