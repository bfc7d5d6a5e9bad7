// Ticket signing keys: one active Ed25519 key signs new tickets; rotation adds a key and retires
// the previous one, which keeps verifying. Secrets are sealed under the master key. Each API
// replica caches the keys briefly (a replica may sign with a just-retired key for up to CACHE_MS:
// harmless, retired keys still verify).
import { buf, type Queryable } from '../db/connect.js';
import { generateKeyPair } from '../transparency/ed25519.js';
import { open, seal } from '../util/secrets.js';
import { ticketKeyId } from './token.js';

const CACHE_MS = 30_000;

export interface PublishedKey {
  keyId: string;
  publicKey: Uint8Array;
  active: boolean;
  createdAt: string;
  retiredAt: string | null;
}

export class TicketKeys {
  private cache: {
    at: number;
    keys: PublishedKey[];
    signer: { keyId: string; secretKey: Uint8Array } | null;
  } | null = null;

  private creating: Promise<PublishedKey> | null = null;

  constructor(
    private readonly db: Queryable,
    private readonly masterKey: Buffer,
  ) {}

  private async load(force = false): Promise<NonNullable<TicketKeys['cache']>> {
    if (!force && this.cache && Date.now() - this.cache.at < CACHE_MS) return this.cache;
    const { rows } = await this.db.query<{
      id: string;
      public_key: unknown;
      secret_enc: unknown;
      active: boolean;
      created_at: unknown;
      retired_at: unknown;
    }>(
      'SELECT id, public_key, secret_enc, active, created_at, retired_at FROM ticket_keys ORDER BY created_at, id',
    );
    const keys = rows.map((r) => ({
      keyId: r.id,
      publicKey: new Uint8Array(buf(r.public_key)),
      active: r.active,
      createdAt: new Date(r.created_at as string).toISOString(),
      retiredAt: r.retired_at ? new Date(r.retired_at as string).toISOString() : null,
    }));
    const act = rows.filter((r) => r.active).at(-1);
    const signer = act
      ? {
          keyId: act.id,
          secretKey: new Uint8Array(open(this.masterKey, buf(act.secret_enc), `ticketkey:${act.id}`)),
        }
      : null;
    this.cache = { at: Date.now(), keys, signer };
    return this.cache;
  }

  /** The active signing key, created on first use. */
  async signer(): Promise<{ keyId: string; secretKey: Uint8Array }> {
    const c = await this.load();
    if (c.signer) return c.signer;
    this.creating ??= this.create(false).finally(() => {
      this.creating = null;
    });
    await this.creating;
    return (await this.load()).signer!;
  }

  /** Every key ever used (key id → public key), for offline verification. */
  async verifyingKeys(): Promise<Map<string, Uint8Array>> {
    return new Map((await this.load()).keys.map((k) => [k.keyId, k.publicKey]));
  }

  /** What verifiers download: read fresh, so a key another replica (or page) just created is listed. */
  async published(): Promise<PublishedKey[]> {
    return (await this.load(true)).keys;
  }

  /** Verifying keys, reloaded once if `keyId` is not known yet (a key created by another replica). */
  async keysFor(keyId: string): Promise<Map<string, Uint8Array>> {
    let keys = await this.verifyingKeys();
    if (!keys.has(keyId)) keys = new Map((await this.load(true)).keys.map((k) => [k.keyId, k.publicKey]));
    return keys;
  }

  /** Adds a new active key; with `retireOthers`, the previous active keys stop signing. */
  async create(retireOthers: boolean): Promise<PublishedKey> {
    let kp = generateKeyPair();
    let id = ticketKeyId(kp.publicKey);
    // 4-byte ids: regenerate on the (unlikely) collision with an existing key.
    for (let i = 0; i < 5; i++) {
      const { rows } = await this.db.query('SELECT 1 FROM ticket_keys WHERE id = $1', [id]);
      if (!rows.length) break;
      kp = generateKeyPair();
      id = ticketKeyId(kp.publicKey);
    }
    const secretEnc = seal(this.masterKey, kp.secretKey, `ticketkey:${id}`);
    if (retireOthers)
      await this.db.query('UPDATE ticket_keys SET active = false, retired_at = now() WHERE active');
    await this.db.query(
      'INSERT INTO ticket_keys (id, public_key, secret_enc, active) VALUES ($1, $2, $3, true)',
      [id, Buffer.from(kp.publicKey), secretEnc],
    );
    const c = await this.load(true);
    return c.keys.find((k) => k.keyId === id)!;
  }

  /** Rotation: a new signing key; older keys are retired but keep verifying. */
  rotate(): Promise<PublishedKey> {
    return this.create(true);
  }
}
