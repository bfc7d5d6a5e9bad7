// Fleet and rental HTTP API (/v1/fleet, /v1/rental) and the venues' booking page (/rental).
// The fleet belongs to a federation: its admins manage inventory, catalog, checkout and return;
// venue admins book and cancel for their own venue; auditors read.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { assertVenueAccess, type Principal, requireAuth } from '../api/auth.js';
import { ID } from '../api/schemas.js';
import type { Db, Queryable } from '../db/connect.js';
import { BOOKING_STATUSES, type BookingStatus, FLEET_STATUSES, type FleetStatus } from '../db/schema.js';
import {
  availability,
  type Booking,
  bookingTx,
  cancelBooking,
  createBookingInTx,
  getBooking,
  listBookings,
} from './bookings.js';
import { addKit, getKit, listKits, updateKit } from './catalog.js';
import {
  type CheckoutRequest,
  checkout,
  DEPOSIT_METHODS,
  type ReturnRequest,
  returnBooking,
} from './checkout.js';
import { DATE_PATTERN } from './dates.js';
import { RentalError } from './errors.js';
import { idempotentInTx, sendStored } from './idempotency.js';
import {
  acknowledgeWipe,
  addDevice,
  bootInstructions,
  type DevicePatch,
  getDevice,
  listDevices,
  type NewFleetDevice,
  updateDevice,
} from './inventory.js';
import { getInvoice, renderInvoicePdf } from './invoice.js';
import { registerBookingPage } from './page.js';

const DATE = { type: 'string', pattern: DATE_PATTERN } as const;
const AMOUNT = { type: 'integer', minimum: 0, maximum: 100_000_000_00 } as const;
const TEXT = (max: number) => ({ type: 'string', maxLength: max }) as const;
const NAME = { type: 'string', minLength: 1, maxLength: 120 } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: ID } } as const;
const langQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { lang: { type: 'string', enum: ['fr', 'en'] } },
} as const;

export interface RentalOptions {
  masterKey: Buffer;
}

const fed = (req: FastifyRequest): string => req.principal!.federationId;
const who = (req: FastifyRequest): string => {
  const p = req.principal!;
  return p.type === 'user' ? p.userId : p.gatewayId;
};

/** A booking is visible/changeable by its venue's admins and by the federation's admins/auditors. */
async function assertBookingAccess(db: Queryable, p: Principal, b: Booking, write: boolean): Promise<void> {
  if (b.federationId !== p.federationId)
    throw new RentalError('unknown-booking', `no booking ${b.bookingId}`, 404);
  await assertVenueAccess(db, p, b.venueId, write);
}

/** The write access check run inside a booking write's transaction, on the booking it locked. */
const mayChange =
  (req: FastifyRequest) =>
  (b: Booking, q: Queryable): Promise<void> =>
    assertBookingAccess(q, req.principal!, b, true);

export async function registerRentalRoutes(app: FastifyInstance, db: Db, opts: RentalOptions): Promise<void> {
  await app.register(async (scope) => {
    // Refused bookings carry the overlapping periods; everything else falls through to the app's handler.
    scope.setErrorHandler((err, req, reply) => {
      if (err instanceof RentalError && Object.keys(err.details).length) {
        req.log.warn({ code: err.code, url: req.url }, err.message);
        return reply.code(err.status).send({ error: err.code, message: err.message, ...err.details });
      }
      throw err;
    });
    registerFleet(scope, db);
    registerCatalog(scope, db);
    registerBookings(scope, db, opts);
    await scope.register(async (page) => registerBookingPage(page, db));
  });
}

