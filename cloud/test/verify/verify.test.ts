import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chainHash, entryBytes, GENESIS, type PublicLogEntry } from '../../src/transparency/chain.js';
import { checkpointMessage, checkpointText, cosignatureMessage } from '../../src/transparency/checkpoint.js';
import { generateKeyPair, keyIdOf, sign } from '../../src/transparency/ed25519.js';
import { rootHash } from '../../src/transparency/merkle.js';
import { ExportReadError, openExport } from '../../src/verify/read-export.js';
import { type LogExport, verifyExport, verifyLog } from '../../src/verify/verify.js';
import { PG_URL, withBothDatabases } from '../helpers/databases.js';
import { auth, type Fixture, fixture, id, uid } from '../helpers/fixture.js';
import { spawnTs } from '../helpers/spawn.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

/** Recomputes entry and chain hashes from entry `from` on (what a forger who rewrites history does). */
function rechain(entries: PublicLogEntry[], from = 0): void {
  let prev: Uint8Array = from === 0 ? GENESIS : Buffer.from(entries[from - 1].chainHash, 'hex');
  for (let i = from; i < entries.length; i++) {
    const eh = createHash('sha256').update(entryBytes(entries[i])).digest();
    entries[i].entryHash = hex(eh);
    prev = chainHash(prev, eh);
    entries[i].chainHash = hex(prev);
  }
}

function runCli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawnTs('cloud/src/verify/cli.ts', args);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

