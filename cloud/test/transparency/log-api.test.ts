import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCloud } from '../../src/app.js';
import type { Db } from '../../src/db/connect.js';
import { entryBytes, type PublicLogEntry } from '../../src/transparency/chain.js';
import {
  checkpointText,
  cosignatureMessage,
  verifyCheckpointSignature,
  verifyCosignature,
} from '../../src/transparency/checkpoint.js';
import { generateKeyPair, keyIdOf, sign } from '../../src/transparency/ed25519.js';
import { BLOCK_LEVEL, TransparencyLog } from '../../src/transparency/log-store.js';
import { leafHash, rootHash, verifyConsistency, verifyInclusion } from '../../src/transparency/merkle.js';
import { withBothDatabases } from '../helpers/databases.js';
import { auth, type Fixture, fixture, id, uid } from '../helpers/fixture.js';

const BLOCK = 2 ** BLOCK_LEVEL;

withBothDatabases('transparency log API', (getDb) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture(getDb());
  });
  afterAll(() => f?.close());

  const topup = (card: string, amount: number) => ({
    id: id(),
    type: 'topup',
    cardUid: card,
    at: Date.now(),
    legs: [{ asset: 'EUR', amount }],
    funding: 'cash',
  });
  const spend = (card: string, amount: number) => ({
    id: id(),
    type: 'spend',
    cardUid: card,
    at: Date.now(),
    legs: [{ asset: 'EUR', amount }],
  });
  const send = async (items: object[]) => {
    const r = await f.app.inject({
      method: 'POST',
      url: '/v1/sync/batches',
      headers: auth(f.barKey),
      payload: { batchId: id('b'), venueId: f.bar, items },
    });
    expect(r.statusCode).toBe(200);
  };
  const get = async (url: string, status = 200) => {
    const r = await f.app.inject({ method: 'GET', url });
    expect(r.statusCode, r.body).toBe(status);
    return r.json();
  };
  const allEntries = async (size: number): Promise<PublicLogEntry[]> => {
    const out: PublicLogEntry[] = [];
    for (let s = 0; s < size; s += 1000)
      out.push(...(await get(`/v1/log/entries?start=${s}&end=${Math.min(size, s + 1000)}`)).entries);
    return out;
  };

  it('empty log: the first checkpoint signs the empty tree', async () => {
    const cp = await get('/v1/log/checkpoint');
    expect(cp).toMatchObject({
      treeSize: 0,
      rootHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      cosignatures: [],
    });
    const meta = await get('/v1/log/meta');
    expect(verifyCheckpointSignature(cp, meta.logKeys[0].publicKey)).toBe(true);
    expect(cp.body).toBe(checkpointText(cp));
  });

  it('checkpoint = signed RFC 6962 root of the entries\u2019 canonical bytes; proofs verify', async () => {
    const cards = [uid(), uid(), uid()];
    await send(cards.map((c) => topup(c, 1000)));
    await send(cards.map((c, i) => spend(c, 100 + i)));
    const signed = await f.app.inject({
      method: 'POST',
      url: '/v1/log/checkpoints',
      headers: auth(f.barKey),
    });
    expect(signed.statusCode).toBe(200);
    const cp = await get('/v1/log/checkpoint');
    expect(cp.treeSize).toBe(6);
    const meta = await get('/v1/log/meta');
    expect(meta.logKeys).toHaveLength(1);
    expect(meta.logKeys[0].keyId).toBe(keyIdOf(Buffer.from(meta.logKeys[0].publicKey, 'hex')));
    expect(verifyCheckpointSignature(cp, meta.logKeys[0].publicKey)).toBe(true);
    expect(verifyCheckpointSignature({ ...cp, treeSize: 5 }, meta.logKeys[0].publicKey)).toBe(false);
    const entries = await allEntries(cp.treeSize);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(entries.every((e) => /^a\d+$/.test(e.debit) && /^a\d+$/.test(e.credit))).toBe(true);
    const leaves = entries.map((e) => entryBytes(e));
    expect(rootHash(leaves)).toBe(cp.rootHash);
    for (let i = 0; i < cp.treeSize; i++) {
      const p = await get(`/v1/log/proof/inclusion?index=${i}&treeSize=${cp.treeSize}`);
      expect(p.leafHash).toBe(leafHash(leaves[i]).toString('hex'));
      expect(verifyInclusion(p.leafHash, i, cp.treeSize, p.proof, cp.rootHash)).toBe(true);
    }
    // Growth: the next checkpoint is consistent with this one.
    await send([spend(cards[0], 5), spend(cards[1], 5)]);
    const next = (
      await f.app.inject({ method: 'POST', url: '/v1/log/checkpoints', headers: auth(f.barKey) })
    ).json();
    expect(next.treeSize).toBe(8);
    const c = await get(`/v1/log/proof/consistency?first=${cp.treeSize}&second=${next.treeSize}`);
    expect(c.firstRoot).toBe(cp.rootHash);
    expect(verifyConsistency(cp.treeSize, next.treeSize, cp.rootHash, next.rootHash, c.proof)).toBe(true);
    expect(verifyConsistency(cp.treeSize, next.treeSize, next.rootHash, cp.rootHash, c.proof)).toBe(false);
    const list = await get('/v1/log/checkpoints');
    expect(list.checkpoints.map((x: { treeSize: number }) => x.treeSize)).toEqual([0, 6, 8]);
    // Signing again without growth returns the same checkpoint.
    const same = (
      await f.app.inject({ method: 'POST', url: '/v1/log/checkpoints', headers: auth(f.barKey) })
    ).json();
    expect(same).toEqual(next);
  });

  it('bad ranges and sizes are refused', async () => {
    const size = (await get('/v1/log/checkpoint')).treeSize;
    expect((await get('/v1/log/entries?start=0&end=1001', 400)).error).toBe('range-too-large');
    expect((await get('/v1/log/entries?start=5&end=2', 400)).error).toBe('bad-range');
    expect((await get('/v1/log/entries?start=-1&end=2', 400)).error).toBe('bad-request');
    expect((await get(`/v1/log/proof/inclusion?index=0&treeSize=${size + 100}`, 400)).error).toBe(
      'beyond-log',
    );
    expect((await get(`/v1/log/proof/inclusion?index=${size}&treeSize=${size}`, 400)).error).toBe(
      'bad-index',
    );
    expect((await get('/v1/log/proof/consistency?first=3&second=2', 400)).error).toBe('bad-sizes');
    expect((await get('/v1/log/checkpoints/999999', 404)).error).toBe('unknown-checkpoint');
    expect((await f.app.inject({ method: 'POST', url: '/v1/log/checkpoints' })).statusCode).toBe(401);
  });

  it('a venue gateway co-signs a checkpoint as a witness; bad or foreign signatures are refused', async () => {
    const w = generateKeyPair();
    const reg = await f.app.inject({
      method: 'POST',
      url: '/v1/log/witnesses',
      headers: auth(f.cafeKey),
      payload: { publicKey: Buffer.from(w.publicKey).toString('hex') },
    });
    expect(reg.statusCode).toBe(200);
    const { keyId } = reg.json();
    const cp = await get('/v1/log/checkpoint');
    const ts = Date.now();
    const signature = Buffer.from(sign(cosignatureMessage(cp, ts), w.secretKey)).toString('hex');
    const cosign = (key: string, body: object) =>
      f.app.inject({
        method: 'POST',
        url: `/v1/log/checkpoints/${cp.treeSize}/cosign`,
        headers: auth(key),
        payload: body,
      });
    const bad = await cosign(f.cafeKey, { keyId, timestamp: ts + 1, signature });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('bad-signature');
    const foreign = await cosign(f.barKey, { keyId, timestamp: ts, signature });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().error).toBe('unknown-witness');
    const ok = await cosign(f.cafeKey, { keyId, timestamp: ts, signature });
    expect(ok.statusCode).toBe(200);
    const latest = await get('/v1/log/checkpoint');
    expect(latest.cosignatures).toEqual([
      {
        keyId,
        venueId: f.cafe,
        publicKey: Buffer.from(w.publicKey).toString('hex'),
        timestamp: ts,
        signature,
      },
    ]);
    expect(verifyCosignature(latest, latest.cosignatures[0])).toBe(true);
    // The same key cannot be claimed by another gateway.
    const steal = await f.app.inject({
      method: 'POST',
      url: '/v1/log/witnesses',
      headers: auth(f.barKey),
      payload: { publicKey: Buffer.from(w.publicKey).toString('hex') },
    });
    expect(steal.statusCode).toBe(409);
    expect((await cosign(f.cafeKey, { keyId, timestamp: ts, signature: 'zz' })).statusCode).toBe(400);
  });

  it('the log key is sealed at rest, reused by other instances, and refused under another master key', async () => {
    const { rows } = await getDb().query<{ public_key: Uint8Array; secret_enc: Uint8Array }>(
      'SELECT public_key, secret_enc FROM log_keys',
    );
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0].secret_enc).length).toBe(12 + 16 + 32);
    const other = await createCloud({ db: getDb(), masterKey: f.masterKey });
    try {
      const k = await other.app.transparency.logKey();
      expect(Buffer.from(k.publicKey).equals(Buffer.from(rows[0].public_key))).toBe(true);
    } finally {
      await other.close();
    }
    const wrong = await createCloud({ db: getDb(), masterKey: randomBytes(32) });
    try {
      await expect(wrong.app.transparency.logKey()).rejects.toThrow(/wrong master key/);
    } finally {
      await wrong.close();
    }
  });

  const logSize = async () =>
    Number((await getDb().query<{ s: string }>('SELECT seq::text s FROM log_head')).rows[0].s);
  /** The latest checkpoint once it covers `size` entries (or the last seen after 5 s). */
  const signedUpTo = async (job: Awaited<ReturnType<typeof createCloud>>, size: number) => {
    const deadline = Date.now() + 5000;
    let latest = await job.app.transparency.latest();
    while ((latest?.treeSize ?? -1) < size && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 40));
      latest = await job.app.transparency.latest();
    }
    return latest;
  };

  it('the checkpoint job signs at its interval as the log grows', async () => {
    const job = await createCloud({ db: getDb(), masterKey: f.masterKey, checkpointIntervalMs: 40 });
    try {
      await send([topup(uid(), 77)]);
      const size = await logSize();
      expect((await signedUpTo(job, size))?.treeSize).toBe(size);
    } finally {
      await job.close();
    }
  });

  it('a (re)started checkpoint job signs at once, not an interval later', async () => {
    await send([topup(uid(), 78)]);
    const size = await logSize();
    const job = await createCloud({ db: getDb(), masterKey: f.masterKey, checkpointIntervalMs: 3_600_000 });
    try {
      await job.app.ready();
      expect((await signedUpTo(job, size))?.treeSize).toBe(size);
      expect(job.app.transparency.log.size).toBe(size);
    } finally {
      await job.close();
    }
  });

  it('proofs into blocks the server no longer holds are read back and verify; a changed entry is refused', async () => {
    // Past BLOCK (32) entries the tree keeps whole blocks only: leaves of an older block come back
    // from the database.
    const cards = Array.from({ length: 40 }, () => uid());
    await send(cards.map((c) => topup(c, 500)));
    await send(cards.map((c) => spend(c, 7)));
    const cp = (
      await f.app.inject({ method: 'POST', url: '/v1/log/checkpoints', headers: auth(f.barKey) })
    ).json();
    expect(cp.treeSize).toBeGreaterThan(2 * BLOCK);
    const leaves = (await allEntries(cp.treeSize)).map((e) => entryBytes(e));
    expect(rootHash(leaves)).toBe(cp.rootHash);
    const n = cp.treeSize;
    for (const i of [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 5, n - 2, n - 1]) {
      const p = await get(`/v1/log/proof/inclusion?index=${i}&treeSize=${n}`);
      expect(p.leafHash).toBe(leafHash(leaves[i]).toString('hex'));
      expect(p.rootHash).toBe(cp.rootHash);
      expect(verifyInclusion(p.leafHash, i, n, p.proof, cp.rootHash)).toBe(true);
      // Against an older tree size that ends inside an older block, too.
      const m = Math.max(i + 1, BLOCK + 3);
      const old = await get(`/v1/log/proof/inclusion?index=${i}&treeSize=${m}`);
      expect(verifyInclusion(old.leafHash, i, m, old.proof, rootHash(leaves.slice(0, m)))).toBe(true);
    }
    for (const m of [1, 5, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 7, n - 1]) {
      const c = await get(`/v1/log/proof/consistency?first=${m}&second=${n}`);
      expect(c.firstRoot).toBe(rootHash(leaves.slice(0, m)));
      expect(verifyConsistency(m, n, c.firstRoot, cp.rootHash, c.proof)).toBe(true);
    }
    // An entry of block 0 changed in the database: the proof is refused, not computed from it.
    const db = getDb();
    await db.query('UPDATE transfers SET amount = amount + 1 WHERE id = 2');
    try {
      const bad = await get(`/v1/log/proof/inclusion?index=1&treeSize=${n}`, 500);
      expect(bad).toMatchObject({ error: 'log-inconsistent' });
      expect(bad.message).toMatch(/entries 1\.\.32 no longer match/);
    } finally {
      await db.query('UPDATE transfers SET amount = amount - 1 WHERE id = 2');
    }
    const p = await get(`/v1/log/proof/inclusion?index=1&treeSize=${n}`);
    expect(verifyInclusion(p.leafHash, 1, n, p.proof, cp.rootHash)).toBe(true);
  });

  it('a restarted cloud rebuilds the tree from the stored block hashes, hashing only the entries after them', async () => {
    const db = getDb();
    await send(Array.from({ length: 5 }, () => topup(uid(), 100)));
    const cp = (
      await f.app.inject({ method: 'POST', url: '/v1/log/checkpoints', headers: auth(f.barKey) })
    ).json();
    const whole = Math.floor(cp.treeSize / BLOCK);
    const stored = await db.query<{ n: string }>('SELECT count(*)::text n FROM log_blocks');
    expect(Number(stored.rows[0].n)).toBe(whole);
    // Where the restarted cloud starts reading entries to hash.
    const froms: number[] = [];
    const spy: Db = {
      ...db,
      query: (text, params) => {
        if (/FROM transfers WHERE id > \$1 ORDER BY id LIMIT/.test(text)) froms.push(Number(params?.[0]));
        return db.query(text, params);
      },
    };
    const restarted = await createCloud({ db: spy, masterKey: f.masterKey });
    try {
      // Signing checks the rebuilt tree against the last signed root (and, unchanged, returns it).
      expect((await restarted.app.transparency.signNow()).rootHash).toBe(cp.rootHash);
      expect(froms[0]).toBe(whole * BLOCK);
      const leaves = (await allEntries(cp.treeSize)).map((e) => entryBytes(e));
      for (const i of [2, BLOCK + 4, cp.treeSize - 1]) {
        const r = await restarted.app.inject({
          method: 'GET',
          url: `/v1/log/proof/inclusion?index=${i}&treeSize=${cp.treeSize}`,
        });
        expect(r.statusCode, r.body).toBe(200);
        expect(r.json().leafHash).toBe(leafHash(leaves[i]).toString('hex'));
        expect(verifyInclusion(r.json().leafHash, i, cp.treeSize, r.json().proof, cp.rootHash)).toBe(true);
      }
    } finally {
      await restarted.close();
    }
    // A stored block hash changed: the tree rebuilt from it no longer extends the signed log.
    const before = await db.query<{ hash: Uint8Array }>('SELECT hash FROM log_blocks WHERE block = 1');
    await db.query("UPDATE log_blocks SET hash = decode(repeat('00', 32), 'hex') WHERE block = 1");
    const forged = await createCloud({ db, masterKey: f.masterKey });
    try {
      await expect(forged.app.transparency.signNow()).rejects.toMatchObject({ code: 'log-inconsistent' });
    } finally {
      await forged.close();
      await db.query('UPDATE log_blocks SET hash = $1 WHERE block = 1', [Buffer.from(before.rows[0].hash)]);
    }
  });

  it('block hashes that could not be stored are stored by the next sync', async () => {
    const db = getDb();
    await db.query('DELETE FROM log_blocks');
    let failures = 1;
    const flaky: Db = {
      ...db,
      query: (text, params) => {
        if (text.includes('INSERT INTO log_blocks') && failures-- > 0)
          return Promise.reject(new Error('connection lost'));
        return db.query(text, params);
      },
    };
    const log = new TransparencyLog(flaky);
    await expect(log.sync()).rejects.toThrow('connection lost');
    const size = await log.sync();
    const { rows } = await db.query<{ n: string; last: string }>(
      'SELECT count(*)::text n, max(block)::text last FROM log_blocks',
    );
    expect(Number(rows[0].n)).toBe(Math.floor(size / BLOCK));
    expect(Number(rows[0].last)).toBe(Math.floor(size / BLOCK) - 1);
  });

  it('export holds checkpoints, keys, system accounts and every entry', async () => {
    const r = await f.app.inject({ method: 'GET', url: '/v1/log/export' });
    expect(r.statusCode).toBe(200);
    const exp = r.json();
    expect(exp.format).toBe('tibillet-log-export/v1');
    expect(exp.entries).toHaveLength(exp.size);
    expect(exp.checkpoints.at(-1).treeSize).toBeLessThanOrEqual(exp.size);
    expect(exp.systemAccounts.some((s: { system: string }) => s.system === `funding:${f.bar}:cash`)).toBe(
      true,
    );
  });
});
