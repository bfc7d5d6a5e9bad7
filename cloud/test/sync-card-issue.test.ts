// Card issues on the sync API: leases and the config say which issue a card is at (its re-issue
// count); a synced item names the issue it was authorized against, and the cloud books it on that
// issue's holder when it was tapped before the re-issue, refuses it when it was tapped after (a
// former holder's lease) or names an issue never given, and treats an item without one as before.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostingEngine } from '../src/ledger/engine.js';
import { reissueCard } from '../src/ledger/reissue.js';
import { requireVenue } from '../src/ledger/venue.js';
import { assertBalanced, withBothDatabases } from './helpers/databases.js';
import { auth, type Fixture, fixture, id, uid, verifyLog } from './helpers/fixture.js';

withBothDatabases('sync: card issues', (getDb) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture(getDb());
  });
  afterAll(() => f?.close());

  const send = (items: object[]) =>
    f.app.inject({
      method: 'POST',
      url: '/v1/sync/batches',
      headers: auth(f.barKey),
      payload: { batchId: id('b'), venueId: f.bar, items },
    });
  const item = (type: string, card: string, amount: number, extra: object = {}) => ({
    id: id(),
    type,
    cardUid: card,
    at: Date.now(),
    legs: [{ asset: 'EUR', amount }],
    ...(type === 'topup' ? { funding: 'cash' } : {}),
    ...extra,
  });
  const lease = async (card: string) =>
    (
      await f.app.inject({
        method: 'POST',
        url: '/v1/sync/leases',
        headers: auth(f.barKey),
        payload: { venueId: f.bar, cards: [card] },
      })
    ).json().leases[0] as { issue: number; balances: { asset: string; amount: number }[] };
  const reissue = (card: string) =>
    getDb().tx(async (tx) =>
      reissueCard(tx, await PostingEngine.begin(tx), await requireVenue(tx, f.bar), card, {
        by: 'desk',
        mayPayOut: true,
        payoutMethod: 'cash',
      }),
    );
  const standIn = async () =>
    Number(
      (
        await getDb().query<{ b: string }>(
          "SELECT coalesce(sum(balance), 0)::text b FROM accounts WHERE system = $1 AND asset = 'EUR'",
          [`standin:${f.bar}`],
        )
      ).rows[0].b,
    );
  const transfers = async () =>
    Number((await getDb().query<{ c: string }>('SELECT count(*)::text c FROM transfers')).rows[0].c);

  it('leases and the config carry the issue; a tap before the re-issue stays with the former holder, its void too', async () => {
    const card = uid();
    const sold = item('spend', card, 400, { cardIssue: 0 });
    await send([item('topup', card, 2400, { cardIssue: 0 }), sold]);
    expect(await lease(card)).toMatchObject({ issue: 0, balances: [{ asset: 'EUR', amount: 2000 }] });
    const tapped = Date.now() - 1000; // sold on the lease a second ago, not yet synced
    const late = item('spend', card, 500, { at: tapped, cardIssue: 0 });
    const lateTopup = item('topup', card, 100, { at: tapped, cardIssue: 0 });
    const r = await reissue(card);
    expect(r.walletIssue).toBe(1);
    expect(await lease(card)).toMatchObject({ issue: 1, balances: [] });
    const cfg = await f.app.inject({
      method: 'GET',
      url: `/v1/sync/config?venueId=${f.bar}`,
      headers: auth(f.barKey),
    });
    expect(cfg.json().reissued).toContainEqual({ cardUid: card, issue: 1 });

    const stand = await standIn();
    const res = (await send([late, lateTopup])).json().results;
    expect(res[0]).toMatchObject({
      status: 'applied',
      bookedOn: 'previous-holder',
      shortfall: [{ asset: 'EUR', amount: 500 }],
    });
    expect(res[0].detail).toMatch(/before card .* was re-issued/);
    // The top-up paid before the return is the former holder's money: in their (closed) wallet.
    expect(res[1]).toMatchObject({ status: 'applied', bookedOn: 'previous-holder' });
    expect(res[1].balances).toEqual([{ asset: 'EUR', amount: 100 }]);
    expect(await standIn()).toBe(stand - 500);
    expect((await lease(card)).balances).toEqual([]); // the new holder owes nothing, got nothing
    // A sale of the former holder voided after the return: back to their wallet, not the new holder.
    const voidOf = (extra: object) => ({
      id: id(),
      type: 'void',
      cardUid: card,
      at: Date.now(),
      legs: sold.legs,
      voids: sold.id,
      ...extra,
    });
    expect((await send([voidOf({})])).json().results[0]).toMatchObject({
      status: 'rejected',
      detail: 'voided spend belongs to another card',
    });
    const v = (await send([voidOf({ cardIssue: 0 })])).json().results[0];
    expect(v).toMatchObject({ status: 'applied', balances: [{ asset: 'EUR', amount: 500 }] });
    expect((await lease(card)).balances).toEqual([]);
    // Re-sent: duplicates, nothing new.
    const n = await transfers();
    expect((await send([late])).json().results[0]).toMatchObject({ status: 'duplicate' });
    expect(await transfers()).toBe(n);
    await assertBalanced(getDb());
    await verifyLog(getDb());
  });

  it('a former issue after the re-issue, or an issue never given: refused, nothing written; no issue: as before', async () => {
    const card = uid();
    await send([item('topup', card, 1000)]);
    await reissue(card);
    await send([item('topup', card, 300, { cardIssue: 1 })]); // the new holder tops up
    const stand = await standIn();
    const n0 = await transfers();
    const stale = await send([item('spend', card, 200, { cardIssue: 0, offline: true })]);
    expect(stale.json().results[0]).toMatchObject({ status: 'rejected', reason: 'card-reissued' });
    expect(stale.json().results[0].detail).toMatch(/re-issued at .*authorized against issue 0/);
    const forged = await send([item('spend', card, 200, { cardIssue: 2 })]);
    expect(forged.json().results[0]).toMatchObject({
      status: 'rejected',
      reason: 'bad-card-issue',
      detail: `card ${card} is at issue 1: issue 2 was never issued`,
    });
    expect(await transfers()).toBe(n0);
    expect((await lease(card)).balances).toEqual([{ asset: 'EUR', amount: 300 }]);
    // Cash paid in on a former holder's lease after the re-issue is the new holder's (debits no one).
    const cash = (await send([item('topup', card, 50, { cardIssue: 0 })])).json().results[0];
    expect(cash).toMatchObject({ status: 'applied', balances: [{ asset: 'EUR', amount: 350 }] });
    expect(cash.bookedOn).toBeUndefined();
    const neverReissued = await send([item('topup', uid(), 200, { cardIssue: 1 })]);
    expect(neverReissued.json().results[0]).toMatchObject({ reason: 'bad-card-issue' });
    const n = await transfers();
    const negative = await send([item('spend', card, 200, { cardIssue: -1 })]);
    expect(negative.statusCode).toBe(400);
    const again = await send([item('spend', card, 200, { cardIssue: 0, offline: true })]);
    expect(again.json().results[0]).toMatchObject({ status: 'rejected', reason: 'card-reissued' });
    expect(await transfers()).toBe(n);
    expect(await standIn()).toBe(stand);
    expect((await lease(card)).balances).toEqual([{ asset: 'EUR', amount: 350 }]);
    // The current issue, or none (a gateway before card issues): the card's wallet, as always.
    const ok = (await send([item('spend', card, 100, { cardIssue: 1 }), item('spend', card, 100)])).json();
    expect(ok.results.map((x: { status: string }) => x.status)).toEqual(['applied', 'applied']);
    expect(ok.results[0].bookedOn).toBeUndefined();
    expect((await lease(card)).balances).toEqual([{ asset: 'EUR', amount: 150 }]);
    await assertBalanced(getDb());
    await verifyLog(getDb());
  });
});