withBothDatabases('tibillet-verify', (getDb, kind) => {
  let f: Fixture;
  let exp: LogExport;
  let logKey: string;
  const card = uid();
  const other = uid();
  const dir = mkdtempSync(join(tmpdir(), 'tbv-'));

  const send = async (items: object[], key?: string, venueId?: string) => {
    const r = await f.app.inject({
      method: 'POST',
      url: '/v1/sync/batches',
      headers: auth(key ?? f.barKey),
      payload: { batchId: id('b'), venueId: venueId ?? f.bar, items },
    });
    expect(r.statusCode).toBe(200);
    return r.json().results;
  };
  const item = (type: string, c: string, legs: object[], extra: object = {}) => ({
    id: id(),
    type,
    cardUid: c,
    at: Date.now(),
    legs,
    ...extra,
  });
  const checkpoint = async () =>
    (await f.app.inject({ method: 'POST', url: '/v1/log/checkpoints', headers: auth(f.barKey) })).json();
  const exportNow = async (): Promise<LogExport> =>
    (await f.app.inject({ method: 'GET', url: '/v1/log/export' })).json();

  beforeAll(async () => {
    f = await fixture(getDb());
    const s = item('spend', card, [{ asset: 'EUR', amount: 250 }]);
    await send([
      item('topup', card, [{ asset: 'EUR', amount: 2000 }], { funding: 'cash' }),
      item('topup', card, [{ asset: `GIFT:${f.bar}`, amount: 300 }], { funding: 'cash' }),
      item('topup', other, [{ asset: 'EUR', amount: 100 }], { funding: 'card' }),
      s,
      item('spend', other, [{ asset: 'EUR', amount: 180 }], { offline: true }),
    ]);
    await checkpoint();
    await send([
      item('void', card, [{ asset: 'EUR', amount: 250 }], { voids: s.id }),
      item('spend', card, [{ asset: `GIFT:${f.bar}`, amount: 120 }]),
    ]);
    await send([item('spend', card, [{ asset: 'EUR', amount: 75 }])], f.cafeKey, f.cafe);
    const cp = await checkpoint();
    const w = generateKeyPair();
    const { keyId } = (
      await f.app.inject({
        method: 'POST',
        url: '/v1/log/witnesses',
        headers: auth(f.cafeKey),
        payload: { publicKey: hex(w.publicKey) },
      })
    ).json();
    const ts = Date.now();
    const co = await f.app.inject({
      method: 'POST',
      url: `/v1/log/checkpoints/${cp.treeSize}/cosign`,
      headers: auth(f.cafeKey),
      payload: { keyId, timestamp: ts, signature: hex(sign(cosignatureMessage(cp, ts), w.secretKey)) },
    });
    expect(co.statusCode).toBe(200);
    await send([item('spend', card, [{ asset: 'EUR', amount: 5 }])]); // after the last checkpoint
    exp = await exportNow();
    logKey = exp.logKeys[0].publicKey;
  });
  afterAll(() => f?.close());

  const cardAccounts = async (c: string): Promise<string[]> =>
    (await f.app.inject({ method: 'GET', url: `/v1/log/cards/${c}`, headers: auth(f.barKey) })).json()
      .accounts;

  it('a clean log verifies: chain, roots, signatures, cosignature, Σ = 0, card history with proofs', async () => {
    const accounts = await cardAccounts(card);
    const r = await verifyExport(exp, { logKey, card: { uid: card, accounts } });
    expect(r.issues).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.entries).toBe(exp.entries.length);
    expect(r.checkpoints).toBe(2);
    expect(r.cosignatures).toBe(1);
    expect(Object.values(r.sums).every((s) => s === 0)).toBe(true);
    expect(r.warnings.some((w) => /not covered by a signed checkpoint/.test(w))).toBe(true);
    const lines = r.card!.lines;
    expect(lines.map((l) => [l.kind, l.asset, l.amount])).toEqual([
      ['topup', 'EUR', 2000],
      ['topup', `GIFT:${f.bar}`, 300],
      ['spend', 'EUR', -250],
      ['void', 'EUR', 250],
      ['spend', `GIFT:${f.bar}`, -120],
      ['spend', 'EUR', -75],
      ['spend', 'EUR', -5],
    ]);
    expect(lines.slice(0, -1).every((l) => l.proof === 'verified')).toBe(true);
    expect(lines.at(-1)!.proof).toBe('pending');
    expect(r.card!.balances).toEqual({ EUR: 1920, [`GIFT:${f.bar}`]: 180 });
  });

  it('a tampered entry is pinpointed', async () => {
    const t = clone(exp);
    t.entries[3].amount += 1;
    const r = await verifyExport(t, { logKey });
    expect(r.ok).toBe(false);
    expect(r.issues[0]).toMatchObject({ check: 'chain', seq: 4 });
    expect(r.issues[0].message).toMatch(/tampered/);
  });

  it('a forked chain is detected: an entry chained on a stale previous entry, and a rewritten history', async () => {
    // Two writers read the same "previous": entry 3 commits to entry 1 instead of entry 2.
    const fork = clone(exp);
    fork.entries[2].chainHash = hex(
      chainHash(Buffer.from(fork.entries[0].chainHash, 'hex'), Buffer.from(fork.entries[2].entryHash, 'hex')),
    );
    const r1 = await verifyExport(fork, { logKey });
    expect(r1.issues[0]).toMatchObject({ check: 'chain', seq: 3 });
    expect(r1.issues[0].message).toMatch(/forked/);
    // A forger rewrites entry 2 and recomputes every hash after it: the chain holds, the signed roots do not.
    const rewritten = clone(exp);
    rewritten.entries[1].amount = 1;
    rechain(rewritten.entries, 1);
    const r2 = await verifyExport(rewritten, { logKey });
    expect(r2.issues.filter((i) => i.check === 'chain')).toEqual([]);
    expect(r2.issues.some((i) => i.check === 'merkle' && /rewritten or forked/.test(i.message))).toBe(true);
    // A truncated log no longer covers its checkpoints.
    const cut = clone(exp);
    cut.entries = cut.entries.slice(0, 3);
    expect((await verifyExport(cut, { logKey })).issues.some((i) => /truncated/.test(i.message))).toBe(true);
    // A log that does not extend a checkpoint trusted from an earlier run.
    const trusted = {
      treeSize: 2,
      rootHash: rootHash([entryBytes(exp.entries[0]), entryBytes({ ...exp.entries[1], amount: 9 })]),
    };
    expect((await verifyExport(exp, { logKey, trusted })).issues[0]).toMatchObject({ check: 'consistency' });
  });

  it('a bad signature, a bad cosignature and a foreign log key are each detected', async () => {
    const badSig = clone(exp);
    const s = badSig.checkpoints[1].signature;
    badSig.checkpoints[1].signature = (s[0] === '0' ? '1' : '0') + s.slice(1);
    expect((await verifyExport(badSig, { logKey })).issues).toEqual([
      expect.objectContaining({ check: 'signature', treeSize: badSig.checkpoints[1].treeSize }),
    ]);
    const badCo = clone(exp);
    const cp = badCo.checkpoints.find((c) => c.cosignatures.length)!;
    cp.cosignatures[0].timestamp += 1;
    expect((await verifyExport(badCo, { logKey })).issues).toEqual([
      expect.objectContaining({ check: 'cosignature' }),
    ]);
    // Everything re-signed with another key: fine on its own, refused when the real key is pinned.
    const forged = clone(exp);
    const k = generateKeyPair();
    forged.logKeys = [{ keyId: keyIdOf(k.publicKey), publicKey: hex(k.publicKey) }];
    for (const c of forged.checkpoints) {
      c.keyId = keyIdOf(k.publicKey);
      c.signature = hex(sign(checkpointMessage(c), k.secretKey));
      c.cosignatures = [];
    }
    expect((await verifyExport(forged)).ok).toBe(true);
    const pinned = await verifyExport(forged, { logKey });
    expect(pinned.ok).toBe(false);
    expect(pinned.issues[0].check).toBe('signature');
  });

  it('replay refuses a negative wallet balance (log signed consistently by its own key)', async () => {
    const k = generateKeyPair();
    const e = (seq: number, debit: string, credit: string, amount: number): PublicLogEntry => ({
      index: seq - 1,
      seq,
      id: `x${seq}`,
      asset: 'EUR',
      debit,
      credit,
      amount,
      kind: 'spend',
      at: 1,
      entryHash: '',
      chainHash: '',
    });
    const entries = [e(1, 'a1', 'a2', 100), e(2, 'a2', 'a3', 150)];
    rechain(entries);
    const body = {
      origin: 'test',
      treeSize: 2,
      rootHash: rootHash(entries.map((x) => entryBytes(x))),
      timestamp: 1,
    };
    const forged: LogExport = {
      format: 'tibillet-log-export/v1',
      origin: 'test',
      size: 2,
      logKeys: [{ keyId: keyIdOf(k.publicKey), publicKey: hex(k.publicKey) }],
      witnesses: [],
      systemAccounts: [{ account: 'a1', system: 'funding:x:cash', asset: 'EUR', allowNegative: true }],
      checkpoints: [
        {
          ...body,
          keyId: keyIdOf(k.publicKey),
          signature: hex(sign(checkpointMessage(body), k.secretKey)),
          body: checkpointText(body),
          cosignatures: [],
        },
      ],
      entries,
    };
    const r = await verifyExport(forged);
    expect(r.issues).toEqual([expect.objectContaining({ check: 'balance', seq: 2 })]);
    expect(r.issues[0].message).toMatch(/a2 goes negative/);
  });

  it('an export too large to read whole is read line by line: same report, tampering pinpointed, bad files refused', async () => {
    const body = (await f.app.inject({ method: 'GET', url: '/v1/log/export' })).body;
    const lines = body.trimEnd().split('\n');
    // The layout tibillet-cloud writes: the head, one entry per line, the closing line; still one JSON document.
    expect(lines).toHaveLength(exp.entries.length + 2);
    expect(lines[0].endsWith('"entries":[')).toBe(true);
    expect(lines.at(-1)).toBe(']}');
    expect(JSON.parse(body).entries).toEqual(exp.entries);
    const accounts = await cardAccounts(card);
    const opts = { logKey, card: { uid: card, accounts } };
    const streamed = async (text: string) => {
      const file = join(dir, `${id('exp')}.json`);
      writeFileSync(file, text);
      const opened = openExport(file, 0); // as if over the size read whole
      expect(Array.isArray(opened.entries)).toBe(false);
      return verifyLog(opened.head, opened.entries, opts);
    };
    const whole = await verifyExport(JSON.parse(body), opts);
    expect(whole.ok).toBe(true);
    expect(await streamed(body)).toEqual(whole);

    // Entry 4 changed in its line: the same finding as when the export is read whole.
    const tampered = [...lines];
    const e4 = JSON.parse(tampered[4].replace(/,$/, ''));
    e4.amount += 1;
    tampered[4] = `${JSON.stringify(e4)},`;
    const r = await streamed(`${tampered.join('\n')}\n`);
    expect(r.issues[0]).toMatchObject({ check: 'chain', seq: 4 });
    expect(r).toEqual(await verifyExport(JSON.parse(tampered.join('\n')), opts));

    // Files that cannot be read this way say why (tibillet-verify exits 2 with the message).
    const refused = async (text: string) => {
      try {
        await streamed(text);
      } catch (err) {
        expect(err).toBeInstanceOf(ExportReadError);
        return (err as Error).message;
      }
      throw new Error('not refused');
    };
    expect(await refused(JSON.stringify(JSON.parse(body)))).toMatch(
      /too large to read as one JSON document.*export-log/,
    );
    expect(await refused(lines.slice(0, -2).join('\n'))).toMatch(/without its closing .*truncated/);
    expect(await refused([...lines.slice(0, 3), '{"seq": oops', ...lines.slice(3)].join('\n'))).toMatch(
      /^line 4: not a log entry/,
    );
    expect(await refused(`${body}{"seq":99}\n`)).toMatch(/after the end of the export/);
    // Commas as JSON has them: what JSON.parse refuses whole is refused line by line too.
    const last = lines.length - 2;
    const trailing = [...lines];
    trailing[last] = `${trailing[last]},`;
    expect(() => JSON.parse(trailing.join('\n'))).toThrow();
    expect(await refused(trailing.join('\n'))).toBe(
      `line ${last + 1}: a comma after the last entry (not JSON)`,
    );
    const missing = [...lines];
    missing[2] = missing[2].replace(/,$/, '');
    expect(await refused(missing.join('\n'))).toBe(
      'line 3: no comma between this entry and the next (not JSON)',
    );
    // A value that is not an entry at all is a finding, not a crash.
    const odd = await streamed([...lines.slice(0, 3), 'null,', ...lines.slice(3)].join('\n'));
    expect(odd.issues[0]).toMatchObject({ check: 'format', seq: 3, message: 'entry #3 is not an object' });
  });

  it('CLI: verifies over HTTP with --card, and an export file; exit ≠ 0 with a clear message on tampering', async () => {
    const address = await f.app.listen({ port: 0, host: '127.0.0.1' });
    const http = await runCli([
      '--url',
      address,
      '--card',
      card,
      '--token',
      f.barKey,
      '--log-key',
      logKey,
      '--state',
      join(dir, 'state.json'),
    ]);
    expect(http.err).toBe('');
    expect(http.code).toBe(0);
    expect(http.out).toMatch(/OK: log verified/);
    expect(http.out).toMatch(/proof verified/);
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).treeSize).toBe(
      exp.checkpoints.at(-1)!.treeSize,
    );
    const file = join(dir, 'export.json');
    writeFileSync(file, JSON.stringify(exp));
    const ok = await runCli([
      '--file',
      file,
      '--card',
      card,
      '--card-accounts',
      (await cardAccounts(card)).join(','),
      '--state',
      join(dir, 'state.json'),
    ]);
    expect(ok.code).toBe(0);
    const bad = clone(exp);
    bad.entries[4].credit = 'a999999';
    writeFileSync(file, JSON.stringify(bad));
    const tampered = await runCli(['--file', file]);
    expect(tampered.code).toBe(1);
    expect(tampered.err).toMatch(/FAIL \[chain\] seq 5: entry 5: content does not match its entry hash/);
    expect(tampered.err).toMatch(/FAILED/);
    const missing = await runCli(['--file', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read/);
  }, 60_000);

  it.runIf(kind === 'postgres')(
    'tibillet-cloud export-log writes an export the CLI verifies, card mapping included',
    async () => {
      const file = join(dir, 'cli-export.json');
      const child = spawnTs('cloud/src/cli.ts', [
        'export-log',
        '--database-url',
        PG_URL,
        '--schema',
        getDb().schema!,
        '--master-key',
        f.masterKey.toString('hex'),
        '--out',
        file,
        '--federation',
        f.fed,
        '--card',
        card,
      ]);
      let err = '';
      child.stderr?.on('data', (d) => {
        err += d;
      });
      const code = await new Promise((r) => child.on('exit', r));
      expect(err).toBe('');
      expect(code).toBe(0);
      const written = JSON.parse(readFileSync(file, 'utf8')) as LogExport;
      expect(written.cards?.[card]).toEqual(await cardAccounts(card));
      expect(written.checkpoints.at(-1)!.treeSize).toBe(written.entries.length);
      const r = await runCli(['--file', file, '--card', card, '--log-key', logKey]);
      expect(r.code).toBe(0);
      expect(r.out).not.toMatch(/pending/);
    },
    60_000,
  );
});
