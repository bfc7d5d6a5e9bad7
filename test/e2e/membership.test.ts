// Membership status across cloud and gateway: the cloud's membership periods are the one source,
// the gateway caches them with an expiry (config download + leases) and its door and tills answer
// from that cache. A card is never a member at one place and not at the other: a valid member is
// admitted to a members-only event and pays the member price at the bar; an expired one is refused
// at the door with 'membership-expired' (on the terminal) and pays the full price, as the cloud
// refuses its member-price order; offline past the TTL and stand-in window the door says
// 'membership-unknown' until the cloud is back.
import type { Gateway } from '@tibillet/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { membershipCacheOf } from '../../gateway/src/sync/membership-cache.js';
import { sleep, type TestDevice, tap } from '../../gateway/test/helpers.js';
import { type CloudApi, cashTopUpBatch, cloudApi, venueAdminToken } from '../helpers/cloud-api.js';
import { startVenueGateway, terminal } from '../helpers/venue-gateway.js';
import { type CloudHarness, gate, startCloud } from './cloud-harness.js';

const HOUR = 3600_000;
const TTL = 1500;
const STAND_IN = 1500;

async function until<T>(what: string, fn: () => T | Promise<T>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`membership: one source, cached by the gateway [${kind}]`, () => {
    let cloud: CloudHarness;
    let api: CloudApi;
    let net: Awaited<ReturnType<typeof gate>>;
    let gw: Gateway;
    let venue: string;
    let admin: string;
    let product: { id: string };
    let event: { id: string; categories: { id: string }[] };
    let door: TestDevice;
    let till: TestDevice;

    /** A card with money, a membership and `n` member-price tickets for the members-only event. */
    const member = async (uid: string) => {
      await api.ok('POST', '/v1/sync/batches', cloud.apiKeys[0], cashTopUpBatch(venue, uid, 10_000));
      await api.ok('POST', `/v1/venues/${venue}/memberships`, cloud.apiKeys[0], {
        productId: product.id,
        cardUid: uid,
      });
      await api.ok('POST', `/v1/venues/${venue}/events/${event.id}/orders`, cloud.apiKeys[0], {
        cardUid: uid,
        items: [{ categoryId: event.categories[0]!.id, audience: 'member', quantity: 1 }],
      });
    };
    const cache = () => membershipCacheOf(gw.ctx)!;
    const beer = (d: TestDevice, uid: string, price: number) =>
      d.waitResult(tap(d, uid, { mode: 'cashier', cart: [{ sku: 'beer', qty: 1, price }] }));

    beforeAll(async () => {
      cloud = await startCloud(kind, { membership: { ttlMs: TTL, standInMs: STAND_IN } });
      api = cloudApi(cloud.url);
      venue = cloud.venues[0];
      net = await gate(cloud.url);
      admin = await venueAdminToken(cloud, venue);
      product = await api.ok('POST', `/v1/venues/${venue}/membership-products`, admin, {
        name: 'Adhésion',
        scope: 'venue',
        pricing: 'fixed',
        price: 1000,
      });
      event = await api.ok('POST', `/v1/venues/${venue}/events`, admin, {
        title: 'Assemblée + concert',
        startsAt: new Date(Date.now() + HOUR).toISOString(),
        endsAt: new Date(Date.now() + 4 * HOUR).toISOString(),
        categories: [{ name: 'Entrée', prices: { full: 1500, member: 800 } }],
      });
      await api.ok('PUT', `/v1/venues/${venue}/events/${event.id}/members-only`, admin, {
        membersOnly: true,
      });
      gw = await startVenueGateway(cloud, {
        terminals: ['door-1', 'till-1'],
        dataDirPrefix: 'tb-e2e-member-',
        cloudUrl: net.url,
        doorSyncMs: 60_000,
        venue: {
          pointsOfSale: [
            { id: 'entrance', name: 'Entrance', mode: 'door', devices: ['door-1'], products: [] },
            {
              id: 'bar',
              name: 'Bar',
              mode: 'cashier',
              devices: ['till-1'],
              products: [{ sku: 'beer', label: 'Bière', price: 350, memberPrice: 300 }],
            },
          ],
        },
      });
      door = await terminal(gw, 'door-1');
      till = await terminal(gw, 'till-1');
    }, 120_000);
    afterAll(async () => {
      await door?.close();
      await till?.close();
      await gw?.close();
      await net?.close();
      await cloud?.close();
    });

    it('a valid member: admitted at the members-only door and the member price at the bar', async () => {
      await member('04E0000000AA01');
      await gw.door.sync();
      await until(
        'the membership in the gateway cache',
        () => cache().verdict('04E0000000AA01', Date.now()).member,
      );
      expect(cache().isMembersOnly(event.id)).toBe(true);
      expect(await door.waitResult(tap(door, '04E0000000AA01', { mode: 'door' }))).toMatchObject({
        ok: true,
      });
      expect(await beer(till, '04E0000000AA01', 300)).toMatchObject({ ok: true, amt: 300 });
      // Never a member: told so at the door.
      expect(await door.waitResult(tap(door, '04E0000000AA0F', { mode: 'door' }))).toMatchObject({
        ok: false,
        reason: 'no-ticket',
      });
    });

    it('an expired member: refused at the door with the reason, full price at the bar, refused by the cloud', async () => {
      const uid = '04E0000000AA02';
      await member(uid);
      await gw.door.sync();
      await until('member', () => cache().verdict(uid, Date.now()).member);
      // A year passes for this card's membership (periods moved back).
      await cloud.db.query(
        `UPDATE membership_periods SET starts_at = starts_at - interval '400 days', expires_at = expires_at - interval '400 days'
         WHERE wallet_id = (SELECT wallet_id FROM cards WHERE uid = $1)`,
        [uid],
      );
      const st = await api.ok('GET', `/v1/venues/${venue}/cards/${uid}/membership`, cloud.apiKeys[0]);
      expect(st.state).toBe('expired');
      await until('the expiry in the gateway cache', () => {
        const v = cache().verdict(uid, Date.now());
        return !v.member && v.reason === 'membership-expired';
      });
      const r = await door.waitResult(tap(door, uid, { mode: 'door' }));
      expect(r).toMatchObject({ ok: false, reason: 'membership-expired' });
      expect(r.lines?.[0]).toBe(st.validUntil.slice(0, 10));
      expect(await beer(till, uid, 300)).toMatchObject({ ok: false, reason: 'stale-price' });
      expect(await beer(till, uid, 350)).toMatchObject({ ok: true, amt: 350 });
      const order = await api.call(
        'POST',
        `/v1/venues/${venue}/events/${event.id}/orders`,
        cloud.apiKeys[0],
        {
          cardUid: uid,
          items: [{ categoryId: event.categories[0]!.id, audience: 'member', quantity: 1 }],
        },
      );
      expect(order.status).toBe(403);
      expect(order.json.error).toBe('membership-expired');
    });

    it('offline past TTL + stand-in: membership unknown at the door; known again when the cloud is back', async () => {
      const early = '04E0000000AA03';
      const late = '04E0000000AA04';
      await member(early);
      await member(late);
      await gw.door.sync();
      await until(
        'members',
        () => cache().verdict(late, Date.now()).member && cache().verdict(early, Date.now()).member,
      );
      net.down();
      // Within the stand-in window the cached status still admits.
      expect(await door.waitResult(tap(door, early, { mode: 'door' }))).toMatchObject({ ok: true });
      await sleep(TTL + STAND_IN + 200);
      const r = await door.waitResult(tap(door, late, { mode: 'door' }));
      expect(r).toMatchObject({ ok: false, reason: 'membership-unknown' });
      expect(r.lines).toEqual([]); // the terminal words the reason itself
      // The till does not give the member price on a guess either.
      expect(await beer(till, late, 300)).toMatchObject({ ok: false, reason: 'stale-price' });
      net.up();
      await until('the cloud again', () => cache().verdict(late, Date.now()).member);
      expect(await door.waitResult(tap(door, late, { mode: 'door' }))).toMatchObject({ ok: true });
    });
  });
}
