/**
 * The venue as a witness of the federation's transparency log: the gateway checks each new
 * signed checkpoint (log signature, and an RFC 6962 consistency proof from the last checkpoint it
 * co-signed, so the log only ever grew) and co-signs it with its own Ed25519 key. A log that
 * forks or rewrites history gets no cosignature from this venue and raises an alarm here.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cosignatureMessage,
  type SignedCheckpoint,
  verifyCheckpointSignature,
} from '@tibillet/cloud/checkpoint';
import { verifyConsistency } from '@tibillet/cloud/merkle';
import type { Logger } from 'pino';
import type { Journal } from '../journal/journal.js';
import type { CloudApi } from '../sync/cloud-api.js';

export type WitnessOutcome = 'cosigned' | 'unchanged' | 'bad-signature' | 'inconsistent' | 'shrunk';

interface LogMeta {
  logKeys: { keyId: string; publicKey: string }[];
}

export class Witness {
  private readonly key: KeyObject;
  readonly publicKeyHex: string;
  private keyId: string | undefined;

  constructor(private readonly o: { dataDir: string; api: CloudApi; journal: Journal; log: Logger }) {
    const file = join(o.dataDir, 'witness-key.pem');
    if (!existsSync(file))
      writeFileSync(
        file,
        generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
        { mode: 0o600 },
      );
    this.key = createPrivateKey(readFileSync(file));
    const jwk = createPublicKey(this.key).export({ format: 'jwk' }) as { x: string };
    this.publicKeyHex = Buffer.from(jwk.x, 'base64url').toString('hex');
  }

  /** Checks the latest checkpoint and co-signs it if the log only grew. */
  async tick(): Promise<WitnessOutcome> {
    this.keyId ??= (
      await this.o.api.postJson<{ keyId: string }>('/v1/log/witnesses', { publicKey: this.publicKeyHex })
    ).keyId;
    const cp = await this.o.api.getJson<SignedCheckpoint>('/v1/log/checkpoint');
    const meta = await this.o.api.getJson<LogMeta>('/v1/log/meta');
    const logKey = meta.logKeys.find((k) => k.keyId === cp.keyId);
    if (!logKey || !verifyCheckpointSignature(cp, logKey.publicKey)) return this.alarm('bad-signature', cp);
    const saved = this.o.journal.getMeta('witness_last');
    const last = saved ? (JSON.parse(saved) as { treeSize: number; rootHash: string }) : undefined;
    if (last) {
      if (cp.treeSize < last.treeSize) return this.alarm('shrunk', cp);
      if (cp.treeSize === last.treeSize)
        return cp.rootHash === last.rootHash ? 'unchanged' : this.alarm('inconsistent', cp);
      if (last.treeSize > 0) {
        const p = await this.o.api.getJson<{ proof: string[] }>(
          `/v1/log/proof/consistency?first=${last.treeSize}&second=${cp.treeSize}`,
        );
        if (!verifyConsistency(last.treeSize, cp.treeSize, last.rootHash, cp.rootHash, p.proof))
          return this.alarm('inconsistent', cp);
      }
    }
    const timestamp = Date.now();
    const signature = sign(null, cosignatureMessage(cp, timestamp), this.key).toString('hex');
    await this.o.api.postJson(`/v1/log/checkpoints/${cp.treeSize}/cosign`, {
      keyId: this.keyId,
      timestamp,
      signature,
    });
    this.o.journal.setMeta('witness_last', JSON.stringify({ treeSize: cp.treeSize, rootHash: cp.rootHash }));
    this.o.log.info({ treeSize: cp.treeSize }, 'checkpoint co-signed');
    return 'cosigned';
  }

  private alarm(outcome: WitnessOutcome, cp: SignedCheckpoint): WitnessOutcome {
    this.o.log.error(
      { outcome, treeSize: cp.treeSize, rootHash: cp.rootHash },
      'transparency log checkpoint refused: NOT co-signed',
    );
    return outcome;
  }
}
