/**
 * Paying at the POS without the card: the holder's wallet page shows a short-lived QR signed by
 * the federation (see @tibillet/cloud/pay-token), the POS camera reads it. The gateway checks it
 * offline with the published keys it keeps in its database (pulled from the cloud while online),
 * and accepts each code once (its nonce), even across restarts.
 */
import { type PayVerifyFailure, verifyPayToken } from '@tibillet/cloud/pay-token';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { CloudApi } from '../sync/cloud-api.js';

/** Nonces are kept longer than any token lives (2 min), then forgotten. */
const NONCE_TTL_MS = 24 * 3600_000;

export type PayCheck = { ok: true; uid: string } | { ok: false; reason: PayVerifyFailure | 'qr-used' };

export class PayKeys {
  private cache: Map<string, Uint8Array> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly api: CloudApi | undefined,
    private readonly log: Logger,
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS app_pay_keys (key_id TEXT PRIMARY KEY, public_key TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS app_pay_nonces (nonce TEXT PRIMARY KEY, at INTEGER NOT NULL);
    `);
  }

  keys(): Map<string, Uint8Array> {
    this.cache ??= new Map(
      (
        this.db.prepare('SELECT key_id, public_key FROM app_pay_keys').all() as {
          key_id: string;
          public_key: string;
        }[]
      ).map((r) => [r.key_id, new Uint8Array(Buffer.from(r.public_key, 'base64url'))]),
    );
    return this.cache;
  }

  /** Pulls the published keys (retired ones included: they still verify what they signed). */
  async refresh(): Promise<void> {
    if (!this.api) return;
    const { keys } = await this.api.getJson<{ keys: { keyId: string; publicKey: string }[] }>(
      '/v1/ticketing/keys',
    );
    const up = this.db.prepare(
      'INSERT INTO app_pay_keys (key_id, public_key) VALUES (?, ?) ON CONFLICT (key_id) DO UPDATE SET public_key = excluded.public_key',
    );
    this.db.transaction(() => {
      for (const k of keys) if (/^[0-9a-f]{8}$/.test(k.keyId)) up.run(k.keyId, k.publicKey);
    })();
    this.cache = undefined;
  }

  start(intervalMs = 60_000): void {
    const round = () =>
      this.refresh().catch((e) =>
        this.log.warn({ err: (e as Error).message }, 'wallet QR keys: refresh failed'),
      );
    void round();
    this.timer = setInterval(round, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Signature, expiry, then single use. A key rotated since the last pull is fetched once
   * (online); offline, only known keys verify.
   */
  async check(token: string, now = Date.now()): Promise<PayCheck> {
    let r = verifyPayToken(token, this.keys(), Math.floor(now / 1000));
    if (!r.ok && r.reason === 'unknown-key' && this.api) {
      try {
        await this.refresh();
        r = verifyPayToken(token, this.keys(), Math.floor(now / 1000));
      } catch {}
    }
    if (!r.ok) return r;
    this.db.prepare('DELETE FROM app_pay_nonces WHERE at < ?').run(now - NONCE_TTL_MS);
    const fresh = this.db
      .prepare('INSERT INTO app_pay_nonces (nonce, at) VALUES (?, ?) ON CONFLICT DO NOTHING')
      .run(r.claims.nonce, now);
    if (fresh.changes === 0) return { ok: false, reason: 'qr-used' };
    return { ok: true, uid: r.claims.uid };
  }
}
