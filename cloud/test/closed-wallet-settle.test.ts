// Money booked on a wallet after its card was re-issued (a top-up paid before the return, or the
// void of an earlier spend, synced after it with the former card issue) is not stuck: the venue
// that re-issued the card lists the closed wallet and settles it like the re-issue did (payout per
// refundable asset with a paid refund record, void or keep per policy), idempotently, and nobody
// else can. On PGlite and PostgreSQL, with Σ = 0 and the log chain checked after.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { num } from '../src/db/connect.js';
import { createFederation } from '../src/index.js';
import { assertBalanced, withBothDatabases } from './helpers/databases.js';
import { auth, type Fixture, fixture, id, staffToken, syncBatch, uid, verifyLog } from './helpers/fixture.js';

type Role = 'federation_admin' | 'venue_admin' | 'cashier' | 'auditor';
type Lines = { asset: string; amount: number }[];

withBothDatabases('closed wallets holding money again', (getDb) => {
  let f: Fixture;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    f = await fixture(getDb(), { policy: { refund: { gift: 'void', loyalty: 'keep', time: 'keep' } } });
    const other = `other-${f.fed}`;
    await createFederation(getDb(), { id: other, name: 'Other coop', allowAnonymous: true });
    const users: [string, Role, string | null, string][] = [
      ['fed', 'federation_admin', null, f.fed],
      ['otherFed', 'federation_admin', null, other],
      ['barAdmin', 'venue_admin', f.bar, f.fed],
      ['barCashier', 'cashier', f.bar, f.fed],
      ['cafeAdmin', 'venue_admin', f.cafe, f.fed],
    ];
    for (const [name, role, venueId, federationId] of users)
      tokens[name] = await staffToken(getDb(), f, {
        email: `${name}-${f.fed}@example.org`,
        role,
        venueId,
        federationId,
      });
  });
  afterAll(() => f?.close());

  const GIFT = () => `GIFT:${f.bar}`;
  const LOYAL = () => `LOYAL:${f.bar}`;
  const sync = (items: object[]) => syncBatch(f, items);
  const item = (type: string, card: string, asset: string, amount: number, extra: object = {}) => ({
    id: id(),
    type,
    cardUid: card,
    at: Date.now(),
    legs: [{ asset, amount }],
    ...(type === 'topup' ? { funding: 'cash' } : {}),
    ...extra,
  });
  const post = (who: string, url: string, payload: object, key: string | null = id('idem')) =>
    f.app.inject({
      method: 'POST',
      url,
      headers: { ...auth(tokens[who] ?? who), ...(key ? { 'idempotency-key': key } : {}) },
      payload,
    });
  const get = (who: string, url: string) =>
    f.app.inject({ method: 'GET', url, headers: auth(tokens[who] ?? who) });
  const listUrl = (venue: string) => `/v1/venues/${venue}/closed-wallets`;
  const settleUrl = (venue: string, wallet: number | string) =>
    `/v1/venues/${venue}/closed-wallets/${wallet}/settle`;
  const walletOf = async (card: string) =>
    num(
      (await getDb().query<{ w: unknown }>('SELECT wallet_id AS w FROM cards WHERE uid = $1', [card])).rows[0]
        .w,
    );
  const walletLines = async (wallet: number): Promise<Lines> =>
    (
      await getDb().query<{ asset: string; balance: unknown }>(
        'SELECT asset, balance FROM accounts WHERE wallet_id = $1 AND balance <> 0 ORDER BY asset',
        [wallet],
      )
    ).rows.map((r) => ({ asset: r.asset, amount: num(r.balance) }));
  const systemBalance = async (system: string, asset: string) =>
    num(
      (
        await getDb().query<{ b: unknown }>(
          'SELECT coalesce(sum(balance), 0) AS b FROM accounts WHERE system = $1 AND asset = $2',
          [system, asset],
        )
      ).rows[0].b,
    );
  /** Everything a refused request must leave untouched. */
  const state = async (wallet: number) => {
    const c = await getDb().query<{ t: unknown; r: unknown; i: unknown }>(
      `SELECT (SELECT count(*) FROM transfers) AS t, (SELECT count(*) FROM refund_requests) AS r,
              (SELECT count(*) FROM idempotent_requests) AS i`,
    );
    return {
      transfers: num(c.rows[0].t),
      refunds: num(c.rows[0].r),
      idempotent: num(c.rows[0].i),
      wallet: await walletLines(wallet),
      payout: await systemBalance(`payout:${f.bar}`, 'EUR'),
    };
  };
  const logMoves = async (seqs: number[]) =>
    (
      await getDb().query<{ kind: string; asset: string; amount: unknown; d: unknown; c: string | null }>(
        `SELECT t.kind, t.asset, t.amount, d.wallet_id AS d, c.system AS c FROM transfers t
         JOIN accounts d ON d.id = t.debit JOIN accounts c ON c.id = t.credit
         WHERE t.id = ANY($1::int8[]) ORDER BY t.id`,
        [`{${seqs.join(',')}}`],
      )
    ).rows.map((r) => ({ kind: r.kind, asset: r.asset, amount: num(r.amount), from: num(r.d), to: r.c }));
  const noNegativeWallet = async () =>
    expect(
      num(
        (
          await getDb().query<{ n: unknown }>(
            'SELECT count(*) AS n FROM accounts WHERE wallet_id IS NOT NULL AND balance < 0',
          )
        ).rows[0].n,
      ),
    ).toBe(0);
  /** Re-issues `card` at the bar after taps made a second ago that are synced only afterwards. */
  const reissueWithLateItems = async (card: string, late: (at: number) => object[]) => {
    const tapped = Date.now() - 1000;
    const items = late(tapped);
    const r = await post('barAdmin', `/v1/venues/${f.bar}/cards/${card}/reissue`, { payoutMethod: 'cash' });
    expect(r.statusCode).toBe(200);
    const results = await sync(items);
    // A void follows its spend's wallet without saying so; top-ups name the former holder.
    results.forEach((x: object, i: number) => {
      const expected =
        (items[i] as { type: string }).type === 'void'
          ? { status: 'applied' }
          : { status: 'applied', bookedOn: 'previous-holder' };
      expect(x).toMatchObject(expected);
    });
    return r.json() as { reissueId: string; closedWalletAccounts: string[] };
  };

  it('a late top-up, gift and void land on the closed wallet: listed, settled once per policy, exact amounts, replayable', async () => {
    const card = uid();
    const sold = item('spend', card, 'EUR', 400, { cardIssue: 0 });
    await sync([item('topup', card, 'EUR', 2000, { cardIssue: 0 }), sold]);
    const closed = await walletOf(card);
    const receipt = await reissueWithLateItems(card, (at) => [
      item('topup', card, 'EUR', 1234, { at, cardIssue: 0 }),
      item('topup', card, GIFT(), 300, { at, cardIssue: 0 }),
      item('topup', card, LOYAL(), 50, { at, cardIssue: 0 }),
      {
        id: id(),
        type: 'void',
        cardUid: card,
        at: Date.now(),
        legs: sold.legs,
        voids: sold.id,
        cardIssue: 0,
      },
    ]);
    expect(await walletLines(closed)).toEqual([
      { asset: 'EUR', amount: 1634 },
      { asset: GIFT(), amount: 300 },
      { asset: LOYAL(), amount: 50 },
    ]);
    expect(await walletOf(card)).not.toBe(closed); // the new holder got none of it

    // Listed at the venue that re-issued (cashiers may look), nowhere else.
    const list = await get('barCashier', listUrl(f.bar));
    expect(list.statusCode).toBe(200);
    const entry = list.json().wallets.find((w: { walletId: number }) => w.walletId === closed);
    expect(entry).toMatchObject({
      walletId: closed,
      cardUid: card,
      reissueId: receipt.reissueId,
      balances: [
        { asset: 'EUR', amount: 1634 },
        { asset: GIFT(), amount: 300 },
        { asset: LOYAL(), amount: 50 },
      ],
      payout: [{ asset: 'EUR', amount: 1634 }],
      voided: [{ asset: GIFT(), amount: 300 }],
      kept: [{ asset: LOYAL(), amount: 50 }],
      settleable: true,
    });
    expect(Number.isNaN(Date.parse(entry.reissuedAt))).toBe(false);
    expect(entry.accounts).toEqual(expect.arrayContaining(receipt.closedWalletAccounts));
    const cafeList = await get('cafeAdmin', listUrl(f.cafe));
    expect(cafeList.json().wallets.map((w: { walletId: number }) => w.walletId)).not.toContain(closed);
    expect((await get('cafeAdmin', listUrl(f.bar))).json().error).toBe('wrong-venue');
    expect((await get('otherFed', listUrl(f.bar))).statusCode).toBe(403);
    expect((await get('barCashier', `${listUrl(f.bar)}?limit=0`)).statusCode).toBe(400);
    expect((await get('barCashier', `${listUrl(f.bar)}?limit=1%20OR%201=1`)).statusCode).toBe(400);

    // Wrong tenant, wrong role, bad input: refused with a clear error, nothing written.
    const before = await state(closed);
    const ok = { payoutMethod: 'cash', payoutReference: 'desk-7' };
    const refused: [string, string, object, number, string][] = [
      ['cafeAdmin', settleUrl(f.bar, closed), ok, 403, 'wrong-venue'],
      ['cafeAdmin', settleUrl(f.cafe, closed), ok, 404, 'unknown-closed-wallet'],
      ['otherFed', settleUrl(f.bar, closed), ok, 403, 'wrong-venue'],
      ['barCashier', settleUrl(f.bar, closed), ok, 403, 'forbidden'],
      ['barAdmin', settleUrl(f.bar, 999_999_999), ok, 404, 'unknown-closed-wallet'],
      ['barAdmin', settleUrl(f.bar, await walletOf(card)), ok, 404, 'unknown-closed-wallet'],
      ['barAdmin', settleUrl(f.bar, '1%20OR%201=1'), ok, 400, 'bad-request'],
      ['barAdmin', settleUrl(f.bar, "1';DROP%20TABLE%20accounts;--"), ok, 400, 'bad-request'],
      ['barAdmin', settleUrl(f.bar, -closed), ok, 400, 'bad-request'],
      ['barAdmin', settleUrl(f.bar, closed), {}, 400, 'payout-method-required'],
      ['barAdmin', settleUrl(f.bar, closed), { payoutMethod: "cash'; --" }, 400, 'bad-request'],
      ['barAdmin', settleUrl(f.bar, closed), { ...ok, amount: 1634 }, 400, 'bad-request'],
      [
        'barAdmin',
        settleUrl(f.bar, closed),
        { ...ok, expectedPayout: [{ asset: 'EUR', amount: -1634 }] },
        400,
        'bad-request',
      ],
      [
        'barAdmin',
        settleUrl(f.bar, closed),
        { ...ok, expectedPayout: [{ asset: 'EUR', amount: 16.34 }] },
        400,
        'bad-request',
      ],
      [
        'barAdmin',
        settleUrl(f.bar, closed),
        { ...ok, expectedPayout: [{ asset: "EUR' OR '1'='1", amount: 1634 }] },
        400,
        'bad-request',
      ],
      [
        'barAdmin',
        settleUrl(f.bar, closed),
        { ...ok, expectedPayout: [{ asset: 'EUR', amount: 1000 }] },
        409,
        'payout-changed',
      ],
    ];
    for (const [who, url, body, status, error] of refused) {
      const r = await post(who, url, body);
      expect({ url, body, status: r.statusCode, error: r.json().error }).toEqual({
        url,
        body,
        status,
        error,
      });
    }
    expect((await post('barAdmin', settleUrl(f.bar, closed), ok, null)).statusCode).toBe(400); // no key
    expect(await state(closed)).toEqual(before);

    // Settled: the refundable euros paid out to the cent, the gift voided, loyalty kept.
    const key = id('settle');
    const body = { ...ok, expectedPayout: [{ asset: 'EUR', amount: 1634 }] };
    const s = await post('barAdmin', settleUrl(f.bar, closed), body, key);
    expect(s.statusCode).toBe(200);
    const settled = s.json();
    expect(settled).toMatchObject({
      walletId: closed,
      cardUid: card,
      reissueId: receipt.reissueId,
      payout: [{ asset: 'EUR', amount: 1634 }],
      voided: [{ asset: GIFT(), amount: 300 }],
      kept: [{ asset: LOYAL(), amount: 50 }],
      payoutMethod: 'cash',
      payoutReference: 'desk-7',
      balances: [{ asset: LOYAL(), amount: 50 }],
    });
    expect(await logMoves(settled.logSeqs)).toEqual([
      { kind: 'refund', asset: 'EUR', amount: 1634, from: closed, to: `payout:${f.bar}` },
      { kind: 'refund-void', asset: GIFT(), amount: 300, from: closed, to: `forfeit:${f.bar}` },
    ]);
    expect(await systemBalance(`payout:${f.bar}`, 'EUR')).toBe(before.payout + 1634);
    expect(await walletLines(closed)).toEqual([{ asset: LOYAL(), amount: 50 }]);
    const refund = await get('barAdmin', `/v1/venues/${f.bar}/refunds/${settled.refundId}`);
    expect(refund.json()).toMatchObject({
      cardUid: card,
      status: 'paid',
      payoutMethod: 'cash',
      payoutReference: 'desk-7',
      payout: { payout: [{ asset: 'EUR', amount: 1634 }], logSeqs: settled.logSeqs },
    });

    // Replay: the same answer, nothing new; the key with another body, or nothing left: 409.
    const after = await state(closed);
    const replay = await post('barAdmin', settleUrl(f.bar, closed), body, key);
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(settled);
    const conflict = await post('barAdmin', settleUrl(f.bar, closed), { payoutMethod: 'bank-transfer' }, key);
    expect([conflict.statusCode, conflict.json().error]).toEqual([409, 'idempotency-conflict']);
    const again = await post('barAdmin', settleUrl(f.bar, closed), ok);
    expect([again.statusCode, again.json().error]).toEqual([409, 'nothing-to-settle']);
    expect(await state(closed)).toEqual(after);
    // Still listed (the kept loyalty points are the former holder's), but nothing to settle.
    const relisted = (await get('barAdmin', listUrl(f.bar))).json().wallets;
    expect(relisted.find((w: { walletId: number }) => w.walletId === closed)).toMatchObject({
      payout: [],
      voided: [],
      kept: [{ asset: LOYAL(), amount: 50 }],
      settleable: false,
    });

    await noNegativeWallet();
    await assertBalanced(getDb());
    await verifyLog(getDb());
  });

  it('a federation admin settles through the re-issuing venue; a wallet with only a voidable gift needs no payout method', async () => {
    const euros = uid();
    const gift = uid();
    await sync([item('topup', euros, 'EUR', 500, { cardIssue: 0 }), item('topup', gift, 'EUR', 100)]);
    const eurWallet = await walletOf(euros);
    const giftWallet = await walletOf(gift);
    await reissueWithLateItems(euros, (at) => [item('topup', euros, 'EUR', 777, { at, cardIssue: 0 })]);
    await reissueWithLateItems(gift, (at) => [item('topup', gift, GIFT(), 120, { at, cardIssue: 0 })]);
    const listed = (await get('fed', listUrl(f.bar)))
      .json()
      .wallets.map((w: { walletId: number }) => w.walletId);
    expect(listed).toEqual(expect.arrayContaining([eurWallet, giftWallet]));

    const before = await state(eurWallet);
    const byCafe = await post('fed', settleUrl(f.cafe, eurWallet), { payoutMethod: 'bank-transfer' });
    expect([byCafe.statusCode, byCafe.json().error]).toEqual([404, 'unknown-closed-wallet']);
    expect(await state(eurWallet)).toEqual(before);
    const s = await post('fed', settleUrl(f.bar, eurWallet), {
      payoutMethod: 'bank-transfer',
      payoutReference: 'IBAN FR76 …42',
    });
    expect(s.json()).toMatchObject({
      payout: [{ asset: 'EUR', amount: 777 }],
      voided: [],
      kept: [],
      balances: [],
      payoutMethod: 'bank-transfer',
    });
    expect(await systemBalance(`payout:${f.bar}`, 'EUR')).toBe(before.payout + 777);
    expect(await walletLines(eurWallet)).toEqual([]);

    const g = await post('barAdmin', settleUrl(f.bar, giftWallet), {});
    expect(g.statusCode).toBe(200);
    expect(g.json()).toMatchObject({
      payout: [],
      voided: [{ asset: GIFT(), amount: 120 }],
      payoutMethod: null,
      payoutReference: null,
    });
    const rec = await get('barAdmin', `/v1/venues/${f.bar}/refunds/${g.json().refundId}`);
    expect(rec.json()).toMatchObject({ status: 'paid', payoutMethod: 'none' });
    // Emptied wallets leave the list.
    const left = (await get('barAdmin', listUrl(f.bar)))
      .json()
      .wallets.map((w: { walletId: number }) => w.walletId);
    expect(left).not.toContain(eurWallet);
    expect(left).not.toContain(giftWallet);
    const spec = (await f.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/v1/venues/{venueId}/closed-wallets',
        '/v1/venues/{venueId}/closed-wallets/{walletId}/settle',
      ]),
    );

    await noNegativeWallet();
    await assertBalanced(getDb());
    await verifyLog(getDb());
  });
});
