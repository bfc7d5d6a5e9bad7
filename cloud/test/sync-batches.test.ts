import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFederation, createGateway, createVenue } from '../src/admin/setup.js';
import { importCardBatch } from '../src/ledger/card-import.js';
import { assertBalanced, withBothDatabases } from './helpers/databases.js';
import {
  auth,
  type Fixture,
  fixture,
  id,
  leaseBalances,
  spend,
  topup,
  uid,
  verifyLog,
} from './helpers/fixture.js';

withBothDatabases('sync batches', (getDb) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture(getDb());
  });
  afterAll(() => f?.close());

  const send = (items: object[], opts: { key?: string; venueId?: string; batchId?: string } = {}) =>
    f.app.inject({
      method: 'POST',
      url: '/v1/sync/batches',
      headers: auth(opts.key ?? f.barKey),
      payload: { batchId: opts.batchId ?? id('b'), venueId: opts.venueId ?? f.bar, items },
    });
  const balances = (card: string) => leaseBalances(f, card);
  const counts = async () => {
    const r = await getDb().query<{ t: string; o: string; l: string }>(
      'SELECT (SELECT count(*) FROM transfers)::text t, (SELECT count(*) FROM operations)::text o, (SELECT count(*) FROM log_entries)::text l',
    );
    return r.rows[0];
  };

  it('top-up then multi-asset spend: per-item results with card balances, Σ = 0, chained log', async () => {
    const card = uid();
    const r = await send([
      topup(card, 2000),
      topup(card, 150, `GIFT:${f.bar}`),
      spend(card, [
        { asset: `GIFT:${f.bar}`, amount: 150 },
        { asset: 'EUR', amount: 350 },
      ]),
    ]);
    expect(r.statusCode).toBe(200);
    const res = r.json().results;
    expect(res.map((x: { status: string }) => x.status)).toEqual(['applied', 'applied', 'applied']);
    expect(res[2].balances).toEqual([
      { asset: 'EUR', amount: 1650 },
      { asset: `GIFT:${f.bar}`, amount: 0 },
    ]);
    expect(await balances(card)).toEqual({ EUR: 1650, [`GIFT:${f.bar}`]: 0 });
    await assertBalanced(getDb());
    expect(await verifyLog(getDb())).toBeGreaterThanOrEqual(4);
  });

  it('online overdraft is refused; offline overdraft books the shortfall on the stand-in account', async () => {
    const card = uid();
    await send([topup(card, 500)]);
    const r = await send([
      spend(card, [{ asset: 'EUR', amount: 800 }]),
      spend(card, [{ asset: 'EUR', amount: 800 }], true),
    ]);
    const [online, offline] = r.json().results;
    expect(online).toMatchObject({ status: 'rejected', reason: 'insufficient-funds' });
    expect(offline).toMatchObject({
      status: 'applied',
      shortfall: [{ asset: 'EUR', amount: 300 }],
      balances: [{ asset: 'EUR', amount: 0 }],
    });
    const stand = await getDb().query<{ b: string }>(
      "SELECT balance::text b FROM accounts WHERE system = $1 AND asset = 'EUR'",
      [`standin:${f.bar}`],
    );
    expect(Number(stand.rows[0].b)).toBe(-300);
    await assertBalanced(getDb());
  });

  it('replays: same item → duplicate with original result, nothing changes; other body → idempotency-conflict', async () => {
    const card = uid();
    const t = topup(card, 1000);
    const s = spend(card, [{ asset: 'EUR', amount: 100 }]);
    const first = (await send([t, s])).json().results;
    const before = await counts();
    const again = (await send([t, s, { ...s, legs: [{ asset: 'EUR', amount: 999 }] }])).json().results;
    expect(again[0]).toMatchObject({ status: 'duplicate', original: 'applied', balances: first[0].balances });
    expect(again[1]).toMatchObject({ status: 'duplicate', balances: [{ asset: 'EUR', amount: 900 }] });
    expect(again[2]).toMatchObject({ status: 'rejected', reason: 'idempotency-conflict' });
    expect(await counts()).toEqual(before);
    expect(await balances(card)).toEqual({ EUR: 900 });
  });

  it('a large batch (streamed to PostgreSQL) with replayed ids in its middle: those answer duplicate or conflict, the rest applies once', async () => {
    const cards = Array.from({ length: 600 }, () => uid());
    const topups = cards.map((c) => topup(c, 1000));
    expect((await send(topups)).json().results.every((r: { status: string }) => r.status === 'applied')).toBe(
      true,
    );
    const spends = cards.map((c, k) => spend(c, [{ asset: 'EUR', amount: 10 + (k % 7) }]));
    const early = spends.slice(0, 300);
    expect((await send(early)).json().results.every((r: { status: string }) => r.status === 'applied')).toBe(
      true,
    );
    const before = await counts();
    // A fresh batchId whose items 0..299 were applied already (item 150 with another body), sent as one
    // batch: the fresh-batch attempt meets their ids in the operations COPY, rolls back and re-runs.
    const mixed = [...early, ...spends.slice(300)];
    mixed[150] = { ...mixed[150], legs: [{ asset: 'EUR', amount: 999 }] };
    const res = (await send(mixed)).json().results as { status: string; reason?: string }[];
    expect(res.filter((r) => r.status === 'duplicate')).toHaveLength(299);
    expect(res[150]).toMatchObject({ status: 'rejected', reason: 'idempotency-conflict' });
    expect(res.slice(300).every((r) => r.status === 'applied')).toBe(true);
    const after = await counts();
    expect(Number(after.o) - Number(before.o)).toBe(300);
    expect(Number(after.t) - Number(before.t)).toBe(300);
    for (const k of [0, 150, 299, 300, 599])
      expect(await balances(cards[k])).toEqual({ EUR: 1000 - (10 + (k % 7)) });
    // Re-sent as is: all duplicates, nothing more written.
    expect(
      (await send(spends.slice(300)))
        .json()
        .results.every((r: { status: string }) => r.status === 'duplicate'),
    ).toBe(true);
    expect(await counts()).toEqual(after);
    await assertBalanced(getDb());
    expect(await verifyLog(getDb())).toBeGreaterThanOrEqual(Number(after.l));
  });

  it('same batchId with another body → 409, nothing written; same body → all duplicates', async () => {
    const card = uid();
    const batchId = id('b');
    const items = [topup(card, 700)];
    expect((await send(items, { batchId })).statusCode).toBe(200);
    const before = await counts();
    const c = await send([topup(card, 701)], { batchId });
    expect(c.statusCode).toBe(409);
    expect(c.json().error).toBe('idempotency-conflict');
    const d = await send(items, { batchId });
    expect(d.json().results[0].status).toBe('duplicate');
    expect(await counts()).toEqual(before);
  });

  it('void reverses a spend once, in the same batch or later; unknown target refused', async () => {
    const card = uid();
    const s = spend(card, [{ asset: 'EUR', amount: 400 }]);
    const v = {
      id: id(),
      type: 'void',
      cardUid: card,
      at: Date.now(),
      legs: [{ asset: 'EUR', amount: 400 }],
      voids: s.id,
      reason: 'wrong drink',
      cashierId: 'c-1',
    };
    const r = (await send([topup(card, 1000), s, v])).json().results;
    expect(r[2]).toMatchObject({ status: 'applied', balances: [{ asset: 'EUR', amount: 1000 }] });
    const again = (await send([{ ...v, id: id() }])).json().results[0];
    expect(again).toMatchObject({ status: 'rejected', reason: 'already-voided' });
    const unknown = (await send([{ ...v, id: id(), voids: 'nope' }])).json().results[0];
    expect(unknown).toMatchObject({ status: 'rejected', reason: 'void-target-unknown' });
    await assertBalanced(getDb());
  });

  it('bad input: negative/float/string amounts, bad uid, unknown asset, wrong venue, bad key, oversize — no writes', async () => {
    const card = uid();
    const before = await counts();
    for (const amount of [-5, 0, 1.5, '100']) {
      const r = await send([topup(card, 10), { ...topup(card, 10), legs: [{ asset: 'EUR', amount }] }]);
      expect(r.statusCode).toBe(400);
      expect(r.json().error).toBe('bad-request');
    }
    expect((await send([{ ...topup(card, 10), cardUid: 'zz' }])).statusCode).toBe(400);
    const unk = await send([topup(card, 10, 'GOLD')]);
    expect(unk.statusCode).toBe(400);
    const other = (await send([topup(card, 10, `LOC:${f.cafe}`)])).json().results[0];
    expect(other).toMatchObject({ status: 'rejected', reason: 'unknown-asset' });
    const wrong = await send([topup(card, 10)], { venueId: f.cafe });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error).toBe('wrong-venue');
    expect((await send([topup(card, 10)], { key: 'tbg_notavalidkeyatallxx' })).statusCode).toBe(401);
    const big = await send(Array.from({ length: 5001 }, () => topup(card, 1)));
    expect(big.statusCode).toBe(413);
    expect(await counts()).toEqual(before);
  });

  it('blocked card refused; unknown card first tap creates an anonymous wallet', async () => {
    const card = uid();
    expect((await send([topup(card, 100)])).json().results[0].status).toBe('applied');
    await getDb().query('UPDATE cards SET blocked = true WHERE uid = $1', [card]);
    expect((await send([spend(card, [{ asset: 'EUR', amount: 10 }])])).json().results[0]).toMatchObject({
      status: 'rejected',
      reason: 'card-blocked',
    });
  });
  it("one large batch of every kind of card: own cards spend, another federation's card is unknown here, imported and new cards get a wallet at first tap", async () => {
    // Another federation's card, with money on it there.
    const s = id('x').slice(-6);
    await createFederation(getDb(), { id: `fed-${s}`, name: 'Elsewhere' });
    await createVenue(getDb(), { id: `pub-${s}`, federationId: `fed-${s}`, name: 'Pub' });
    const { apiKey: pubKey } = await createGateway(getDb(), `pub-${s}`);
    const theirs = uid();
    const there = await send([topup(theirs, 900)], { key: pubKey, venueId: `pub-${s}` });
    expect(there.json().results[0].status).toBe('applied');
    // Cards of this federation: 250 with money, 3 imported from the supplier (no wallet yet), 3 never seen.
    const own = Array.from({ length: 250 }, () => uid());
    expect(
      (await send(own.map((c) => topup(c, 500))))
        .json()
        .results.every((r: { status: string }) => r.status === 'applied'),
    ).toBe(true);
    const imported = [uid(), uid(), uid()];
    const csv = imported.map((u, k) => `P-${s}-${k},${u}`).join('\n');
    const masterKey = f.masterKey;
    expect(
      await importCardBatch(getDb(), { federationId: f.fed, batch: `b-${s}`, csv, masterKey }),
    ).toMatchObject({ imported: 3 });
    const fresh = [uid(), uid(), uid()];
    const before = await counts();
    const items = [
      ...own.map((c, k) => spend(c, [{ asset: 'EUR', amount: 1 + (k % 5) }])),
      spend(theirs, [{ asset: 'EUR', amount: 100 }]),
      ...imported.map((c) => topup(c, 300)),
      ...fresh.map((c) => topup(c, 200)),
    ];
    const res = (await send(items)).json().results as {
      status: string;
      reason?: string;
      balances?: unknown;
    }[];
    expect(res.slice(0, 250).every((r) => r.status === 'applied')).toBe(true);
    expect(res[7].balances).toEqual([{ asset: 'EUR', amount: 500 - 3 }]);
    expect(res[250]).toMatchObject({ status: 'rejected', reason: 'unknown-card' });
    expect(res.slice(251).map((r) => r.status)).toEqual(Array(6).fill('applied'));
    expect(res[251].balances).toEqual([{ asset: 'EUR', amount: 300 }]);
    expect(res[254].balances).toEqual([{ asset: 'EUR', amount: 200 }]);
    // Nothing moved on the foreign card; one transfer per applied item here.
    expect(
      await send([spend(theirs, [{ asset: 'EUR', amount: 1 }])], { key: pubKey, venueId: `pub-${s}` }).then(
        (r) => r.json().results[0].balances,
      ),
    ).toEqual([{ asset: 'EUR', amount: 899 }]);
    const after = await counts();
    expect(Number(after.o) - Number(before.o)).toBe(256 + 1);
    expect(await balances(own[249])).toEqual({ EUR: 500 - (1 + (249 % 5)) });
    expect(await balances(imported[0])).toEqual({ EUR: 300 });
    await assertBalanced(getDb());
    expect(await verifyLog(getDb())).toBeGreaterThanOrEqual(Number(after.l));
  });
});
