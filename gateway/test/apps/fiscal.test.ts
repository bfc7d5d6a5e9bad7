// Inalterable sales records: every sale line chained by HMAC-SHA256 under the venue's secret
// key; tampering, removal and insertion are found at the exact record; daily closures roll up
// into monthly and yearly ones; signed archives (Ed25519) verify, and fail once touched; the
// CLI's verify command; the FEC export.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Archive,
  dayOf,
  FEC_COLUMNS,
  fiscalCli,
  HMAC_FILE,
  SIGNING_FILE,
  verifyArchive,
  verifyChain,
} from '../../src/apps/fiscal.js';
import { cartId, json, type Rig, rig } from './apps-helpers.js';

describe('inalterable sales records', () => {
  let r: Rig;
  let dataDir: string;
  const orders: string[] = [];
  const db = () => r.gw.ctx.journal.db;
  const sell = async (lines: { sku: string; qty: number; price: number }[], method: string) => {
    const id = cartId();
    await json(r.base, 'POST', '/apps/api/pos/bar/orders', { id, cashier: 'alice', lines });
    await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, { method, cashier: 'alice' });
    orders.push(id);
    return id;
  };
  beforeAll(async () => {
    r = await rig();
    dataDir = dirname(db().name);
    await sell(
      [
        { sku: 'beer', qty: 2, price: 350 },
        { sku: 'soda', qty: 1, price: 200 },
      ],
      'cash',
    );
    await sell([{ sku: 'burger', qty: 1, price: 900 }], 'bankcard');
    const v = await sell([{ sku: 'soda', qty: 3, price: 200 }], 'cash');
    await json(r.base, 'POST', `/apps/api/orders/${v}/void`, { reason: 'wrong table', cashier: 'alice' });
    // an open (unpaid) order is not a sale: nothing on the chain
    await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id: cartId(),
      cashier: 'alice',
      lines: [{ sku: 'soda', qty: 1, price: 200 }],
    });
  });
  afterAll(async () => {
    await r?.close();
  });

  it('chains every line, ticket and void; keys are private files in the data dir', async () => {
    const kinds = (db().prepare('SELECT kind FROM app_fiscal ORDER BY seq').all() as { kind: string }[]).map(
      (x) => x.kind,
    );
    expect(kinds).toEqual([
      'line',
      'line',
      'ticket',
      'line',
      'ticket',
      'line',
      'ticket',
      'void-line',
      'void',
    ]);
    const tickets = (
      db().prepare("SELECT data FROM app_fiscal WHERE kind IN ('ticket','void') ORDER BY seq").all() as {
        data: string;
      }[]
    ).map((x) => JSON.parse(x.data));
    expect(tickets.map((t) => [t.total, t.gt])).toEqual([
      [900, 900],
      [900, 1800],
      [600, 2400],
      [-600, 1800],
    ]);
    expect(tickets[1].payments).toEqual({ bankcard: 900 });
    expect(tickets[3]).toMatchObject({ reason: 'wrong table', by: 'alice', payments: { cash: -600 } });
    expect((await json(r.base, 'GET', '/apps/api/fiscal/verify')).body).toMatchObject({ ok: true, count: 9 });
    for (const f of [HMAC_FILE, SIGNING_FILE]) expect(statSync(join(dataDir, f)).mode & 0o077).toBe(0);
  });

  it('tampering with one line is found at that exact line; so are a removed and an inserted record', async () => {
    const row = db().prepare('SELECT * FROM app_fiscal WHERE seq = 4').get() as { data: string };
    db().prepare('UPDATE app_fiscal SET data = ? WHERE seq = 4').run(row.data.replace('"qty":1', '"qty":0'));
    const v = (await json(r.base, 'GET', '/apps/api/fiscal/verify')).body;
    expect(v).toMatchObject({ ok: false, badSeq: 4, error: 'bad-mac' });
    expect(v.errors).toEqual([{ seq: 4, error: 'bad-mac' }]);
    db().prepare('UPDATE app_fiscal SET data = ? WHERE seq = 4').run(row.data);
    expect((await json(r.base, 'GET', '/apps/api/fiscal/verify')).body.ok).toBe(true);

    // without the key, a forger recomputing a MAC still breaks the link to the next record
    const all = db().prepare('SELECT * FROM app_fiscal ORDER BY seq').all() as Parameters<
      typeof verifyChain
    >[0];
    const forged = all.map((x) =>
      x.seq === 6 ? { ...x, data: x.data.replace('600', '60'), mac: 'ab'.repeat(32) } : x,
    );
    expect(verifyChain(forged)).toMatchObject({ ok: false, badSeq: 7, error: 'broken-link' });
    const key = Buffer.from(readFileSync(join(dataDir, HMAC_FILE), 'utf8').trim(), 'hex');
    expect(verifyChain(forged, { key })).toMatchObject({ ok: false, badSeq: 6, error: 'bad-mac' });
    expect(
      verifyChain(
        all.filter((x) => x.seq !== 5),
        { key },
      ),
    ).toMatchObject({ ok: false, badSeq: 5 });
    expect(
      verifyChain(
        all.filter((x) => x.seq !== 1),
        { key },
      ),
    ).toMatchObject({ ok: false, badSeq: 1, error: 'missing-records' });
    // the records are never rewritten by the apps: a void adds records, the sale stays
    expect(all.filter((x) => x.ref === orders[2]).map((x) => x.kind)).toEqual([
      'line',
      'ticket',
      'void-line',
      'void',
    ]);
  });

  it('daily closure, monthly and yearly rollups; a period closes once; the right is needed', async () => {
    const day = dayOf(Date.now());
    await json(r.base, 'PUT', '/apps/api/staff/mona', { name: 'Mona', role: 'manager' });
    await json(r.base, 'PUT', '/apps/api/staff/alice', { name: 'Alice', role: 'cashier', by: 'mona' });
    expect(
      (await json(r.base, 'POST', '/apps/api/fiscal/closures', { kind: 'day', period: day, by: 'alice' }))
        .status,
    ).toBe(403);
    const c = await json(r.base, 'POST', '/apps/api/fiscal/closures', {
      kind: 'day',
      period: day,
      by: 'mona',
    });
    expect(c.body).toMatchObject({
      kind: 'day',
      period: day,
      tickets: 3,
      voids: 1,
      total: 1800,
      gt: 1800,
      byMethod: { cash: 900, bankcard: 900 },
    });
    expect(
      (await json(r.base, 'POST', '/apps/api/fiscal/closures', { kind: 'day', period: day, by: 'mona' }))
        .status,
    ).toBe(409);
    const year = await json(r.base, 'POST', '/apps/api/fiscal/closures', {
      kind: 'year',
      period: day.slice(0, 4),
      by: 'mona',
    });
    expect(year.body).toMatchObject({
      kind: 'year',
      total: 1800,
      tickets: 3,
      closures: [`month:${day.slice(0, 7)}`],
    });
    const closures = (await json(r.base, 'GET', '/apps/api/fiscal/closures')).body as {
      kind: string;
      period: string;
      closures?: string[];
    }[];
    expect(closures.map((x) => x.kind)).toEqual(['day', 'month', 'year']);
    expect(closures[1].closures).toEqual([`day:${day}`]);
    expect((await json(r.base, 'GET', '/apps/api/fiscal/verify')).body.ok).toBe(true);
  });

  it('signed archives verify; a touched record, a bad signature or another key are refused; the CLI verify', async () => {
    const day = dayOf(Date.now());
    const res = await json(r.base, 'GET', `/apps/api/fiscal/archives/day/${day}`);
    expect(res.status).toBe(200);
    const a = res.body as Archive;
    expect(a.records.at(-1)).toMatchObject({ kind: 'closure', ref: `day:${day}` });
    const key = Buffer.from(readFileSync(join(dataDir, HMAC_FILE), 'utf8').trim(), 'hex');
    const pub = (await (await fetch(`${r.base}/apps/api/fiscal/public-key`)).text()) as string;
    expect(verifyArchive(a, { key, publicKey: pub })).toMatchObject({ ok: true, count: 10 });

    const touched = structuredClone(a);
    touched.records[3].data = touched.records[3].data.replace('"qty":1', '"qty":2');
    const v = verifyArchive(touched, { key, publicKey: pub });
    expect(v.ok).toBe(false);
    expect(v.errors).toContainEqual({ seq: 0, error: 'bad-signature' });
    expect(v.errors).toContainEqual({ seq: 4, error: 'bad-mac' });
    // re-signed by someone else: the signature holds but the key is not the venue's
    const { generateKeyPairSync, sign } = await import('node:crypto');
    const other = generateKeyPairSync('ed25519');
    const { signature: _s, ...body } = touched;
    body.publicKey = other.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const resigned = {
      ...body,
      signature: sign(null, Buffer.from(JSON.stringify(body)), other.privateKey).toString('base64'),
    };
    expect(verifyArchive(resigned, { publicKey: pub }).errors).toEqual([{ seq: 0, error: 'untrusted-key' }]);
    expect(verifyArchive(resigned, { key, publicKey: pub }).errors).toContainEqual({
      seq: 4,
      error: 'bad-mac',
    });
    expect(
      verifyArchive({ ...a, signature: a.signature!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }).errors,
    ).toContainEqual({
      seq: 0,
      error: 'bad-signature',
    });

    const file = join(dataDir, 'archive.json');
    writeFileSync(file, JSON.stringify(a));
    const out: string[] = [];
    expect(await fiscalCli(['verify', file], { dataDir, out: (s) => out.push(s) })).toBe(0);
    expect(out[0]).toMatch(/^OK day .*: 10 records, signature and chain verified \(MACs checked\)/);
    writeFileSync(file, JSON.stringify(touched));
    expect(await fiscalCli(['verify', file], { dataDir, out: (s) => out.push(s) })).toBe(1);
    expect(out[1]).toContain('record 4: bad-mac');
    expect(await fiscalCli(['verify-db'], { dataDir, out: (s) => out.push(s) })).toBe(0);
    expect(await fiscalCli(['nope'], { dataDir, out: (s) => out.push(s) })).toBe(2);
  });

  it('FEC export: 18 tab-separated columns, balanced entries per sale and per void', async () => {
    const day = dayOf(Date.now());
    const res = await fetch(`${r.base}/apps/api/fiscal/fec?from=${day}&to=${day}`);
    expect(res.headers.get('content-disposition')).toMatch(/FEC\d{8}\.txt/);
    const rows = (await res.text())
      .replace(/\r\n$/, '')
      .split('\r\n')
      .map((l) => l.split('\t'));
    expect(rows[0]).toEqual([...FEC_COLUMNS]);
    expect(rows[0]).toHaveLength(18);
    const body = rows.slice(1);
    expect(body.every((x) => x.length === 18)).toBe(true);
    const cents = (s: string) => Math.round(Number(s.replace(',', '.')) * 100);
    const byNum = new Map<string, { d: number; c: number }>();
    for (const x of body) {
      const e = byNum.get(x[2]) ?? { d: 0, c: 0 };
      e.d += cents(x[11]);
      e.c += cents(x[12]);
      byNum.set(x[2], e);
    }
    expect(byNum.size).toBe(4);
    for (const e of byNum.values()) expect(e.d).toBe(e.c);
    expect(body[0]).toEqual([
      'VE',
      'Ventes',
      expect.stringMatching(/^VE\d{8}$/),
      day.replaceAll('-', ''),
      '530000',
      'Caisse',
      '',
      '',
      orders[0],
      day.replaceAll('-', ''),
      `Vente bar ${orders[0]}`,
      '9,00',
      '0,00',
      '',
      '',
      day.replaceAll('-', ''),
      '',
      '',
    ]);
    expect(body.filter((x) => x[4] === '707000').map((x) => [x[11], x[12]])).toEqual([
      ['0,00', '9,00'],
      ['0,00', '9,00'],
      ['0,00', '6,00'],
      ['6,00', '0,00'],
    ]);
    expect(body.some((x) => x[4] === '511500' && x[11] === '9,00')).toBe(true);
  });
});
