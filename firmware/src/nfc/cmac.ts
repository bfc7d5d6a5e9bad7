/** AES-128-CMAC (RFC 4493 / NIST SP 800-38B) on the HAL's AES-ECB block cipher. */
import type { Crypto } from '../hal/types.js';

type Aes = Pick<Crypto, 'aes128EcbEncrypt'>;

function shiftLeft(block: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < 16; i++) {
    const next = i < 15 ? block[i + 1] : 0;
    out.push(((block[i] * 2) % 256) + (next >= 128 ? 1 : 0));
  }
  return out;
}

function subkey(block: number[]): number[] {
  const k = shiftLeft(block);
  if (block[0] >= 128) k[15] = k[15] ^ 0x87;
  return k;
}

export function aesCmac(aes: Aes, key: number[], message: number[]): number[] {
  const l = aes.aes128EcbEncrypt(key, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const k1 = subkey(l);
  const k2 = subkey(k1);
  const blocks = message.length === 0 ? 1 : Math.floor((message.length + 15) / 16);
  const complete = message.length > 0 && message.length % 16 === 0;
  let x = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let b = 0; b < blocks; b++) {
    const block: number[] = [];
    for (let i = 0; i < 16; i++) {
      const j = b * 16 + i;
      let v: number;
      if (j < message.length) v = message[j];
      else v = j === message.length ? 0x80 : 0;
      if (b === blocks - 1) v = v ^ (complete ? k1[i] : k2[i]);
      block.push(v ^ x[i]);
    }
    x = aes.aes128EcbEncrypt(key, block);
  }
  return x;
}
