// Wallet lifecycle, second part: a returned card re-issued with a clean wallet, the cooperative
// fund's disbursements, and hours turned into drink vouchers by a venue rule. Each on PGlite and
// PostgreSQL, through the HTTP API, with Σ = 0 and the log chain checked after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { num } from '../src/db/connect.js';
import { createFederation, createVenue, runDormancy, walletPath } from '../src/index.js';
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

const DAY = 86_400_000;

withBothDatabases('returned cards, cooperative fund, time vouchers', (getDb) => {
  let f: Fixture;
  let tokens: Record<string, string> = {};
  beforeAll(async () => {
    f = await fixture(getDb(), { policy: { refund: { gift: 'void', loyalty: 'keep', time: 'keep' } } });
    tokens = await staffTokens(getDb(), f, [
      ['fed', 'federation_admin', null],
      ['auditor', 'auditor', null],
      ['barAdmin', 'venue_admin', f.bar],
      ['barCashier', 'cashier', f.bar],
      ['cafeAdmin', 'venue_admin', f.cafe],
      ['cafeCashier', 'cashier', f.cafe],
    ]);
  });
  afterAll(() => f?.close());

  const sync = (items: object[], key = f.barKey, venueId = f.bar) => syncBatch(f, items, key, venueId);
  const send = (
    method: 'POST' | 'PUT' | 'DELETE',
    who: string,
    url: string,
    payload?: object,
    key?: string | null,
  ) => staffWrite(f, tokens, method, who, url, payload, key);
  const post = (who: string, url: string, payload: object, key?: string | null) =>
    send('POST', who, url, payload, key);
  const get = (who: string, url: string) =>
    f.app.inject({ method: 'GET', url, headers: auth(tokens[who] ?? who) });
  const balances = (card: string) => leaseBalances(f, card);
  const transferCount = async () =>
    num((await getDb().query<{ n: unknown }>('SELECT count(*) AS n FROM transfers')).rows[0].n);
  const logSystems = async (seqs: number[]) =>
    (
      await getDb().query<{
        kind: string;
        asset: string;
        amount: unknown;
        d: string | null;
        c: string | null;
      }>(
        `SELECT t.kind, t.asset, t.amount, d.system AS d, c.system AS c FROM transfers t
         JOIN accounts d ON d.id = t.debit JOIN accounts c ON c.id = t.credit
         WHERE t.id = ANY($1::int8[]) ORDER BY t.id`,
        [`{${seqs.join(',')}}`],
      )
    ).rows.map((r) => ({ kind: r.kind, asset: r.asset, amount: num(r.amount), from: r.d, to: r.c }));

  describe('returned card', () => {
    it('refund semantics per asset are shown to the cashier before confirming (refund quote, reissue preview)', async () => {
      const card = uid();
      await sync([topup(card, 1200), topup(card, 300, `GIFT:${f.bar}`), topup(card, 9, `LOYAL:${f.bar}`)]);
      const q = await get('barCashier', `/v1/venues/${f.bar}/cards/${card}/refund-quote`);
      expect(q.statusCode).toBe(200);
      expect(q.json()).toEqual({
        cardUid: card,
        payout: [{ asset: 'EUR', amount: 1200 }],
        voided: [{ asset: `GIFT:${f.bar}`, amount: 300 }],
        kept: [{ asset: `LOYAL:${f.bar}`, amount: 9 }],
      });
      const p = await get('barCashier', `/v1/venues/${f.bar}/cards/${card}/reissue-preview`);
      expect(p.json()).toMatchObject({
        ...q.json(),
        mode: 'refunded',
        needsAdmin: true,
        blocker: null,
      });
      const cross = await get('cafeCashier', `/v1/venues/${f.bar}/cards/${card}/reissue-preview`);
      expect(cross.statusCode).toBe(403);
      expect(cross.json().error).toBe('wrong-venue');
      expect((await get('barCashier', `/v1/venues/${f.bar}/cards/${uid()}/reissue-preview`)).statusCode).toBe(
        404,
      );
    });

    it('is refunded, its wallet closed and detached, and re-issued with a clean wallet the next holder sees empty', async () => {
      const card = await cardWithEveryAsset(f, tokens.barAdmin);
      await sync([spend(card, [{ asset: 'EUR', amount: 150 }])]);
      const oldWallet = num(
        (await getDb().query<{ w: unknown }>('SELECT wallet_id AS w FROM cards WHERE uid = $1', [card]))
          .rows[0].w,
      );
      const url = `/v1/venues/${f.bar}/cards/${card}/reissue`;

      // A cashier cannot pay cash out of the till; without a payout method nothing happens either.
      const before = await transferCount();
      const denied = await post('barCashier', url, { payoutMethod: 'cash' });
      expect(denied.statusCode).toBe(403);
      expect(denied.json().error).toBe('approval-required');
      const noMethod = await post('barAdmin', url, {});
      expect(noMethod.statusCode).toBe(400);
      expect(noMethod.json().error).toBe('payout-method-required');
      expect((await post('cafeAdmin', url, { payoutMethod: 'cash' })).json().error).toBe('wrong-venue');
      expect((await post('barAdmin', url, { payoutMethod: 'cash' }, null)).statusCode).toBe(400);
      expect(await transferCount()).toBe(before);
      expect(await balances(card)).toMatchObject({ EUR: 1850 });

      const key = id('reissue');
      const r = await post('barAdmin', url, { payoutMethod: 'cash', payoutReference: 'desk-1' }, key);
      expect(r.statusCode).toBe(200);
      const body = r.json();
      expect(body).toMatchObject({
        cardUid: card,
        mode: 'refunded',
        payoutMethod: 'cash',
        payoutReference: 'desk-1',
        payout: [
          { asset: 'EUR', amount: 1850 },
          { asset: `LOC:${f.bar}`, amount: 500 },
        ],
        voided: [{ asset: `GIFT:${f.bar}`, amount: 300 }],
      });
      expect(body.kept).toEqual(
        expect.arrayContaining([
          { asset: `LOYAL:${f.bar}`, amount: 40 },
          { asset: 'TIME', amount: 90 },
          { asset: `LOC:${f.cafe}`, amount: 200 },
        ]),
      );
      expect(body.logSeqs).toHaveLength(3);
      expect(await transferCount()).toBe(before + 3);
      expect(await logSystems(body.logSeqs)).toEqual([
        { kind: 'refund', asset: 'EUR', amount: 1850, from: null, to: `payout:${f.bar}` },
        { kind: 'refund', asset: `LOC:${f.bar}`, amount: 500, from: null, to: `payout:${f.bar}` },
        { kind: 'refund-void', asset: `GIFT:${f.bar}`, amount: 300, from: null, to: `forfeit:${f.bar}` },
      ]);

      // Replays: same key + same request → same answer, nothing written; other body → 409.
      const again = await post('barAdmin', url, { payoutMethod: 'cash', payoutReference: 'desk-1' }, key);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(body);
      expect(await transferCount()).toBe(before + 3);
      expect((await post('barAdmin', url, { payoutMethod: 'bank-transfer' }, key)).statusCode).toBe(409);
      // A fresh key on the now clean card is refused with a clear error.
      const clean = await post('barAdmin', url, { payoutMethod: 'cash' });
      expect(clean.statusCode).toBe(409);
      expect(clean.json().error).toBe('card-already-clean');

      // The payout record is the refund flow's, listed with the refunds.
      const refund = await get('barCashier', `/v1/venues/${f.bar}/refunds/${body.refundId}`);
      expect(refund.json()).toMatchObject({
        status: 'paid',
        payoutMethod: 'cash',
        payout: { logSeqs: body.logSeqs },
      });

      // The next holder: nothing on the card, no history, on every read path.
      expect(await balances(card)).toEqual({});
      // the former holder's link no longer opens the card's wallet; the new link does
      const former = await f.app.inject({ method: 'GET', url: `${walletPath(f.masterKey, card)}?lang=en` });
      expect(former.statusCode).toBe(404);
      expect(body.walletIssue).toBe(1);
      expect(body.walletLink).toBe(walletPath(f.masterKey, card, 1));
      const page = await f.app.inject({ method: 'GET', url: `${body.walletLink}?lang=en` });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('No movement yet.');
      expect(page.body).not.toMatch(/\/log\/\d+/);
      expect(page.body).not.toContain('refundable)');
      expect((await get('barCashier', `/v1/venues/${f.bar}/cards/${card}`)).json().balances).toEqual([]);
      const acc = await f.app.inject({
        method: 'GET',
        url: `/v1/log/cards/${card}`,
        headers: auth(f.barKey),
      });
      expect(acc.json().accounts).toEqual([]);

      // The former holder's history stays in the log: the receipt's accounts are in the export.
      expect(body.closedWalletAccounts.length).toBeGreaterThanOrEqual(6);
      const exp = JSON.parse((await f.app.inject({ method: 'GET', url: '/v1/log/export' })).body);
      const mine = new Set(body.closedWalletAccounts);
      const history = exp.entries.filter(
        (e: { debit: string; credit: string }) => mine.has(e.debit) || mine.has(e.credit),
      );
      expect(history.length).toBeGreaterThanOrEqual(10);
      const closed = await getDb().query<{ closed: boolean; kept: unknown }>(
        `SELECT w.closed_at IS NOT NULL AS closed, (SELECT balance FROM accounts WHERE wallet_id = w.id AND asset = 'TIME') AS kept
         FROM wallets w WHERE w.id = $1`,
        [oldWallet],
      );
      expect(closed.rows[0]).toMatchObject({ closed: true });
      expect(num(closed.rows[0].kept)).toBe(90);

      // The card works at once for its next holder, on its new wallet only.
      expect((await sync([topup(card, 100)]))[0].status).toBe('applied');
      expect(await balances(card)).toEqual({ EUR: 100 });
      const page2 = await f.app.inject({ method: 'GET', url: `${body.walletLink}?lang=en` });
      expect(page2.body.match(/\/log\/\d+/g)).toHaveLength(1);
      await assertBalanced(getDb());
      await verifyLog(getDb());
    });

    it('refuses cards with a pending refund or blocked, lets a cashier reissue when nothing is paid out, detaches person cards', async () => {
      const pending = uid();
      await sync([topup(pending, 50)]);
      expect((await post('barCashier', `/v1/venues/${f.bar}/refunds`, { cardUid: pending })).statusCode).toBe(
        201,
      );
      const p = await post('barAdmin', `/v1/venues/${f.bar}/cards/${pending}/reissue`, {
        payoutMethod: 'cash',
      });
      expect(p.statusCode).toBe(409);
      expect(p.json()).toMatchObject({ error: 'refund-pending' });
      expect(p.json().message).toMatch(/approve or reject/);
      expect(
        (await get('barCashier', `/v1/venues/${f.bar}/cards/${pending}/reissue-preview`)).json().blocker
          .error,
      ).toBe('refund-pending');

      const lost = uid();
      await sync([topup(lost, 70)]);
      await post('barCashier', `/v1/venues/${f.bar}/cards/${lost}/replace`, { newCardUid: uid() });
      const b = await post('barAdmin', `/v1/venues/${f.bar}/cards/${lost}/reissue`, { payoutMethod: 'cash' });
      expect(b.statusCode).toBe(409);
      expect(b.json().error).toBe('card-blocked');
      expect(
        (await post('barAdmin', `/v1/venues/${f.bar}/cards/${uid()}/reissue`, { payoutMethod: 'cash' }))
          .statusCode,
      ).toBe(404);

      // A card-bound unused ticket would admit the next holder: refused until it is dealt with.
      const fan = uid();
      await sync([topup(fan, 3000)]);
      const hour = 3600_000;
      const ev = await post('barAdmin', `/v1/venues/${f.bar}/events`, {
        title: 'Concert',
        description: 'A night of music.',
        tags: ['music'],
        location: '1 rue de la Paix',
        startsAt: new Date(Date.now() + 48 * hour).toISOString(),
        endsAt: new Date(Date.now() + 52 * hour).toISOString(),
        categories: [{ name: 'Standing', capacity: null, prices: { full: 1500 } }],
      });
      expect(ev.statusCode, ev.body).toBe(201);
      const order = await post('barCashier', `/v1/venues/${f.bar}/events/${ev.json().id}/orders`, {
        cardUid: fan,
        items: [{ categoryId: ev.json().categories[0].id, audience: 'full', quantity: 1 }],
      });
      expect(order.statusCode, order.body).toBe(201);
      const tk = await post('barAdmin', `/v1/venues/${f.bar}/cards/${fan}/reissue`, { payoutMethod: 'cash' });
      expect(tk.statusCode).toBe(409);
      expect(tk.json().error).toBe('card-has-tickets');
      expect(await balances(fan)).toEqual({ EUR: 1500 });

      // Only gift credit (voided by policy): no cash leaves the till, a cashier may do it.
      const gift = uid();
      await sync([topup(gift, 120, `GIFT:${f.bar}`)]);
      const g = await post('barCashier', `/v1/venues/${f.bar}/cards/${gift}/reissue`, {});
      expect(g.statusCode).toBe(200);
      expect(g.json()).toMatchObject({
        payout: [],
        voided: [{ asset: `GIFT:${f.bar}`, amount: 120 }],
        payoutMethod: null,
      });
      expect(await balances(gift)).toEqual({});

      // A person's card: the balance is the person's; the card is only detached.
      const pc = uid();
      await sync([topup(pc, 400)]);
      const { personId } = (
        await post('barCashier', `/v1/venues/${f.bar}/people`, { displayName: 'Grace' })
      ).json();
      await post('barCashier', `/v1/venues/${f.bar}/wallets/merge`, { cardUid: pc, personId });
      const before = await transferCount();
      const d = await post('barCashier', `/v1/venues/${f.bar}/cards/${pc}/reissue`, {});
      expect(d.statusCode).toBe(200);
      expect(d.json()).toMatchObject({ mode: 'detached', payout: [], voided: [], kept: [], logSeqs: [] });
      expect(await transferCount()).toBe(before);
      expect(await balances(pc)).toEqual({});
      const personal = await getDb().query<{ balance: unknown; closed: boolean }>(
        `SELECT a.balance, w.closed_at IS NOT NULL AS closed FROM wallets w JOIN accounts a ON a.wallet_id = w.id
         WHERE w.person_id = $1 AND a.asset = 'EUR'`,
        [personId],
      );
      expect(num(personal.rows[0].balance)).toBe(400);
      expect(personal.rows[0].closed).toBe(false);
      await assertBalanced(getDb());
    });
  });

  describe('cooperative fund', () => {
    let reclaimed = 0;
    it('receives dormant reclaims (the dormancy job)', async () => {
      expect(
        (
          await send('PUT', 'fed', '/v1/dormancy/policy', {
            inactivityDays: 10,
            reminderDays: [5],
            periodDays: 30,
            ratePercent: 100,
            floor: 0,
          })
        ).statusCode,
      ).toBe(200);
      const card = uid();
      await sync([topup(card, 5000)]);
      const { personId } = (
        await post('barCashier', `/v1/venues/${f.bar}/people`, {
          displayName: 'Dora',
          email: 'dora@example.org',
        })
      ).json();
      await post('barCashier', `/v1/venues/${f.bar}/wallets/merge`, { cardUid: card, personId });
      const now = Date.now();
      expect((await runDormancy(getDb(), now + 6 * DAY)).reminders).toBe(1);
      const run = await runDormancy(getDb(), now + 11 * DAY);
      reclaimed = run.reclaims.reduce((s, x) => s + x.amount, 0);
      expect(reclaimed).toBe(5000);
      const report = (await get('fed', '/v1/fund')).json();
      expect(report.assets).toEqual([
        {
          asset: 'EUR',
          account: expect.stringMatching(/^a\d+$/),
          balance: 5000,
          reclaimedIn: 5000,
          disbursedOut: 0,
          other: 0,
        },
      ]);
    });

    it('disburses to member and new venues: logged transfers, idempotent, never overdrawn, federation admins only', async () => {
      const url = '/v1/fund/disbursements';
      const body = { venueId: f.cafe, amount: 3000, purpose: 'member-venue', memo: 'new dishwasher' };
      for (const who of ['barAdmin', 'barCashier', 'auditor'])
        expect((await post(who, url, body)).statusCode).toBe(403);
      expect(
        (
          await f.app.inject({
            method: 'POST',
            url,
            headers: { 'idempotency-key': id('anon') },
            payload: body,
          })
        ).statusCode,
      ).toBe(401);
      for (const bad of [
        { ...body, amount: 0 },
        { ...body, amount: -5 },
        { ...body, amount: 1.5 },
        { ...body, amount: '10' },
        { ...body, purpose: 'party' },
        { ...body, memo: '' },
        { ...body, extra: 1 },
      ])
        expect((await post('fed', url, bad)).statusCode).toBe(400);
      expect((await post('fed', url, body, null)).statusCode).toBe(400);
      expect((await post('fed', url, { ...body, asset: 'NOPE' })).json().error).toBe('unknown-asset');

      // Tenant isolation: a venue of another federation is unknown here.
      const other = `fed-x-${id('f').slice(-6)}`;
      await createFederation(getDb(), { id: other, name: 'Other coop' });
      const foreign = `foreign-${id('v').slice(-6)}`;
      await createVenue(getDb(), { id: foreign, federationId: other, name: 'Elsewhere' });
      const cross = await post('fed', url, { ...body, venueId: foreign });
      expect(cross.statusCode).toBe(404);
      expect(cross.json().error).toBe('unknown-venue');

      const before = await transferCount();
      const key = id('disb');
      const r = await post('fed', url, body, key);
      expect(r.statusCode).toBe(201);
      const d = r.json();
      expect(d).toMatchObject({
        venueId: f.cafe,
        asset: 'EUR',
        amount: 3000,
        purpose: 'member-venue',
        fundBalance: 2000,
      });
      const replay = await post('fed', url, body, key);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.json()).toEqual(d);
      expect((await post('fed', url, { ...body, amount: 3001 }, key)).statusCode).toBe(409);
      expect(await transferCount()).toBe(before + 1);
      expect(await logSystems([d.logSeq])).toEqual([
        {
          kind: 'fund-disbursement',
          asset: 'EUR',
          amount: 3000,
          from: `fund:${f.fed}`,
          to: `venue:${f.cafe}`,
        },
      ]);

      const over = await post('fed', url, { ...body, amount: 2001 });
      expect(over.statusCode).toBe(409);
      expect(over.json()).toMatchObject({ error: 'insufficient-funds' });
      expect(over.json().message).toContain('2000');
      expect(await transferCount()).toBe(before + 1);

      // A venue joining the network.
      expect(
        (await post('fed', '/v1/admin/venues', { id: `new-${f.bar}`, name: 'Newcomer' }, null)).statusCode,
      ).toBe(201);
      const n = await post('fed', url, {
        venueId: `new-${f.bar}`,
        amount: 2000,
        purpose: 'new-venue',
        memo: 'welcome kit',
      });
      expect(n.json()).toMatchObject({ purpose: 'new-venue', fundBalance: 0 });
      expect((await post('fed', url, { ...body, amount: 1 })).json().error).toBe('insufficient-funds');

      // Report: in, out, balance and the list; readable by auditors, not by venue staff.
      expect((await get('barAdmin', '/v1/fund')).statusCode).toBe(403);
      const report = (await get('auditor', '/v1/fund')).json();
      expect(report.assets).toEqual([
        expect.objectContaining({
          asset: 'EUR',
          balance: 0,
          reclaimedIn: 5000,
          disbursedOut: 5000,
          other: 0,
        }),
      ]);
      expect(
        report.disbursements.map((x: { purpose: string; amount: number; memo: string }) => [
          x.purpose,
          x.amount,
          x.memo,
        ]),
      ).toEqual([
        ['new-venue', 2000, 'welcome kit'],
        ['member-venue', 3000, 'new dishwasher'],
      ]);

      // Public log explorer: shown as a disbursement; the memo never reaches the log.
      const log = await f.app.inject({ method: 'GET', url: '/log?lang=en' });
      expect(log.body).toContain(`#${d.logSeq}</a> fund-disbursement · EUR 3000`);
      const entry = await f.app.inject({ method: 'GET', url: `/log/${d.logSeq}` });
      expect(entry.body).toContain('fund-disbursement');
      const exp = (await f.app.inject({ method: 'GET', url: '/v1/log/export' })).body;
      expect(exp).not.toMatch(/dishwasher|welcome kit|Dora|dora@example/);

      // The venue is paid at the next inter-venue settlement.
      const settle = (await get('fed', '/v1/settlement')).json();
      const paid = settle.venues.find((v: { venueId: string }) => v.venueId === `new-${f.bar}`);
      expect(paid.net).toBe(2000);
      // Reported as a disbursement, not as card holders' spending at the venue.
      expect(paid).toMatchObject({ fundDisbursed: 2000, spentAtVenue: 0 });
      await assertBalanced(getDb());
      await verifyLog(getDb());
    });
  });

  describe('time → vouchers', () => {
    const ruleUrl = () => `/v1/venues/${f.bar}/time-voucher-rule`;
    const convertUrl = () => `/v1/venues/${f.bar}/time-vouchers`;
    const credit = async (card: string, minutes: number) =>
      expect(
        (await post('barAdmin', `/v1/venues/${f.bar}/time-credits`, { cardUid: card, minutes })).statusCode,
      ).toBe(200);

    it('venue admins set the rule; without one, conversion is refused', async () => {
      const card = uid();
      await credit(card, 60);
      expect((await get('barCashier', ruleUrl())).json()).toEqual({ venueId: f.bar, rule: null });
      const none = await post('barCashier', convertUrl(), { cardUid: card, minutes: 60 });
      expect(none.statusCode).toBe(409);
      expect(none.json().error).toBe('no-voucher-rule');

      const rule = { minutes: 60, giftAmount: 500, capUnits: 3, periodDays: 7 };
      expect((await send('PUT', 'barCashier', ruleUrl(), rule, null)).statusCode).toBe(403);
      expect((await send('PUT', 'cafeAdmin', ruleUrl(), rule, null)).json().error).toBe('wrong-venue');
      const foreignAsset = await send(
        'PUT',
        'barAdmin',
        ruleUrl(),
        { ...rule, asset: `GIFT:${f.cafe}` },
        null,
      );
      expect(foreignAsset.statusCode).toBe(400);
      expect(foreignAsset.json().error).toBe('bad-rule');
      for (const bad of [
        { ...rule, minutes: 0 },
        { ...rule, giftAmount: 2.5 },
        { minutes: 60 },
        { ...rule, capUnits: 0 },
      ])
        expect((await send('PUT', 'barAdmin', ruleUrl(), bad, null)).statusCode).toBe(400);
      const ok = await send('PUT', 'barAdmin', ruleUrl(), rule, null);
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ venueId: f.bar, rule: { ...rule, asset: `GIFT:${f.bar}` } });
      // The rest of the venue policy is untouched.
      const pol = await getDb().query<{ policy: { refund: object } }>(
        'SELECT policy FROM venues WHERE id = $1',
        [f.bar],
      );
      expect(pol.rows[0].policy.refund).toEqual({ gift: 'void', loyalty: 'keep', time: 'keep' });
    });

    it('converts whole blocks atomically (two logged transfers), idempotent, capped per period', async () => {
      const card = uid();
      await credit(card, 240);
      const odd = await post('barCashier', convertUrl(), { cardUid: card, minutes: 90 });
      expect(odd.statusCode).toBe(400);
      expect(odd.json().error).toBe('not-whole-units');
      for (const minutes of [0, -60, 1.5, '60'])
        expect((await post('barCashier', convertUrl(), { cardUid: card, minutes })).statusCode).toBe(400);
      expect((await post('cafeCashier', convertUrl(), { cardUid: card, minutes: 60 })).statusCode).toBe(403);

      const key = id('conv');
      const before = await transferCount();
      const r = await post('barCashier', convertUrl(), { cardUid: card, minutes: 120 }, key);
      expect(r.statusCode).toBe(200);
      const c = r.json();
      expect(c).toMatchObject({
        units: 2,
        minutes: 120,
        asset: `GIFT:${f.bar}`,
        amount: 1000,
        capRemaining: 1,
      });
      expect(c.balances).toEqual([
        { asset: `GIFT:${f.bar}`, amount: 1000 },
        { asset: 'TIME', amount: 120 },
      ]);
      expect(await logSystems(c.logSeqs)).toEqual([
        { kind: 'time-voucher', asset: 'TIME', amount: 120, from: null, to: `venue:${f.bar}` },
        { kind: 'time-voucher', asset: `GIFT:${f.bar}`, amount: 1000, from: `issuance:${f.bar}`, to: null },
      ]);
      const replay = await post('barCashier', convertUrl(), { cardUid: card, minutes: 120 }, key);
      expect(replay.json()).toEqual(c);
      expect(await transferCount()).toBe(before + 2);

      const capped = await post('barCashier', convertUrl(), { cardUid: card, minutes: 120 });
      expect(capped.statusCode).toBe(409);
      expect(capped.json()).toMatchObject({ error: 'voucher-cap-reached' });
      expect(capped.json().message).toContain('1 left');
      // A gateway (the bar's till) may convert too.
      const last = await f.app.inject({
        method: 'POST',
        url: convertUrl(),
        headers: { ...auth(f.barKey), 'idempotency-key': id('gw') },
        payload: { cardUid: card, minutes: 60 },
      });
      expect(last.json()).toMatchObject({ units: 1, capRemaining: 0 });
      expect((await post('barCashier', convertUrl(), { cardUid: card, minutes: 60 })).json().error).toBe(
        'voucher-cap-reached',
      );
      expect(await balances(card)).toEqual({ TIME: 60, [`GIFT:${f.bar}`]: 1500 });
      // Vouchers buy drinks like any gift credit.
      expect((await sync([spend(card, [{ asset: `GIFT:${f.bar}`, amount: 500 }])]))[0].status).toBe(
        'applied',
      );

      const poor = uid();
      await credit(poor, 30);
      const short = await post('barCashier', convertUrl(), { cardUid: poor, minutes: 60 });
      expect(short.statusCode).toBe(409);
      expect(short.json()).toMatchObject({ error: 'insufficient-time' });
      expect(await balances(poor)).toEqual({ TIME: 30 });
      await assertBalanced(getDb());
      await verifyLog(getDb());
    });

    it('concurrent conversions on one card never exceed the cap; removing the rule stops conversions', async () => {
      const card = uid();
      await credit(card, 600);
      const all = await Promise.all(
        Array.from({ length: 6 }, () => post('barCashier', convertUrl(), { cardUid: card, minutes: 60 })),
      );
      const codes = all.map((x) => x.statusCode).sort();
      expect(codes).toEqual([200, 200, 200, 409, 409, 409]);
      expect(await balances(card)).toEqual({ TIME: 420, [`GIFT:${f.bar}`]: 1500 });

      expect((await send('DELETE', 'barCashier', ruleUrl(), undefined, null)).statusCode).toBe(403);
      const del = await send('DELETE', 'barAdmin', ruleUrl(), undefined, null);
      expect(del.json()).toEqual({ venueId: f.bar, rule: null });
      const other = uid();
      await credit(other, 60);
      expect((await post('barCashier', convertUrl(), { cardUid: other, minutes: 60 })).json().error).toBe(
        'no-voucher-rule',
      );
      await assertBalanced(getDb());
      await verifyLog(getDb());
    });
  });
});