function registerFleet(app: FastifyInstance, db: Db): void {
  const manager = requireAuth(db, { roles: ['federation_admin'] });
  const reader = requireAuth(db, { roles: ['federation_admin', 'auditor'] });
  const terminalSide = requireAuth(db, { gateway: true, roles: ['federation_admin'] });

  app.post(
    '/v1/fleet/devices',
    {
      preHandler: manager,
      schema: {
        tags: ['fleet'],
        summary: 'Add a terminal to the inventory',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['deviceId', 'board', 'serial', 'firmwareVersion'],
          properties: {
            deviceId: ID,
            board: { type: 'string', minLength: 1, maxLength: 64 },
            serial: { type: 'string', minLength: 1, maxLength: 64 },
            firmwareVersion: { type: 'string', minLength: 1, maxLength: 64 },
            location: TEXT(120),
            kitId: ID,
            status: { type: 'string', enum: ['available', 'repair'] },
          },
        },
      },
    },
    async (req, reply) => reply.code(201).send(await addDevice(db, fed(req), req.body as NewFleetDevice)),
  );

  app.get(
    '/v1/fleet/devices',
    {
      preHandler: reader,
      schema: {
        tags: ['fleet'],
        summary: 'Inventory',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { status: { type: 'string', enum: [...FLEET_STATUSES] }, kitId: ID, board: TEXT(64) },
        },
      },
    },
    async (req) => ({
      devices: await listDevices(
        db,
        fed(req),
        req.query as { status?: FleetStatus; kitId?: string; board?: string },
      ),
    }),
  );

  app.get(
    '/v1/fleet/devices/:id',
    { preHandler: reader, schema: { tags: ['fleet'], params: idParams } },
    async (req) => getDevice(db, fed(req), (req.params as { id: string }).id),
  );

  app.patch(
    '/v1/fleet/devices/:id',
    {
      preHandler: manager,
      schema: {
        tags: ['fleet'],
        summary: 'Repair, retire, relocate, update firmware version or move to another kit',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            status: { type: 'string', enum: ['available', 'repair', 'retired'] },
            location: TEXT(120),
            firmwareVersion: { type: 'string', minLength: 1, maxLength: 64 },
            kitId: { anyOf: [ID, { type: 'null' }] },
          },
        },
      },
    },
    async (req) =>
      db.tx((tx) => updateDevice(tx, fed(req), (req.params as { id: string }).id, req.body as DevicePatch)),
  );

  // What the terminal must do at its next boot (wipe after a rental; revoked key).
  app.get(
    '/v1/fleet/devices/:id/boot',
    { preHandler: terminalSide, schema: { tags: ['fleet'], params: idParams } },
    async (req) => {
      const id = (req.params as { id: string }).id;
      await getDevice(db, fed(req), id);
      return bootInstructions(db, id);
    },
  );

  app.post(
    '/v1/fleet/devices/:id/wiped',
    { preHandler: terminalSide, schema: { tags: ['fleet'], params: idParams } },
    async (req) => acknowledgeWipe(db, fed(req), (req.params as { id: string }).id),
  );
}

function registerCatalog(app: FastifyInstance, db: Db): void {
  const manager = requireAuth(db, { roles: ['federation_admin'] });
  const anyone = requireAuth(db, {
    gateway: true,
    roles: ['federation_admin', 'venue_admin', 'cashier', 'auditor'],
  });
  const kitBody = {
    type: 'object',
    additionalProperties: false,
    required: ['kitId', 'name', 'pricePerDay', 'deposit'],
    properties: {
      kitId: ID,
      name: NAME,
      description: TEXT(2000),
      currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      pricePerDay: AMOUNT,
      deposit: AMOUNT,
    },
  } as const;

  app.post(
    '/v1/rental/kits',
    { preHandler: manager, schema: { tags: ['rental'], summary: 'Add a kit to the catalog', body: kitBody } },
    async (req, reply) =>
      reply.code(201).send(await addKit(db, fed(req), req.body as Parameters<typeof addKit>[2])),
  );

  app.patch(
    '/v1/rental/kits/:id',
    {
      preHandler: manager,
      schema: {
        tags: ['rental'],
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            name: NAME,
            description: TEXT(2000),
            pricePerDay: AMOUNT,
            deposit: AMOUNT,
            active: { type: 'boolean' },
          },
        },
      },
    },
    async (req) =>
      updateKit(db, fed(req), (req.params as { id: string }).id, req.body as Parameters<typeof updateKit>[3]),
  );

  app.get(
    '/v1/rental/kits',
    { preHandler: anyone, schema: { tags: ['rental'], summary: 'Rental catalog' } },
    async (req) => {
      const p = req.principal!;
      const all = p.type === 'user' && (p.role === 'federation_admin' || p.role === 'auditor');
      return { kits: await listKits(db, fed(req), { activeOnly: !all }) };
    },
  );

  app.get(
    '/v1/rental/kits/:id',
    { preHandler: anyone, schema: { tags: ['rental'], params: idParams } },
    async (req) => getKit(db, fed(req), (req.params as { id: string }).id),
  );

  app.get(
    '/v1/rental/kits/:id/availability',
    {
      preHandler: anyone,
      schema: {
        tags: ['rental'],
        summary: 'Availability calendar of a kit, day by day',
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to'],
          properties: { from: DATE, to: DATE },
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const { from, to } = req.query as { from: string; to: string };
      return { kitId: id, from, to, days: await availability(db, fed(req), id, from, to) };
    },
  );
}

