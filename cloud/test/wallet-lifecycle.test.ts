import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertBalanced, withBothDatabases } from './helpers/databases.js';
import {
  auth,
  cardWithEveryAsset,
  type Fixture,
  fixture,
  id,
  leaseBalances,
  spend,
  staffTokens,
  staffWrite,
  syncBatch,
  topup,
  uid,
  verifyLog,
} from './helpers/fixture.js';

withBothDatabases('wallet lifecycle', (getDb) => {
  let f: Fixture;
  let tokens: Record<string, string> = {};
  beforeAll(async () => {
    f = await fixture(getDb(), { policy: { refund: { gift: 'void', loyalty: 'keep', time: 'keep' } } });
    tokens = await staffTokens(getDb(), f, [
      ['fed', 'federation_admin', null],
      ['barAdmin', 'venue_admin', f.bar],
      ['barCashier', 'cashier', f.bar],
      ['cafeAdmin', 'venue_admin', f.cafe],
    ]);
  });
  afterAll(() => f?.close());

  const sync = (items: object[], key = f.barKey, venueId = f.bar) => syncBatch(f, items, key, venueId);
  const post = (who: string, url: string, payload: object, key?: string | null) =>
    staffWrite(f, tokens, 'POST', who, url, payload, key);
  const balances = (card: string) => leaseBalances(f, card);
  const counts = async () =>
    (
      await getDb().query<{ t: string; r: string }>(
        "SELECT (SELECT count(*) FROM transfers)::text t, (SELECT count(*) FROM refund_requests WHERE status = 'paid')::text r",
      )
    ).rows[0];

  it('refund: request (quote) → approval pays refundable assets, voids/keeps the rest per policy, logs it; replays are idempotent', async () => {
    const card = await cardWithEveryAsset(f, tokens.barAdmin);

    expect(
      (await post('barCashier', `/v1/venues/${f.bar}/refunds`, { cardUid: card }, null)).statusCode,
    ).toBe(400);
    const req = await post('barCashier', `/v1/venues/${f.bar}/refunds`, { cardUid: card });
    expect(req.statusCode).toBe(201);
    const r = req.json();
    expect(r).toMatchObject({
      status: 'requested',
      quote: {
        payout: [
          { asset: 'EUR', amount: 2000 },
          { asset: `LOC:${f.bar}`, amount: 500 },
        ],
        voided: [{ asset: `GIFT:${f.bar}`, amount: 300 }],
      },
    });
    expect(r.quote.kept).toEqual(
      expect.arrayContaining([
        { asset: `LOYAL:${f.bar}`, amount: 40 },
        { asset: 'TIME', amount: 90 },
        { asset: `LOC:${f.cafe}`, amount: 200 },
      ]),
    );
    expect((await post('barCashier', `/v1/venues/${f.bar}/refunds`, { cardUid: card })).json().error).toBe(
      'refund-pending',
    );

    const url = `/v1/venues/${f.bar}/refunds/${r.refundId}/approve`;
    expect((await post('barCashier', url, { payoutMethod: 'cash' })).statusCode).toBe(403);
    const cross = await post('cafeAdmin', url, { payoutMethod: 'cash' });
    expect(cross.statusCode).toBe(403);
    expect(cross.json().error).toBe('wrong-venue');
    expect(
      (
        await post('cafeAdmin', `/v1/venues/${f.cafe}/refunds/${r.refundId}/approve`, {
          payoutMethod: 'cash',
        })
      ).statusCode,
    ).toBe(404);

    await sync([spend(card, [{ asset: 'EUR', amount: 100 }])]); // between request and approval: the payout follows the balance
    const key = id('approve');
    const before = await counts();
    const ok = await post('barAdmin', url, { payoutMethod: 'cash', payoutReference: 'till-2' }, key);
    expect(ok.statusCode).toBe(200);
    const paid = ok.json();
    expect(paid).toMatchObject({
      status: 'paid',
      payoutMethod: 'cash',
      payoutReference: 'till-2',
      payout: {
        payout: [
          { asset: 'EUR', amount: 1900 },
          { asset: `LOC:${f.bar}`, amount: 500 },
        ],
        voided: [{ asset: `GIFT:${f.bar}`, amount: 300 }],
      },
    });
    expect(paid.payout.logSeqs).toHaveLength(3);
    expect(await balances(card)).toEqual({
      EUR: 0,
      [`LOC:${f.bar}`]: 0,
      [`GIFT:${f.bar}`]: 0,
      [`LOYAL:${f.bar}`]: 40,
      TIME: 90,
    });
    const after = await counts();
    expect(Number(after.t) - Number(before.t)).toBe(3);

    // Replay: same key + same request → same response, nothing written; same key + other body → 409.
    const again = await post('barAdmin', url, { payoutMethod: 'cash', payoutReference: 'till-2' }, key);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(paid);
    expect(await counts()).toEqual(after);
    const conflict = await post('barAdmin', url, { payoutMethod: 'bank-transfer' }, key);
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error).toBe('idempotency-conflict');
    expect((await post('barAdmin', url, { payoutMethod: 'cash' })).json().error).toBe('refund-not-pending');

    const view = await f.app.inject({
      method: 'GET',
      url: `/v1/venues/${f.bar}/refunds/${r.refundId}`,
      headers: auth(tokens.barCashier),
    });
    expect(view.json()).toEqual(paid);
    const kinds = await getDb().query<{ kind: string; system: string }>(
      'SELECT t.kind, a.system FROM transfers t JOIN accounts a ON a.id = t.credit WHERE t.id = ANY($1::int8[]) ORDER BY t.id',
      [paid.payout.logSeqs],
    );
    expect(kinds.rows).toEqual([
      { kind: 'refund', system: `payout:${f.bar}` },
      { kind: 'refund', system: `payout:${f.bar}` },
      { kind: 'refund-void', system: `forfeit:${f.bar}` },
    ]);
    const settlement = await f.app.inject({
      method: 'GET',
      url: '/v1/settlement',
      headers: auth(tokens.fed),
    });
    expect(
      settlement.json().venues.find((v: { venueId: string }) => v.venueId === f.bar).refundsPaid,
    ).toBeGreaterThanOrEqual(1900);
    await assertBalanced(getDb());
    await verifyLog(getDb());
  });

  it('refund approval replayed concurrently with one key pays out exactly once; reject works', async () => {
    const card = uid();
    await sync([topup(card, 800)]);
    const r = (await post('barCashier', `/v1/venues/${f.bar}/refunds`, { cardUid: card })).json();
    const key = id('approve');
    const before = await counts();
    const all = await Promise.all(
      Array.from({ length: 5 }, () =>
        post('barAdmin', `/v1/venues/${f.bar}/refunds/${r.refundId}/approve`, { payoutMethod: 'cash' }, key),
      ),
    );
    expect(all.map((x) => x.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(all.map((x) => x.body)).size).toBe(1);
    expect(all.filter((x) => x.headers['idempotent-replayed'] === 'true')).toHaveLength(4);
    const after = await counts();
    expect(Number(after.t) - Number(before.t)).toBe(1);
    expect(await balances(card)).toEqual({ EUR: 0 });

    const other = uid();
    await sync([topup(other, 10)]);
    const r2 = (await post('barCashier', `/v1/venues/${f.bar}/refunds`, { cardUid: other })).json();
    const rej = await post('barAdmin', `/v1/venues/${f.bar}/refunds/${r2.refundId}/reject`, {
      reason: 'holder left',
    });
    expect(rej.json()).toMatchObject({ status: 'rejected', payout: null });
    expect(await balances(other)).toEqual({ EUR: 10 });
  });

  it('lost card: blocked, balances moved to the new card with log entries; replay and reuse guarded', async () => {
    const lost = uid();
    const fresh = uid();
    await sync([topup(lost, 700), topup(lost, 50, `GIFT:${f.bar}`)]);
    const key = id('replace');
    const r = await post(
      'barCashier',
      `/v1/venues/${f.bar}/cards/${lost}/replace`,
      { newCardUid: fresh, reason: 'lost at the bar' },
      key,
    );
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ cardUid: lost, newCardUid: fresh, blocked: true, mode: 'moved' });
    expect(body.moved).toEqual([
      { asset: 'EUR', amount: 700 },
      { asset: `GIFT:${f.bar}`, amount: 50 },
    ]);
    expect(body.logSeqs).toHaveLength(2);
    expect(await balances(fresh)).toEqual({ EUR: 700, [`GIFT:${f.bar}`]: 50 });
    expect((await sync([spend(lost, [{ asset: 'EUR', amount: 10 }])]))[0]).toMatchObject({
      status: 'rejected',
      reason: 'card-blocked',
    });
    expect((await sync([spend(fresh, [{ asset: 'EUR', amount: 10 }])]))[0]).toMatchObject({
      status: 'applied',
    });
    const replay = await post(
      'barCashier',
      `/v1/venues/${f.bar}/cards/${lost}/replace`,
      { newCardUid: fresh, reason: 'lost at the bar' },
      key,
    );
    expect(replay.json()).toEqual(body);
    expect(
      (await post('barCashier', `/v1/venues/${f.bar}/cards/${lost}/replace`, { newCardUid: uid() })).json()
        .error,
    ).toBe('card-already-replaced');
    const busy = uid();
    await sync([topup(busy, 1)]);
    const third = uid();
    await sync([topup(third, 1)]);
    expect(
      (await post('barCashier', `/v1/venues/${f.bar}/cards/${third}/replace`, { newCardUid: busy })).json()
        .error,
    ).toBe('new-card-in-use');
    const cfg = await f.app.inject({
      method: 'GET',
      url: `/v1/sync/config?venueId=${f.bar}`,
      headers: auth(f.barKey),
    });
    expect(cfg.json().blocklist).toContain(lost);
    await assertBalanced(getDb());
  });

  it("merge: anonymous card wallets move into a person's wallet (person creation idempotent too)", async () => {
    const a = uid();
    const b = uid();
    await sync([topup(a, 300), topup(b, 200), topup(b, 7, `LOYAL:${f.bar}`)]);
    const pkey = id('person');
    const p = await post(
      'barCashier',
      `/v1/venues/${f.bar}/people`,
      { displayName: 'Ada', email: 'ada@example.org' },
      pkey,
    );
    expect(p.statusCode).toBe(201);
    const { personId } = p.json();
    expect(
      (
        await post(
          'barCashier',
          `/v1/venues/${f.bar}/people`,
          { displayName: 'Ada', email: 'ada@example.org' },
          pkey,
        )
      ).json().personId,
    ).toBe(personId);
    const mkey = id('merge');
    const m1 = await post('barCashier', `/v1/venues/${f.bar}/wallets/merge`, { cardUid: a, personId }, mkey);
    expect(m1.statusCode).toBe(200);
    expect(m1.json()).toMatchObject({
      moved: [{ asset: 'EUR', amount: 300 }],
      balances: [{ asset: 'EUR', amount: 300 }],
    });
    const m2 = await post('barCashier', `/v1/venues/${f.bar}/wallets/merge`, { cardUid: b, personId });
    expect(m2.json().balances).toEqual([
      { asset: 'EUR', amount: 500 },
      { asset: `LOYAL:${f.bar}`, amount: 7 },
    ]);
    expect(await balances(a)).toEqual({ EUR: 500, [`LOYAL:${f.bar}`]: 7 });
    expect(await balances(b)).toEqual({ EUR: 500, [`LOYAL:${f.bar}`]: 7 });
    const replay = await post(
      'barCashier',
      `/v1/venues/${f.bar}/wallets/merge`,
      { cardUid: a, personId },
      mkey,
    );
    expect(replay.json()).toEqual(m1.json());
    expect(
      (await post('barCashier', `/v1/venues/${f.bar}/wallets/merge`, { cardUid: a, personId })).json().error,
    ).toBe('not-anonymous');
    const unknown = await post('barCashier', `/v1/venues/${f.bar}/wallets/merge`, {
      cardUid: uid(),
      personId,
    });
    expect(unknown.statusCode).toBe(404);
    // The card's log history covers the merged anonymous wallet too; the log holds no personal data.
    const acc = (
      await f.app.inject({ method: 'GET', url: `/v1/log/cards/${a}`, headers: auth(f.barKey) })
    ).json().accounts;
    expect(acc.length).toBeGreaterThanOrEqual(3);
    const exp = (await f.app.inject({ method: 'GET', url: '/v1/log/export' })).body;
    expect(exp).not.toMatch(/Ada|ada@example/);
    // A person's lost card: the new card answers for the same wallet.
    const fresh = uid();
    const rep = await post('barCashier', `/v1/venues/${f.bar}/cards/${a}/replace`, { newCardUid: fresh });
    expect(rep.json()).toMatchObject({ mode: 'relinked', moved: [] });
    expect(await balances(fresh)).toEqual({ EUR: 500, [`LOYAL:${f.bar}`]: 7 });
    await assertBalanced(getDb());
  });

  it('time credit: venue admins only, idempotent, logged from the venue issuance account', async () => {
    const card = uid();
    const key = id('time');
    const r = await post(
      'barAdmin',
      `/v1/venues/${f.bar}/time-credits`,
      { cardUid: card, minutes: 120, note: 'bar shift' },
      key,
    );
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      cardUid: card,
      asset: 'TIME',
      minutes: 120,
      balances: [{ asset: 'TIME', amount: 120 }],
    });
    const before = await counts();
    expect(
      (
        await post(
          'barAdmin',
          `/v1/venues/${f.bar}/time-credits`,
          { cardUid: card, minutes: 120, note: 'bar shift' },
          key,
        )
      ).json(),
    ).toEqual(r.json());
    expect(await counts()).toEqual(before);
    expect(
      (
        await post(
          'barAdmin',
          `/v1/venues/${f.bar}/time-credits`,
          { cardUid: card, minutes: 121, note: 'bar shift' },
          key,
        )
      ).statusCode,
    ).toBe(409);
    expect(
      (await post('barCashier', `/v1/venues/${f.bar}/time-credits`, { cardUid: card, minutes: 5 }))
        .statusCode,
    ).toBe(403);
    expect(
      (await post('cafeAdmin', `/v1/venues/${f.bar}/time-credits`, { cardUid: card, minutes: 5 })).statusCode,
    ).toBe(403);
    for (const minutes of [0, -3, 1.5, '10'])
      expect(
        (await post('barAdmin', `/v1/venues/${f.bar}/time-credits`, { cardUid: card, minutes })).statusCode,
      ).toBe(400);
    const { rows } = await getDb().query<{ system: string; kind: string }>(
      'SELECT a.system, t.kind FROM transfers t JOIN accounts a ON a.id = t.debit WHERE t.id = $1',
      [r.json().logSeqs[0]],
    );
    expect(rows[0]).toEqual({ system: `issuance:${f.bar}`, kind: 'time-credit' });
    expect(await balances(card)).toEqual({ TIME: 120 });
    await assertBalanced(getDb());
    await verifyLog(getDb());
  });
});
