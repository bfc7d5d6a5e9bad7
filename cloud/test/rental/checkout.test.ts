// Checkout (devices move to the renting venue's gateway with fresh keys), return (keys revoked,
// wipe at next boot, damage notes, deposit settled, invoice issued) and the invoice PDF, on PGlite
// and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withBothDatabases } from '../helpers/databases.js';
import { auth } from '../helpers/fixture.js';
import { book, day, makeKit, parsePdf, type RentalFixture, rentalFixture } from './helpers.js';

interface ConfigDevice {
  deviceId: string;
  keyHex: string;
  revoked: boolean;
}

withBothDatabases('rental: checkout, return, invoice', (getDb) => {
  let f: RentalFixture;
  beforeAll(async () => {
    f = await rentalFixture(getDb());
  });
  afterAll(() => f?.close());

  const config = async (
    venueId: string,
    key: string,
  ): Promise<{ devices: ConfigDevice[]; version: number }> => {
    const r = await f.app.inject({ url: `/v1/sync/config?venueId=${venueId}`, headers: auth(key) });
    expect(r.statusCode).toBe(200);
    return r.json();
  };
  const fleet = async (id: string) =>
    (await f.app.inject({ url: `/v1/fleet/devices/${id}`, headers: auth(f.admin) })).json();
  const post = (url: string, payload: object, token = f.admin) =>
    f.app.inject({ method: 'POST', url, headers: auth(token), payload });
  const pdf = async (bookingId: string, lang: 'fr' | 'en', token = f.barAdmin) => {
    const r = await f.app.inject({
      url: `/v1/rental/bookings/${bookingId}/invoice.pdf?lang=${lang}`,
      headers: auth(token),
    });
    expect(r.statusCode, r.body.slice(0, 200)).toBe(200);
    expect(r.headers['content-type']).toBe('application/pdf');
    expect(r.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    return parsePdf(r.rawPayload);
  };

  describe('a full rental', () => {
    let kitId: string;
    let devices: string[];
    let bookingId: string;
    const suppliedKey = 'a1'.repeat(16);

    it('checkout moves the devices to the venue with fresh keys and records the deposit', async () => {
      ({ kitId, devices } = await makeKit(f, { n: 2, pricePerDay: 2500, deposit: 30000 }));
      bookingId = (await book(f, kitId, day(10), day(12))).json().bookingId;
      const before = await config(f.bar, f.barKey);
      expect(before.devices.filter((d) => devices.includes(d.deviceId))).toEqual([]);

      const venueAdmin = await post(
        `/v1/rental/bookings/${bookingId}/checkout`,
        { deposit: { method: 'cash' } },
        f.barAdmin,
      );
      expect(venueAdmin.statusCode).toBe(403);
      const r = await post(`/v1/rental/bookings/${bookingId}/checkout`, {
        deposit: { method: 'card', reference: 'TPE-0042' },
        keys: [{ deviceId: devices[0], keyHex: suppliedKey }],
      });
      expect(r.statusCode, r.body).toBe(200);
      const res = r.json();
      expect(res).toMatchObject({
        bookingId,
        venueId: f.bar,
        status: 'checked_out',
        deposit: { received: 30000, method: 'card' },
      });
      expect(res.devices[0]).toEqual({ deviceId: devices[0], board: 'esp32-devkitc', firmware: '1.4.0' });
      expect(res.devices[1].keyHex).toMatch(/^[0-9a-f]{32}$/);

      const after = await config(f.bar, f.barKey);
      expect(after.version).toBeGreaterThan(before.version);
      const mine = after.devices.filter((d) => devices.includes(d.deviceId));
      expect(mine).toEqual([
        { deviceId: devices[0], keyHex: suppliedKey, revoked: false },
        { deviceId: devices[1], keyHex: res.devices[1].keyHex, revoked: false },
      ]);
      expect((await config(f.cafe, f.cafeKey)).devices.filter((d) => devices.includes(d.deviceId))).toEqual(
        [],
      );
      expect(await fleet(devices[0])).toMatchObject({ status: 'rented', location: `venue:${f.bar}` });
      const b = await f.app.inject({ url: `/v1/rental/bookings/${bookingId}`, headers: auth(f.barAdmin) });
      expect(b.json().status).toBe('checked_out');
    });

    it('a checked-out kit cannot be checked out again, cancelled, or its devices retired', async () => {
      const again = await post(`/v1/rental/bookings/${bookingId}/checkout`, { deposit: { method: 'cash' } });
      expect(again.statusCode).toBe(409);
      expect(again.json().error).toBe('already-checked-out');
      const cancel = await post(`/v1/rental/bookings/${bookingId}/cancel`, {}, f.barAdmin);
      expect(cancel.statusCode).toBe(409);
      expect(cancel.json().error).toBe('not-cancellable');
      const retire = await f.app.inject({
        method: 'PATCH',
        url: `/v1/fleet/devices/${devices[0]}`,
        headers: auth(f.admin),
        payload: { status: 'retired' },
      });
      expect(retire.statusCode).toBe(409);
      expect(retire.json().error).toBe('device-rented');
    });

    it('the pro forma invoice parses and carries the amounts', async () => {
      const p = await pdf(bookingId, 'fr');
      expect(p.pages).toBe(1);
      expect(p.text).toContain('Facture pro forma');
      expect(p.text).toContain('75,00 EUR'); // 3 days × 25,00
      expect(p.text).toContain('25,00 EUR');
      expect(p.text).toContain('300,00 EUR'); // deposit
      expect(p.text).toContain(`du ${day(10)} au ${day(12)} (3 jours)`);
      expect(p.text).not.toMatch(/R-\d{6}/);
    });

    it('an incomplete or unexplained return is refused and changes nothing', async () => {
      const incomplete = await post(`/v1/rental/bookings/${bookingId}/return`, {
        devices: [{ deviceId: devices[0], condition: 'ok' }],
      });
      expect(incomplete.statusCode).toBe(400);
      expect(incomplete.json()).toMatchObject({ error: 'return-incomplete', devices: [devices[1]] });
      const noNote = await post(`/v1/rental/bookings/${bookingId}/return`, {
        devices: [
          { deviceId: devices[0], condition: 'ok' },
          { deviceId: devices[1], condition: 'damaged' },
        ],
      });
      expect(noNote.statusCode).toBe(400);
      expect(noNote.json().error).toBe('damage-note-required');
      const stranger = await post(`/v1/rental/bookings/${bookingId}/return`, {
        devices: [
          { deviceId: devices[0], condition: 'ok' },
          { deviceId: devices[1], condition: 'ok' },
          { deviceId: 'not-in-kit', condition: 'ok' },
        ],
      });
      expect(stranger.statusCode).toBe(400);
      expect(stranger.json().error).toBe('bad-device');
      expect(
        (await config(f.bar, f.barKey)).devices.filter((d) => devices.includes(d.deviceId) && d.revoked),
      ).toEqual([]);
      expect(await fleet(devices[1])).toMatchObject({ status: 'rented', wipePending: false });
    });

    it('return revokes the keys, flags the wipe, notes the damage, settles the deposit and issues the invoice', async () => {
      const v0 = (await config(f.bar, f.barKey)).version;
      const r = await post(`/v1/rental/bookings/${bookingId}/return`, {
        devices: [
          { deviceId: devices[0], condition: 'ok' },
          { deviceId: devices[1], condition: 'damaged', note: 'écran fissuré', charge: 4500 },
        ],
        refund: { method: 'transfer', reference: 'VIR-7' },
      });
      expect(r.statusCode, r.body).toBe(200);
      const res = r.json();
      expect(res).toMatchObject({
        bookingId,
        status: 'returned',
        revoked: [...devices].sort(),
        wipePending: devices,
        deposit: { received: 30000, retained: 4500, refunded: 25500 },
        invoice: { total: 12000, currency: 'EUR' },
      });
      expect(res.invoice.number).toMatch(/^R-\d{6}$/);
      expect(res.devices).toEqual([
        { deviceId: devices[0], condition: 'ok', status: 'available' },
        { deviceId: devices[1], condition: 'damaged', status: 'repair' },
      ]);
      // Gateways drop them: the config lists them revoked, under a new version.
      const cfg = await config(f.bar, f.barKey);
      expect(cfg.version).toBeGreaterThan(v0);
      expect(cfg.devices.filter((d) => devices.includes(d.deviceId)).map((d) => d.revoked)).toEqual([
        true,
        true,
      ]);
      // The terminal learns at boot that it must wipe its storage.
      const boot = await f.app.inject({
        url: `/v1/fleet/devices/${devices[0]}/boot`,
        headers: auth(f.barKey),
      });
      expect(boot.statusCode).toBe(200);
      expect(boot.json()).toEqual({ deviceId: devices[0], wipe: true, revoked: true, venueId: null });
      expect(await fleet(devices[0])).toMatchObject({
        status: 'available',
        location: 'warehouse',
        wipePending: true,
      });
      expect(await fleet(devices[1])).toMatchObject({ status: 'repair', wipePending: true });
      const deposits = await getDb().query<{
        kind: string;
        amount: string;
        method: string;
        reference: string;
      }>(
        'SELECT kind, amount::text AS amount, method, reference FROM rental_deposits WHERE booking_id = $1 ORDER BY id',
        [bookingId],
      );
      expect(deposits.rows).toEqual([
        { kind: 'received', amount: '30000', method: 'card', reference: 'TPE-0042' },
        { kind: 'retained', amount: '4500', method: '', reference: '' },
        { kind: 'refunded', amount: '25500', method: 'transfer', reference: 'VIR-7' },
      ]);
      const twice = await post(`/v1/rental/bookings/${bookingId}/return`, {
        devices: [{ deviceId: devices[0], condition: 'ok' }],
      });
      expect(twice.statusCode).toBe(409);
      expect(twice.json().error).toBe('already-returned');
    });

    it('the final invoice PDF parses, is numbered and carries every amount (FR and EN)', async () => {
      const inv = (
        await f.app.inject({ url: `/v1/rental/bookings/${bookingId}/invoice`, headers: auth(f.auditor) })
      ).json();
      const fr = await pdf(bookingId, 'fr');
      expect(fr.text).toContain(`Numéro: ${inv.number}`);
      expect(fr.text).not.toContain('pro forma');
      for (const s of ['75,00 EUR', '45,00 EUR', '120,00 EUR', '300,00 EUR', '255,00 EUR', 'Reste à payer'])
        expect(fr.text, s).toContain(s);
      expect(fr.text).toContain(`Dommage, terminal ${devices[1]}: écran fissuré`);
      const en = await pdf(bookingId, 'en', f.admin);
      for (const s of [
        'Invoice',
        'EUR 75.00',
        'EUR 45.00',
        'EUR 120.00',
        'EUR 300.00',
        'EUR 45.00',
        'EUR 255.00',
        'Balance due',
      ])
        expect(en.text, s).toContain(s);
      // Frozen at return: a later price change does not alter it.
      await f.app.inject({
        method: 'PATCH',
        url: `/v1/rental/kits/${kitId}`,
        headers: auth(f.admin),
        payload: { pricePerDay: 1 },
      });
      const again = (
        await f.app.inject({ url: `/v1/rental/bookings/${bookingId}/invoice`, headers: auth(f.admin) })
      ).json();
      expect(again).toEqual(inv);
      const other = await f.app.inject({
        url: `/v1/rental/bookings/${bookingId}/invoice.pdf`,
        headers: auth(f.cafeAdmin),
      });
      expect(other.statusCode).toBe(403);
    });

    it('the next rental needs wiped, repaired devices; checkout then moves them to the other venue', async () => {
      const next = (await book(f, kitId, day(20), day(21), f.cafeAdmin, f.cafe)).json();
      const refused = await post(`/v1/rental/bookings/${next.bookingId}/checkout`, {
        deposit: { method: 'cash' },
      });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error).toBe('devices-not-ready');
      expect(refused.json().message).toBe(
        `cannot check out: ${devices[0]} (not wiped since its last rental), ${devices[1]} (repair)`,
      );
      expect(await fleet(devices[0])).toMatchObject({ status: 'available', location: 'warehouse' });

      const ack = await f.app.inject({
        method: 'POST',
        url: `/v1/fleet/devices/${devices[0]}/wiped`,
        headers: auth(f.barKey),
      });
      expect(ack.statusCode).toBe(200);
      await f.app.inject({
        method: 'POST',
        url: `/v1/fleet/devices/${devices[1]}/wiped`,
        headers: auth(f.admin),
      });
      await f.app.inject({
        method: 'PATCH',
        url: `/v1/fleet/devices/${devices[1]}`,
        headers: auth(f.admin),
        payload: { status: 'available' },
      });

      const ok = await post(`/v1/rental/bookings/${next.bookingId}/checkout`, {
        deposit: { method: 'cash', amount: 10000 },
      });
      expect(ok.statusCode, ok.body).toBe(200);
      const cafe = (await config(f.cafe, f.cafeKey)).devices.filter((d) => devices.includes(d.deviceId));
      expect(cafe.map((d) => [d.deviceId, d.revoked])).toEqual([
        [devices[0], false],
        [devices[1], false],
      ]);
      expect(cafe[0].keyHex).not.toBe(suppliedKey);
      expect((await config(f.bar, f.barKey)).devices.filter((d) => devices.includes(d.deviceId))).toEqual([]);
      const boot = await f.app.inject({
        url: `/v1/fleet/devices/${devices[0]}/boot`,
        headers: auth(f.admin),
      });
      expect(boot.json()).toEqual({ deviceId: devices[0], wipe: false, revoked: false, venueId: f.cafe });
    });
  });

  it('a checkout with one device in repair changes nothing at all', async () => {
    const { kitId, devices } = await makeKit(f, { n: 3 });
    const b = (await book(f, kitId, day(30), day(30))).json();
    await f.app.inject({
      method: 'PATCH',
      url: `/v1/fleet/devices/${devices[2]}`,
      headers: auth(f.admin),
      payload: { status: 'repair' },
    });
    const r = await post(`/v1/rental/bookings/${b.bookingId}/checkout`, { deposit: { method: 'cash' } });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ error: 'devices-not-ready', devices: [devices[2]] });
    expect((await config(f.bar, f.barKey)).devices.filter((d) => devices.includes(d.deviceId))).toEqual([]);
    for (const d of devices.slice(0, 2)) expect((await fleet(d)).status).toBe('available');
    const dep = await getDb().query('SELECT 1 FROM rental_deposits WHERE booking_id = $1', [b.bookingId]);
    expect(dep.rows).toEqual([]);
    const ret = await post(`/v1/rental/bookings/${b.bookingId}/return`, {
      devices: devices.map((deviceId) => ({ deviceId, condition: 'ok' })),
    });
    expect(ret.statusCode).toBe(409);
    expect(ret.json().error).toBe('not-checked-out');
  });

  it('a missing device is retired; charges above the deposit are invoiced, the deposit fully retained', async () => {
    const { kitId, devices } = await makeKit(f, { n: 2, pricePerDay: 1000, deposit: 5000 });
    const b = (await book(f, kitId, day(40), day(40))).json();
    expect(
      (await post(`/v1/rental/bookings/${b.bookingId}/checkout`, { deposit: { method: 'cash' } })).statusCode,
    ).toBe(200);
    const r = await post(`/v1/rental/bookings/${b.bookingId}/return`, {
      devices: [
        { deviceId: devices[0], condition: 'missing', note: 'not in the box', charge: 12000 },
        { deviceId: devices[1], condition: 'ok' },
      ],
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().deposit).toEqual({ received: 5000, retained: 5000, refunded: 0 });
    expect(r.json().invoice.total).toBe(13000);
    expect(await fleet(devices[0])).toMatchObject({ status: 'retired', location: 'missing' });
    const inv = (
      await f.app.inject({ url: `/v1/rental/bookings/${b.bookingId}/invoice`, headers: auth(f.admin) })
    ).json();
    expect(inv.balanceDue).toBe(8000);
    const p = await pdf(b.bookingId, 'fr');
    expect(p.text).toContain('80,00 EUR');
    expect(p.text).toContain('130,00 EUR');
    // A retired device no longer counts in the kit.
    const kit = (await f.app.inject({ url: `/v1/rental/kits/${kitId}`, headers: auth(f.admin) })).json();
    expect(kit.devices).toBe(1);
  });
});
