// Door check-in through the venue gateway with a real cloud: a card-bound ticket (bought with the
// card's wallet) is admitted once across two doors, also while the venue's internet is down; the
// offline admission uploads once when the cloud is back (the cloud's counts show one check-in).
import type { Gateway } from '@tibillet/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, type TestDevice, tap } from '../../gateway/test/helpers.js';
import { type CloudApi, cashTopUpBatch, cloudApi, venueAdminToken } from '../helpers/cloud-api.js';
import { startVenueGateway, terminal } from '../helpers/venue-gateway.js';
import { type CloudHarness, gate, startCloud } from './cloud-harness.js';

const HOUR = 3600_000;

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`door check-in through the gateway [${kind}]`, () => {
    let cloud: CloudHarness;
    let api: CloudApi;
    let net: Awaited<ReturnType<typeof gate>>;
    let gw: Gateway;
    let venue: string;
    let admin: string;
    let event: { id: string; categories: { id: string }[] };
    const doors: TestDevice[] = [];

    /** A card with a wallet topped up through the sync API, and a ticket bought with it. */
    const cardWithTicket = async (uid: string) => {
      await api.ok('POST', '/v1/sync/batches', cloud.apiKeys[0], cashTopUpBatch(venue, uid, 5000));
      const order = await api.ok('POST', `/v1/venues/${venue}/events/${event.id}/orders`, cloud.apiKeys[0], {
        cardUid: uid,
        items: [{ categoryId: event.categories[0]!.id, audience: 'full', quantity: 1 }],
      });
      return order.tickets[0].ticketId as string;
    };
    const counts = () => api.ok('GET', `/v1/venues/${venue}/events/${event.id}/counts`, cloud.apiKeys[0]);
    const doorTap = (d: TestDevice, uid: string) => d.waitResult(tap(d, uid, { mode: 'door' }));

    beforeAll(async () => {
      cloud = await startCloud(kind);
      api = cloudApi(cloud.url);
      venue = cloud.venues[0];
      net = await gate(cloud.url);
      admin = await venueAdminToken(cloud, venue);
      event = await api.ok('POST', `/v1/venues/${venue}/events`, admin, {
        title: 'Concert',
        startsAt: new Date(Date.now() + HOUR).toISOString(),
        endsAt: new Date(Date.now() + 4 * HOUR).toISOString(),
        categories: [{ name: 'Standing', prices: { full: 1500 } }],
      });
      gw = await startVenueGateway(cloud, {
        terminals: ['door-1', 'door-2'],
        dataDirPrefix: 'tb-e2e-door-',
        cloudUrl: net.url,
        doorSyncMs: 60_000,
        venue: {
          pointsOfSale: [
            { id: 'entrance', name: 'Entrance', mode: 'door', devices: ['door-1', 'door-2'], products: [] },
          ],
        },
      });
      for (const d of ['door-1', 'door-2']) doors.push(await terminal(gw, d));
    }, 60_000);
    afterAll(async () => {
      for (const d of doors) await d.close();
      await gw?.close();
      await net?.close();
      await cloud?.close();
    });

    it('two doors tap the same card: one admitted, the other told already scanned at that door', async () => {
      const ticketId = await cardWithTicket('04D0000000AA01');
      await gw.door.sync();
      expect(gw.door.lastError).toBeUndefined();
      const [a, b] = doors as [TestDevice, TestDevice];
      const tx1 = tap(a, '04D0000000AA01', { mode: 'door' });
      const tx2 = tap(b, '04D0000000AA01', { mode: 'door' });
      const r = [await a.waitResult(tx1), await b.waitResult(tx2)];
      expect(r.filter((x) => x.ok)).toHaveLength(1);
      const winner = r[0]!.ok ? 'door-1' : 'door-2';
      const loser = r.find((x) => !x.ok)!;
      expect(loser).toMatchObject({ reason: 'already-scanned' });
      expect(loser.lines?.[0]).toMatch(new RegExp(`${winner}$`));
      await gw.door.sync();
      expect(gw.door.pending()).toBe(0);
      const c = await counts();
      expect(c.checkedIn).toBe(1);
      // The refusal at the other door is in the cloud too, with its reason.
      const loserDoor = winner === 'door-1' ? 'door-2' : 'door-1';
      expect(c.byDoor).toEqual(
        [
          { door: winner, admitted: 1, rejected: 0 },
          { door: loserDoor, admitted: 0, rejected: 1 },
        ].sort((x, y) => x.door.localeCompare(y.door)),
      );
      expect(c.rejections).toEqual({ 'already-scanned': 1 });
      const log = await api.ok('GET', `/v1/venues/${venue}/events/${event.id}/door-log?rejected=true`, admin);
      expect(log.entries).toMatchObject([
        {
          admitted: false,
          reason: 'already-scanned',
          source: 'gateway',
          door: loserDoor,
          ticketId,
          firstScan: { door: winner },
        },
      ]);
      // The cloud's door list now shows the ticket scanned at that door.
      const list = await api.ok('GET', `/v1/venues/${venue}/events/${event.id}/door-list`, cloud.apiKeys[0]);
      expect(list.tickets.find((t: { ticketId: string }) => t.ticketId === ticketId)).toMatchObject({
        cardUid: '04D0000000AA01',
        checkedInDoor: winner,
      });
    });

    it('internet down: still one entry across doors; the scan reaches the cloud once when it is back', async () => {
      await cardWithTicket('04D0000000AA02');
      await gw.door.sync();
      net.down();
      const [a, b] = doors as [TestDevice, TestDevice];
      expect(await doorTap(b, '04D0000000AA02')).toMatchObject({ ok: true });
      expect(await doorTap(a, '04D0000000AA02')).toMatchObject({ ok: false, reason: 'already-scanned' });
      expect(await doorTap(b, '04D0000000AA02')).toMatchObject({ ok: false, reason: 'already-scanned' });
      await gw.door.sync();
      expect(gw.door.lastError).toBeDefined();
      expect(gw.door.pending()).toBe(1);
      expect((await counts()).checkedIn).toBe(1);
      net.up();
      await gw.door.sync();
      expect(gw.door.pending()).toBe(0);
      const c = await counts();
      expect(c.checkedIn).toBe(2);
      expect(c.byDoor.find((d: { door: string }) => d.door === 'door-2')).toMatchObject({ admitted: 1 });
      // A re-upload of the same nonces changes nothing.
      const rows = gw.ctx.journal.db.prepare('UPDATE door_entries SET uploaded = 0').run();
      expect(rows.changes).toBe(2);
      // The two offline refusals reached the cloud once as well, and re-uploading them changes nothing.
      const rejected = (await counts()).rejections['already-scanned'];
      expect(rejected).toBe(3);
      gw.ctx.journal.db.prepare('UPDATE door_rejections SET uploaded = 0').run();
      await gw.door.sync();
      expect((await counts()).checkedIn).toBe(2);
      expect((await counts()).rejections['already-scanned']).toBe(rejected);
      expect(gw.door.rejections.pending()).toBe(0);
      expect((await counts()).byDoor.reduce((s: number, d: { admitted: number }) => s + d.admitted, 0)).toBe(
        2,
      );
      await sleep(10);
    });

    it('a card without a ticket for the event is told so', async () => {
      expect(await doorTap(doors[0]!, '04D0000000AAFF')).toMatchObject({ ok: false, reason: 'no-ticket' });
      // Filed under the event the door is running, in the cloud's door log.
      await gw.door.sync();
      const log = await api.ok('GET', `/v1/venues/${venue}/events/${event.id}/door-log`, admin);
      expect(log.entries[0]).toMatchObject({
        admitted: false,
        reason: 'no-ticket',
        source: 'gateway',
        door: 'door-1',
      });
    });
  });
}
