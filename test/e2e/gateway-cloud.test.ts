// Venue gateway ↔ real cloud: taps become ledger transfers exactly once; the venue keeps selling
// on stand-in while its internet is down and reconciles when it comes back; revocation in the
// cloud cuts a terminal off at the venue.

import { PostingEngine, type ReissueResult, reissueCard, requireVenue } from '@tibillet/cloud';
import type { Gateway } from '@tibillet/gateway';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyLog } from '../../cloud/test/helpers/fixture.js';
import { sleep, type TestDevice } from '../../gateway/test/helpers.js';
import { startVenueGateway, terminal } from '../helpers/venue-gateway.js';
import { type CloudHarness, gate, startCloud } from './cloud-harness.js';

const until = async (what: string, pred: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
};

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`gateway with the cloud [${kind}]`, () => {
    let cloud: CloudHarness;
    let net: Awaited<ReturnType<typeof gate>>;
    let gw: Gateway;
    let venue: string;
    let till: TestDevice;
    let top: TestDevice;
    const card = '04C0FFEE000001';

    beforeAll(async () => {
      cloud = await startCloud(kind);
      venue = cloud.venues[0];
      net = await gate(cloud.url);
      gw = await startVenueGateway(cloud, {
        terminals: ['till-1', 'top-1', 'till-9'],
        dataDirPrefix: 'tb-e2e-',
        cloudUrl: net.url,
        syncLingerMs: 10,
        venue: {
          pointsOfSale: [
            {
              id: 'bar',
              name: 'Bar',
              mode: 'cashier',
              devices: ['till-1', 'till-9'],
              products: [{ sku: 'beer', label: 'Beer', price: 350 }],
            },
            { id: 'cash', name: 'Cash', mode: 'topup', devices: ['top-1'], products: [] },
          ],
          standIn: { perCard: 1000, perVenue: 5000 },
        },
      });
      till = await terminal(gw, 'till-1');
      top = await terminal(gw, 'top-1');
    }, 60_000);
    afterEach(() => net?.up());
    afterAll(async () => {
      await till?.close();
      await top?.close();
      await gw?.close();
      await net?.close();
      await cloud?.close();
    });

    it('top-up and spend reach the cloud once; replays change nothing; Σ per asset = 0', async () => {
      expect(await top.pay(card, { mode: 'topup', amt: 2000 })).toMatchObject({
        ok: true,
        bal: [{ a: 'EUR', v: 2000 }],
      });
      const tx = `till-1-${till.n}`;
      expect(await till.pay(card, { cart: [{ sku: 'beer', qty: 2, price: 350 }] })).toMatchObject({
        ok: true,
        amt: 700,
        bal: [{ a: 'EUR', v: 1300 }],
      });
      await until('sync', () => gw.ctx.journal.unsyncedStats().count === 0);
      expect(await cloud.balances(card)).toEqual({ EUR: 1300 });
      // The terminal re-sends the same tap (lost result): the original answer, nothing new anywhere.
      till.send('tap', { tx, uid: card, mode: 'cashier', cart: [{ sku: 'beer', qty: 2, price: 350 }] });
      await sleep(200);
      expect(gw.ctx.journal.unsyncedStats().count).toBe(0);
      expect(await cloud.balances(card)).toEqual({ EUR: 1300 });
      const t = await cloud.db.query<{ c: string }>('SELECT count(*)::text c FROM transfers');
      expect(Number(t.rows[0].c)).toBeGreaterThanOrEqual(2);
      for (const [asset, sum] of Object.entries(await cloud.sums())) expect(sum, asset).toBe(0);
    });

    it('internet down: sells within stand-in limits, marks offline, then drains with no duplicates', async () => {
      const other = '04C0FFEE000002'; // never seen: no lease, stand-in only
      net.down();
      await sleep(300);
      const a = await till.pay(other, { cart: [{ sku: 'beer', qty: 2, price: 350 }] });
      expect(a).toMatchObject({ ok: true, amt: 700 });
      expect(await till.pay(other, { cart: [{ sku: 'beer', qty: 1, price: 350 }] })).toMatchObject({
        ok: false,
        reason: 'stand-in-limit',
      });
      const b = await till.pay(card, { cart: [{ sku: 'beer', qty: 1, price: 350 }] }); // known card: its lease covers it
      expect(b).toMatchObject({ ok: true, bal: [{ a: 'EUR', v: 950 }] });
      expect(gw.sync?.online).toBe(false);
      const backlog = gw.ctx.journal.unsyncedStats().count;
      expect(backlog).toBe(2);
      expect(
        gw.ctx.journal
          .unsynced(10)
          .filter((r) => r.card === other)
          .every((r) => r.offline),
      ).toBe(true);
      net.up();
      await until('drain', () => gw.ctx.journal.unsyncedStats().count === 0, 15_000);
      expect(await cloud.balances(card)).toEqual({ EUR: 950 });
      expect((await cloud.balances(other)).EUR ?? 0).toBe(0); // shortfall booked on the venue's stand-in account
      const stand = await cloud.db.query<{ b: string }>(
        "SELECT balance::text b FROM accounts WHERE system = $1 AND asset = 'EUR'",
        [`standin:${venue}`],
      );
      expect(Number(stand.rows[0].b)).toBe(-700);
      for (const [asset, sum] of Object.entries(await cloud.sums())) expect(sum, asset).toBe(0);
    });

    it('the venue co-signs checkpoints while the log only grows, and refuses a rewritten history', async () => {
      const signNow = () =>
        fetch(`${cloud.url}/v1/log/checkpoints`, {
          method: 'POST',
          headers: { authorization: `Bearer ${cloud.apiKeys[0]}` },
        });
      expect((await signNow()).status).toBeLessThan(300);
      expect(await gw.witness?.tick()).toBe('cosigned');
      expect(await gw.witness?.tick()).toBe('unchanged');
      await top.pay(card, { mode: 'topup', amt: 100 });
      await until('sync', () => gw.ctx.journal.unsyncedStats().count === 0);
      expect((await signNow()).status).toBeLessThan(300);
      expect(await gw.witness?.tick()).toBe('cosigned'); // consistency proof from the last co-signed size checked
      const cp = (await (await fetch(`${cloud.url}/v1/log/checkpoint`)).json()) as {
        cosignatures: { venueId: string }[];
      };
      expect(cp.cosignatures.map((c) => c.venueId)).toContain(venue);
      // The witness remembers another root for an older size: the new checkpoint cannot extend it.
      const last = JSON.parse(gw.ctx.journal.getMeta('witness_last') as string);
      gw.ctx.journal.setMeta(
        'witness_last',
        JSON.stringify({ treeSize: last.treeSize - 1, rootHash: 'ab'.repeat(32) }),
      );
      expect(await gw.witness?.tick()).toBe('inconsistent');
      gw.ctx.journal.setMeta('witness_last', JSON.stringify(last));
    });

    it('a card re-issued in the cloud stops selling on its former balance within a second; a tap from before the re-issue stays on the former holder; stale or forged issues are refused', async () => {
      const beer = { cart: [{ sku: 'beer', qty: 1, price: 350 }] };
      const reissue = (uid: string) =>
        cloud.db.tx(async (tx) =>
          reissueCard(tx, await PostingEngine.begin(tx), await requireVenue(tx, venue), uid, {
            by: 'desk',
            mayPayOut: true,
            payoutMethod: 'cash',
          }),
        ) as Promise<ReissueResult>;
      const standIn = async () =>
        Number(
          (
            await cloud.db.query<{ b: string }>(
              "SELECT coalesce(sum(balance), 0)::text b FROM accounts WHERE system = $1 AND asset = 'EUR'",
              [`standin:${venue}`],
            )
          ).rows[0].b,
        );
      const drained = () => until('sync', () => gw.ctx.journal.unsyncedStats().count === 0, 15_000);

      // Online: 20 EUR leased at the gateway, the card returned and re-issued at the desk.
      const online = '04C0FFEE0000A1';
      expect(await top.pay(online, { mode: 'topup', amt: 2000 })).toMatchObject({ ok: true });
      expect(await till.pay(online, beer)).toMatchObject({ ok: true, bal: [{ a: 'EUR', v: 1650 }] });
      await drained();
      expect(gw.ctx.book.get(online)).toMatchObject({ issue: 0 });
      expect((await reissue(online)).walletIssue).toBe(1);
      const t0 = Date.now();
      await until('re-issue signal', () => gw.ctx.book.get(online).issue === 1, 3000);
      const signalMs = Date.now() - t0;
      expect(signalMs).toBeLessThan(1000);
      expect(await till.pay(online, beer)).toMatchObject({ ok: false, reason: 'insufficient-funds' });
      expect(await cloud.balances(online)).toEqual({});

      // Cut off: a beer sold on the lease, then the card is returned and refunded before that sale
      // reaches the cloud. It is booked on the former holder's side, never on the new holder.
      const cut = '04C0FFEE0000A2';
      expect(await top.pay(cut, { mode: 'topup', amt: 2000 })).toMatchObject({ ok: true });
      await drained();
      net.down();
      await sleep(300);
      const tx = `till-1-${till.n}`;
      expect(await till.pay(cut, beer)).toMatchObject({ ok: true, bal: [{ a: 'EUR', v: 1650 }] });
      const r = await reissue(cut);
      expect(r.payout).toEqual([{ asset: 'EUR', amount: 2000 }]); // the cloud could not know of the beer
      const standBefore = await standIn();
      net.up();
      const t1 = Date.now();
      await until('re-issue signal', () => gw.ctx.book.get(cut).issue === 1, 3000);
      expect(Date.now() - t1).toBeLessThan(1000);
      await drained();
      const op = await cloud.db.query<{ result: Record<string, unknown> }>(
        'SELECT result FROM operations WHERE id = $1',
        [tx],
      );
      const booked =
        typeof op.rows[0].result === 'string' ? JSON.parse(op.rows[0].result) : op.rows[0].result;
      expect(booked).toMatchObject({ status: 'applied', bookedOn: 'previous-holder' });
      expect(booked.shortfall).toEqual([{ asset: 'EUR', amount: 350 }]); // paid out already: the venue's stand-in
      expect(await standIn()).toBe(standBefore - 350);
      expect(await cloud.balances(cut)).toEqual({}); // the new holder owes nothing
      expect(await till.pay(cut, beer)).toMatchObject({ ok: false, reason: 'insufficient-funds' });

      // A gateway's item naming the former issue after the re-issue, or an issue never given: refused.
      const transfers = async () =>
        Number((await cloud.db.query<{ c: string }>('SELECT count(*)::text c FROM transfers')).rows[0].c);
      const before = { n: await transfers(), s: await cloud.sums(), stand: await standIn() };
      const send = async (id: string, cardIssue: number) => {
        const res = await fetch(`${cloud.url}/v1/sync/batches`, {
          method: 'POST',
          headers: { authorization: `Bearer ${cloud.apiKeys[0]}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            batchId: `b-${id}`,
            venueId: venue,
            items: [
              {
                id,
                type: 'spend',
                cardUid: cut,
                at: Date.now(),
                legs: [{ asset: 'EUR', amount: 350 }],
                offline: true,
                cardIssue,
              },
            ],
          }),
        });
        expect(res.status).toBe(200);
        return ((await res.json()) as { results: { status: string; reason?: string; detail?: string }[] })
          .results[0];
      };
      expect(await send('stale-1', 0)).toMatchObject({ status: 'rejected', reason: 'card-reissued' });
      expect((await send('forged-1', 7)).reason).toBe('bad-card-issue');
      expect(await transfers()).toBe(before.n);
      expect(await cloud.sums()).toEqual(before.s);
      expect(await standIn()).toBe(before.stand);
      expect(await cloud.balances(cut)).toEqual({});
      for (const [asset, sum] of Object.entries(await cloud.sums())) expect(sum, asset).toBe(0);
      await verifyLog(cloud.db);
      console.log(`[${kind}] re-issue signal reached the gateway in ${signalMs} ms`);
    });

    it('a device revoked in the cloud is cut off at the venue within about a second', async () => {
      const d = await terminal(gw, 'till-9');
      const closed = new Promise<number>((resolve) => {
        const t0 = Date.now();
        d.client.once('close', () => resolve(Date.now() - t0));
      });
      await cloud.revokeDevice(venue, 'till-9');
      expect(await closed).toBeLessThan(1000);
      await expect(terminal(gw, 'till-9')).rejects.toThrow();
    });
  });
}
