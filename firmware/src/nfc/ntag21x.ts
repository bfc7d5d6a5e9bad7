/** NTAG213/215/216 commands (NXP datasheet): GET_VERSION, READ, FAST_READ, READ_SIG. */

export const CMD_GET_VERSION = 0x60;
export const CMD_READ = 0x30;
export const CMD_FAST_READ = 0x3a;
export const CMD_READ_SIG = 0x3c;

export type Ntag21xModel = 'NTAG213' | 'NTAG215' | 'NTAG216';

export const getVersion = (): number[] => [CMD_GET_VERSION];
export const read = (page: number): number[] => [CMD_READ, page % 256];
export const fastRead = (start: number, end: number): number[] => [CMD_FAST_READ, start % 256, end % 256];
export const readSig = (): number[] => [CMD_READ_SIG, 0x00];

/** GET_VERSION answer → model (storage size byte 0x0F/0x11/0x13), or undefined for other tags. */
export function parseVersion(resp: number[]): Ntag21xModel | undefined {
  if (resp.length !== 8 || resp[1] !== 0x04 || resp[2] !== 0x04) return undefined;
  if (resp[6] === 0x0f) return 'NTAG213';
  if (resp[6] === 0x11) return 'NTAG215';
  if (resp[6] === 0x13) return 'NTAG216';
  return undefined;
}

/**
 * READ_SIG answer: the 32-byte ECC (secp128r1) originality signature over the UID. The terminal
 * forwards it; the gateway checks it against NXP's public key (the terminal has no ECC).
 */
export function parseSignature(resp: number[]): number[] | undefined {
  return resp.length === 32 ? resp.slice(0) : undefined;
}
