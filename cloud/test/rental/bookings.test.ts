// Inventory, catalog, availability calendar and bookings, on PGlite and PostgreSQL: no double
// booking, even for 20 concurrent requests, and clear errors for bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withBothDatabases } from '../helpers/databases.js';
import { auth } from '../helpers/fixture.js';
import { book, day, makeKit, type RentalFixture, rentalFixture } from './helpers.js';

withBothDatabases('rental: inventory, catalog, bookings', (getDb, kind) => {
  let f: RentalFixture;
  beforeAll(async () => {
    f = await rentalFixture(getDb());
  });
  afterAll(() => f?.close());

  describe('inventory', () => {
    it('adds, lists, filters and updates devices; status rules', async () => {
      const { kitId, devices } = await makeKit(f, { n: 3 });
      const list = await f.app.inject({ url: `/v1/fleet/devices?kitId=${kitId}`, headers: auth(f.admin) });
      expect(list.statusCode).toBe(200);
      expect(list.json().devices.map((d: { deviceId: string }) => d.deviceId)).toEqual(devices);
      expect(list.json().devices[0]).toMatchObject({
        board: 'esp32-devkitc',
        firmwareVersion: '1.4.0',
        status: 'available',
        location: 'warehouse',
        kitId,
        wipePending: false,
      });

      const upd = await f.app.inject({
        method: 'PATCH',
        url: `/v1/fleet/devices/${devices[0]}`,
        headers: auth(f.admin),
        payload: { status: 'repair', location: 'bench 2', firmwareVersion: '1.5.0' },
      });
      expect(upd.statusCode, upd.body).toBe(200);
      expect(upd.json()).toMatchObject({ status: 'repair', location: 'bench 2', firmwareVersion: '1.5.0' });
      const repair = await f.app.inject({ url: '/v1/fleet/devices?status=repair', headers: auth(f.auditor) });
      expect(repair.json().devices.map((d: { deviceId: string }) => d.deviceId)).toContain(devices[0]);

      // 'rented' is set by checkout only.
      const bad = await f.app.inject({
        method: 'PATCH',
        url: `/v1/fleet/devices/${devices[1]}`,
        headers: auth(f.admin),
        payload: { status: 'rented' },
      });
      expect(bad.statusCode).toBe(400);
    });

    it('refuses duplicates, unknown kits, bad fields and other roles', async () => {
      const { kitId, devices } = await makeKit(f, { n: 1 });
      const dev = (
        await f.app.inject({ url: `/v1/fleet/devices/${devices[0]}`, headers: auth(f.admin) })
      ).json();
      const dupId = await f.app.inject({
        method: 'POST',
        url: '/v1/fleet/devices',
        headers: auth(f.admin),
        payload: { deviceId: devices[0], board: 'esp32', serial: 'other-serial', firmwareVersion: '1' },
      });
      expect(dupId.statusCode).toBe(409);
      expect(dupId.json().error).toBe('device-exists');
      const dupSerial = await f.app.inject({
        method: 'POST',
        url: '/v1/fleet/devices',
        headers: auth(f.admin),
        payload: { deviceId: `${kitId}-other`, board: 'esp32', serial: dev.serial, firmwareVersion: '1' },
      });
      expect(dupSerial.statusCode).toBe(409);
      expect(dupSerial.json()).toMatchObject({ error: 'serial-exists' });
      expect(dupSerial.json().message).toContain(dev.serial);
      const noKit = await f.app.inject({
        method: 'POST',
        url: '/v1/fleet/devices',
        headers: auth(f.admin),
        payload: {
          deviceId: 'lonely-1',
          board: 'esp32',
          serial: 'lonely',
          firmwareVersion: '1',
          kitId: 'no-such-kit',
        },
      });
      expect(noKit.statusCode).toBe(404);
      expect(noKit.json().error).toBe('unknown-kit');
      const badId = await f.app.inject({
        method: 'POST',
        url: '/v1/fleet/devices',
        headers: auth(f.admin),
        payload: { deviceId: 'a b<c>', board: 'esp32', serial: 'x', firmwareVersion: '1' },
      });
      expect(badId.statusCode).toBe(400);
      const venueAdmin = await f.app.inject({
        method: 'POST',
        url: '/v1/fleet/devices',
        headers: auth(f.barAdmin),
        payload: { deviceId: 'sneaky', board: 'esp32', serial: 'sneaky', firmwareVersion: '1' },
      });
      expect(venueAdmin.statusCode).toBe(403);
      expect((await f.app.inject({ url: '/v1/fleet/devices' })).statusCode).toBe(401);
    });
  });

  describe('catalog', () => {
    it('lists kits with prices, deposit and device count; inactive kits hidden from venues', async () => {
      const { kitId } = await makeKit(f, { n: 4, pricePerDay: 4200, deposit: 50000 });
      const kits = await f.app.inject({ url: '/v1/rental/kits', headers: auth(f.barAdmin) });
      expect(kits.statusCode).toBe(200);
      expect(kits.json().kits.find((k: { kitId: string }) => k.kitId === kitId)).toMatchObject({
        pricePerDay: 4200,
        deposit: 50000,
        currency: 'EUR',
        devices: 4,
        active: true,
      });
      const off = await f.app.inject({
        method: 'PATCH',
        url: `/v1/rental/kits/${kitId}`,
        headers: auth(f.admin),
        payload: { active: false },
      });
      expect(off.statusCode).toBe(200);
      const venueView = await f.app.inject({ url: '/v1/rental/kits', headers: auth(f.barAdmin) });
      expect(venueView.json().kits.some((k: { kitId: string }) => k.kitId === kitId)).toBe(false);
      const adminView = await f.app.inject({ url: '/v1/rental/kits', headers: auth(f.admin) });
      expect(adminView.json().kits.some((k: { kitId: string }) => k.kitId === kitId)).toBe(true);
      const r = await book(f, kitId, day(0), day(1));
      expect(r.statusCode).toBe(409);
      expect(r.json().error).toBe('kit-inactive');
    });

    it('refuses negative prices and duplicate kits', async () => {
      const neg = await f.app.inject({
        method: 'POST',
        url: '/v1/rental/kits',
        headers: auth(f.admin),
        payload: { kitId: 'neg', name: 'n', pricePerDay: -1, deposit: 0 },
      });
      expect(neg.statusCode).toBe(400);
      const str = await f.app.inject({
        method: 'POST',
        url: '/v1/rental/kits',
        headers: auth(f.admin),
        payload: { kitId: 'str', name: 'n', pricePerDay: '10', deposit: 0 },
      });
      expect(str.statusCode).toBe(400);
      const { kitId } = await makeKit(f, { n: 0 });
      const dup = await f.app.inject({
        method: 'POST',
        url: '/v1/rental/kits',
        headers: auth(f.admin),
        payload: { kitId, name: 'again', pricePerDay: 1, deposit: 0 },
      });
      expect(dup.statusCode).toBe(409);
      expect(dup.json().error).toBe('kit-exists');
      const empty = await book(f, kitId, day(0), day(1));
      expect(empty.statusCode).toBe(409);
      expect(empty.json().error).toBe('kit-empty');
    });
  });

  describe('bookings', () => {
    it('books a date range with the kit prices; the calendar shows the days taken', async () => {
      const { kitId, devices } = await makeKit(f, { n: 2, pricePerDay: 2500, deposit: 30000 });
      const r = await book(f, kitId, day(10), day(12));
      expect(r.statusCode, r.body).toBe(201);
      expect(r.json()).toMatchObject({
        kitId,
        venueId: f.bar,
        from: day(10),
        to: day(12),
        days: 3,
        pricePerDay: 2500,
        rentalAmount: 7500,
        deposit: 30000,
        status: 'booked',
        devices,
      });
      const cal = await f.app.inject({
        url: `/v1/rental/kits/${kitId}/availability?from=${day(8)}&to=${day(14)}`,
        headers: auth(f.cafeAdmin),
      });
      expect(cal.statusCode).toBe(200);
      expect(
        cal
          .json()
          .days.map((d: { available: boolean }) => (d.available ? '.' : 'X'))
          .join(''),
      ).toBe('..XXX..');
      // Later price changes don't touch an existing booking.
      await f.app.inject({
        method: 'PATCH',
        url: `/v1/rental/kits/${kitId}`,
        headers: auth(f.admin),
        payload: { pricePerDay: 9900 },
      });
      const again = await f.app.inject({
        url: `/v1/rental/bookings/${r.json().bookingId}`,
        headers: auth(f.barAdmin),
      });
      expect(again.json().rentalAmount).toBe(7500);
    });

    it('refuses an overlapping booking with the dates it collides with; adjacent ranges are fine', async () => {
      const { kitId } = await makeKit(f);
      expect((await book(f, kitId, day(20), day(22))).statusCode).toBe(201);
      const clash = await book(f, kitId, day(22), day(25), f.cafeAdmin, f.cafe);
      expect(clash.statusCode).toBe(409);
      expect(clash.json()).toMatchObject({
        error: 'kit-unavailable',
        conflicts: [{ from: day(20), to: day(22) }],
      });
      expect(clash.json().message).toBe(
        `kit ${kitId} is not available from ${day(22)} to ${day(25)}: already booked ${day(20)}..${day(22)}`,
      );
      expect((await book(f, kitId, day(23), day(25), f.cafeAdmin, f.cafe)).statusCode).toBe(201);
      expect((await book(f, kitId, day(18), day(19), f.cafeAdmin, f.cafe)).statusCode).toBe(201);
      const inside = await book(f, kitId, day(21), day(21));
      expect(inside.statusCode).toBe(409);
    });

    it('20 concurrent overlapping bookings of one kit: exactly one wins, 19 get 409 with the reason', async () => {
      const { kitId } = await makeKit(f, { n: 3 });
      const venues = [
        { token: f.barAdmin, venue: f.bar },
        { token: f.cafeAdmin, venue: f.cafe },
      ];
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          book(f, kitId, day(40 + (i % 4)), day(44 + (i % 3)), venues[i % 2].token, venues[i % 2].venue),
        ),
      );
      const codes = results.map((r) => r.statusCode);
      expect(codes.filter((c) => c === 201)).toHaveLength(1);
      expect(codes.filter((c) => c === 409)).toHaveLength(19);
      const winner = results.find((r) => r.statusCode === 201)!.json();
      for (const r of results.filter((x) => x.statusCode === 409)) {
        expect(r.json().error).toBe('kit-unavailable');
        expect(r.json().message).toMatch(
          new RegExp(`^kit ${kitId} is not available from \\d{4}-\\d\\d-\\d\\d to \\d{4}-\\d\\d-\\d\\d: `),
        );
        expect(r.json().conflicts).toEqual([{ from: winner.from, to: winner.to }]);
      }
      const { rows } = await getDb().query<{ n: string }>(
        "SELECT count(*)::text AS n FROM rental_bookings WHERE kit_id = $1 AND status = 'booked'",
        [kitId],
      );
      expect(rows[0].n).toBe('1');
      const alloc = await getDb().query<{ n: string }>(
        'SELECT count(*)::text AS n FROM rental_allocations a JOIN rental_bookings b ON b.id = a.booking_id WHERE b.kit_id = $1',
        [kitId],
      );
      expect(alloc.rows[0].n).toBe('3');
    }, 60_000);

    it('the exclusion constraint alone refuses overlaps (20 concurrent raw transactions, no kit lock)', async () => {
      const { kitId, devices } = await makeKit(f, { n: 1 });
      const db = getDb();
      const { rows } = await db.query<{ no: number }>('SELECT no FROM fleet_devices WHERE id = $1', [
        devices[0],
      ]);
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          db
            .tx(async (tx) => {
              const id = `raw-${kitId}-${i}`;
              await tx.query(
                `INSERT INTO rental_bookings (id, federation_id, kit_id, venue_id, start_date, end_date, days, currency, price_per_day, rental_amount, deposit_amount, created_by)
                 VALUES ($1, $2, $3, $4, $5, $5, 1, 'EUR', 0, 0, 0, 'test')`,
                [id, f.fed, kitId, f.bar, day(60 + (i % 2))],
              );
              await tx.query(
                "INSERT INTO rental_allocations (booking_id, device_id, device_no, period) VALUES ($1, $2, $3, daterange($4::date, $5::date, '[]'))",
                [id, devices[0], rows[0].no, day(60 + (i % 2)), day(61 + (i % 2))],
              );
              return 'ok';
            })
            .catch((err: { code?: string }) => err.code),
        ),
      );
      expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
      expect(outcomes.filter((o) => o === '23P01')).toHaveLength(19);
    }, 60_000);

    it('cancelled bookings free the days; checked-out ones cannot be cancelled', async () => {
      const { kitId } = await makeKit(f);
      const b = (await book(f, kitId, day(70), day(71))).json();
      expect((await book(f, kitId, day(71), day(72), f.cafeAdmin, f.cafe)).statusCode).toBe(409);
      const otherVenue = await f.app.inject({
        method: 'POST',
        url: `/v1/rental/bookings/${b.bookingId}/cancel`,
        headers: auth(f.cafeAdmin),
      });
      expect(otherVenue.statusCode).toBe(403);
      const c = await f.app.inject({
        method: 'POST',
        url: `/v1/rental/bookings/${b.bookingId}/cancel`,
        headers: auth(f.barAdmin),
      });
      expect(c.statusCode).toBe(200);
      expect(c.json().status).toBe('cancelled');
      expect((await book(f, kitId, day(71), day(72), f.cafeAdmin, f.cafe)).statusCode).toBe(201);
    });

    it('Idempotency-Key: a retried booking returns the original, another body with the key is refused', async () => {
      const { kitId } = await makeKit(f);
      const key = { 'idempotency-key': `idem-${kitId}` };
      const [a, b] = await Promise.all([
        book(f, kitId, day(80), day(81), f.barAdmin, f.bar, key),
        book(f, kitId, day(80), day(81), f.barAdmin, f.bar, key),
      ]);
      expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
      expect(a.json().bookingId).toBe(b.json().bookingId);
      expect([a.headers['idempotent-replayed'], b.headers['idempotent-replayed']]).toContain('true');
      const other = await book(f, kitId, day(90), day(91), f.barAdmin, f.bar, key);
      expect(other.statusCode).toBe(409);
      expect(other.json().error).toBe('idempotency-conflict');
    });

    it('bad input: clear errors, nothing written', async () => {
      const { kitId } = await makeKit(f);
      const cases: [string, string, number, string][] = [
        ['2031-02-30', '2031-03-01', 400, 'bad-date'],
        ['2031-13-01', '2031-13-02', 400, 'bad-date'],
        [day(5), day(3), 400, 'bad-dates'],
        ['2020-01-01', '2020-01-02', 400, 'bad-dates'],
        [day(0), day(100), 400, 'bad-dates'],
        ['31/06/2031', day(1), 400, 'bad-request'],
      ];
      for (const [from, to, status, error] of cases) {
        const r = await book(f, kitId, from, to);
        expect(r.statusCode, `${from}..${to}`).toBe(status);
        expect(r.json().error, `${from}..${to}`).toBe(error);
      }
      const wrongVenue = await book(f, kitId, day(1), day(2), f.barAdmin, f.cafe);
      expect(wrongVenue.statusCode).toBe(403);
      expect(wrongVenue.json().error).toBe('wrong-venue');
      const unknownKit = await book(f, 'no-such-kit', day(1), day(2));
      expect(unknownKit.statusCode).toBe(404);
      const auditor = await book(f, kitId, day(1), day(2), f.auditor);
      expect(auditor.statusCode).toBe(403);
      const { rows } = await getDb().query<{ n: string }>(
        'SELECT count(*)::text AS n FROM rental_bookings WHERE kit_id = $1',
        [kitId],
      );
      expect(rows[0].n).toBe('0');
    });

    it('venue admins see their bookings only; auditors see all', async () => {
      const { kitId } = await makeKit(f);
      const mine = (await book(f, kitId, day(100), day(100))).json();
      const theirs = (await book(f, kitId, day(101), day(101), f.cafeAdmin, f.cafe)).json();
      const bar = await f.app.inject({
        url: `/v1/rental/bookings?kitId=${kitId}`,
        headers: auth(f.barAdmin),
      });
      expect(bar.json().bookings.map((b: { bookingId: string }) => b.bookingId)).toEqual([mine.bookingId]);
      const peek = await f.app.inject({
        url: `/v1/rental/bookings/${theirs.bookingId}`,
        headers: auth(f.barAdmin),
      });
      expect(peek.statusCode).toBe(403);
      const all = await f.app.inject({ url: `/v1/rental/bookings?kitId=${kitId}`, headers: auth(f.auditor) });
      expect(all.json().bookings).toHaveLength(2);
      void kind;
    });
  });
});
