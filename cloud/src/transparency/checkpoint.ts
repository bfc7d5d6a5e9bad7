// Checkpoint and cosignature messages. A checkpoint body follows the shape of a C2SP
// tlog-checkpoint (origin line, decimal tree size, base64 root hash, extension lines):
//
//   <origin>\n<tree size>\n<base64 root>\ntimestamp <epoch ms>\n
//
// The log key signs these bytes (Ed25519). A witness (a venue gateway key) co-signs
//
//   tibillet-cosignature/v1\ntime <epoch ms>\n<checkpoint body>
//
// after checking that the checkpoint is consistent with the last one it co-signed.
import { keyIdOf, verify } from './ed25519.js';

export interface CheckpointBody {
  origin: string;
  treeSize: number;
  /** Hex. */
  rootHash: string;
  /** Epoch ms. */
  timestamp: number;
}

export interface Cosignature {
  keyId: string;
  venueId: string;
  /** Hex, 32 bytes. */
  publicKey: string;
  timestamp: number;
  /** Hex, 64 bytes. */
  signature: string;
}

export interface SignedCheckpoint extends CheckpointBody {
  keyId: string;
  /** Hex, 64 bytes. */
  signature: string;
  /** The exact signed text. */
  body: string;
  cosignatures: Cosignature[];
}

export function checkpointText(c: CheckpointBody): string {
  if (/\n/.test(c.origin)) throw new Error('origin must be one line');
  return `${c.origin}\n${c.treeSize}\n${Buffer.from(c.rootHash, 'hex').toString('base64')}\ntimestamp ${c.timestamp}\n`;
}

export const checkpointMessage = (c: CheckpointBody): Uint8Array =>
  new TextEncoder().encode(checkpointText(c));

export const cosignatureMessage = (c: CheckpointBody, timestamp: number): Uint8Array =>
  new TextEncoder().encode(`tibillet-cosignature/v1\ntime ${timestamp}\n${checkpointText(c)}`);

const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

export function verifyCheckpointSignature(
  c: CheckpointBody & { signature: string },
  publicKeyHex: string,
): boolean {
  return verify(unhex(c.signature), checkpointMessage(c), unhex(publicKeyHex));
}

export function verifyCosignature(
  c: CheckpointBody,
  cs: Pick<Cosignature, 'publicKey' | 'timestamp' | 'signature' | 'keyId'>,
): boolean {
  const pk = unhex(cs.publicKey);
  return (
    pk.length === 32 &&
    keyIdOf(pk) === cs.keyId &&
    verify(unhex(cs.signature), cosignatureMessage(c, cs.timestamp), pk)
  );
}