function registerBookings(app: FastifyInstance, db: Db, opts: RentalOptions): void {
  const booker = requireAuth(db, { roles: ['federation_admin', 'venue_admin'] });
  const reader = requireAuth(db, { roles: ['federation_admin', 'venue_admin', 'auditor'] });
  const manager = requireAuth(db, { roles: ['federation_admin'] });
  const load = async (req: FastifyRequest, write: boolean): Promise<Booking> => {
    const b = await getBooking(db, (req.params as { id: string }).id);
    await assertBookingAccess(db, req.principal!, b, write);
    return b;
  };

  app.post(
    '/v1/rental/bookings',
    {
      preHandler: booker,
      schema: {
        tags: ['rental'],
        summary:
          'Book a kit for a date range (first and last day inclusive); 409 kit-unavailable with the overlapping periods',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['kitId', 'venueId', 'from', 'to'],
          properties: {
            kitId: ID,
            venueId: { type: 'string', minLength: 1, maxLength: 40 },
            from: DATE,
            to: DATE,
            contact: TEXT(200),
            note: TEXT(2000),
          },
        },
      },
    },
    async (req, reply) => {
      const body = req.body as {
        kitId: string;
        venueId: string;
        from: string;
        to: string;
        contact?: string;
        note?: string;
      };
      await assertVenueAccess(db, req.principal!, body.venueId);
      const out = await bookingTx(db, body, (tx) =>
        idempotentInTx(tx, req, `rental:${body.venueId}`, async () => ({
          status: 201,
          body: await createBookingInTx(tx, fed(req), { ...body, createdBy: who(req) }),
        })),
      );
      req.log.info(
        { bookingId: (out.body as Booking).bookingId, kitId: body.kitId, from: body.from, to: body.to },
        'kit booked',
      );
      return sendStored(reply, out);
    },
  );

  app.get(
    '/v1/rental/bookings',
    {
      preHandler: reader,
      schema: {
        tags: ['rental'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            venueId: { type: 'string', maxLength: 40 },
            kitId: ID,
            status: { type: 'string', enum: [...BOOKING_STATUSES] },
          },
        },
      },
    },
    async (req) => {
      const p = req.principal!;
      const q = req.query as { venueId?: string; kitId?: string; status?: BookingStatus };
      if (q.venueId) await assertVenueAccess(db, p, q.venueId, false);
      const venueId = q.venueId ?? p.venueId ?? undefined;
      return {
        bookings: await listBookings(db, {
          federationId: p.federationId,
          venueId,
          kitId: q.kitId,
          status: q.status,
        }),
      };
    },
  );

  app.get(
    '/v1/rental/bookings/:id',
    { preHandler: reader, schema: { tags: ['rental'], params: idParams } },
    async (req) => load(req, false),
  );

  app.post(
    '/v1/rental/bookings/:id/cancel',
    { preHandler: booker, schema: { tags: ['rental'], params: idParams } },
    async (req) => cancelBooking(db, (req.params as { id: string }).id, mayChange(req)),
  );

  app.post(
    '/v1/rental/bookings/:id/checkout',
    {
      preHandler: manager,
      schema: {
        tags: ['rental'],
        summary: 'Hand the kit over: devices move to the venue (fresh keys), deposit received',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['deposit'],
          properties: {
            deposit: {
              type: 'object',
              additionalProperties: false,
              required: ['method'],
              properties: {
                method: { type: 'string', enum: [...DEPOSIT_METHODS] },
                amount: AMOUNT,
                reference: TEXT(200),
              },
            },
            keys: {
              type: 'array',
              maxItems: 200,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['deviceId', 'keyHex'],
                properties: { deviceId: ID, keyHex: { type: 'string', pattern: '^[0-9a-fA-F]{32,128}$' } },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const res = await checkout(
        db,
        opts.masterKey,
        id,
        { ...(req.body as Omit<CheckoutRequest, 'by'>), by: who(req) },
        mayChange(req),
      );
      req.log.info({ bookingId: id, devices: res.devices.length }, 'kit checked out');
      return res;
    },
  );

  app.post(
    '/v1/rental/bookings/:id/return',
    {
      preHandler: manager,
      schema: {
        tags: ['rental'],
        summary:
          'Take the kit back: keys revoked, wipe at next boot, damage notes, deposit settled, invoice issued',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['devices'],
          properties: {
            devices: {
              type: 'array',
              minItems: 1,
              maxItems: 200,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['deviceId', 'condition'],
                properties: {
                  deviceId: ID,
                  condition: { type: 'string', enum: ['ok', 'damaged', 'missing'] },
                  note: TEXT(1000),
                  charge: AMOUNT,
                },
              },
            },
            location: TEXT(120),
            refund: {
              type: 'object',
              additionalProperties: false,
              required: ['method'],
              properties: { method: { type: 'string', enum: [...DEPOSIT_METHODS] }, reference: TEXT(200) },
            },
          },
        },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const res = await returnBooking(
        db,
        id,
        { ...(req.body as Omit<ReturnRequest, 'by'>), by: who(req) },
        mayChange(req),
      );
      req.log.info(
        { bookingId: id, revoked: res.revoked.length, retained: res.deposit.retained },
        'kit returned',
      );
      return res;
    },
  );

  app.get(
    '/v1/rental/bookings/:id/invoice.pdf',
    {
      preHandler: reader,
      schema: {
        tags: ['rental'],
        summary: 'Invoice (pro forma before the return)',
        params: idParams,
        querystring: langQuery,
      },
    },
    async (req, reply: FastifyReply) => {
      const b = await load(req, false);
      const inv = await getInvoice(db, b.bookingId);
      const pdf = await renderInvoicePdf(inv, (req.query as { lang?: 'fr' | 'en' }).lang ?? 'fr');
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', `inline; filename="${inv.number ?? `proforma-${b.bookingId}`}.pdf"`)
        .send(pdf);
    },
  );

  app.get(
    '/v1/rental/bookings/:id/invoice',
    { preHandler: reader, schema: { tags: ['rental'], params: idParams } },
    async (req) => {
      const b = await load(req, false);
      return getInvoice(db, b.bookingId);
    },
  );
}
