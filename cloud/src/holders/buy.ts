// Buying tickets from the public event page, as a logged-in holder:
//   GET  /me/events/:eventId/buy          choose category, price, quantity and wallet (login first)
//   POST /me/events/:eventId/buy          pay=wallet: order from the balance → my tickets
//                                         pay=card: provider checkout for what the balance lacks
//   GET  /me/events/:eventId/buy/return   back from the provider: my tickets once the order is placed
// The provider webhook tops the wallet up; the order is then placed once (after the webhook's
// answer, and on the return page, whichever comes first).
import { createHmac, randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Lang, pickLang } from '../agenda/i18n.js';
import type { Db } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';
import type { PaymentProvider } from '../payments/provider.js';
import { type EventView, getEvent } from '../ticketing/events.js';
import { TicketKeys } from '../ticketing/keys.js';
import type { OrderItem } from '../ticketing/orders.js';
import type { Audience } from '../ticketing/schema.js';
import { accessTo, walletsOf } from './access.js';
import { BT, BUY_ERRORS, type BuyChoice, buyPage, returnPage } from './buy-page.js';
import { HT } from './i18n.js';
import { messagePage } from './pages.js';
import { checkCsrf, csrfToken, type HolderSession, readSession, SESSION_COOKIE } from './sessions.js';
import {
  buyOnce,
  openTicketCheckout,
  orderFromWallet,
  settleTicketCheckouts,
  ticketCheckout,
  walletBalance,
} from './ticket-checkout.js';

export interface TicketPurchaseOptions {
  masterKey: Buffer;
  publicUrl?: string;
  payments?: PaymentProvider;
}

/** Where the login link leads after signing in (set when a visitor is sent to log in first). */
export const NEXT_COOKIE = 'tb_next';
export const NEXT_PATH = /^\/me\/events\/[0-9a-f-]{36}\/buy(\?[A-Za-z0-9=&%._-]{0,300})?$/;

const UUID = { type: 'string', pattern: '^[0-9a-f-]{36}$' } as const;
const AUDIENCE = { type: 'string', enum: ['full', 'reduced', 'member'] } as const;
const eventParams = { type: 'object', required: ['eventId'], properties: { eventId: UUID } } as const;
const LANG = { type: 'string', enum: ['fr', 'en'] } as const;

export async function registerTicketPurchase(
  app: FastifyInstance,
  db: Db,
  o: TicketPurchaseOptions,
): Promise<void> {
  // The same derivation as the holder pages: the session's CSRF token is valid on every /me form.
  const csrfKey = createHmac('sha256', o.masterKey).update('tibillet-holder-csrf/v1').digest();
  const keys = new TicketKeys(db, o.masterKey);

  // A provider webhook may have credited a ticket checkout: place the order right away.
  if (o.payments) {
    const hook = `/v1/payments/${o.payments.name}/webhook`;
    app.addHook('onResponse', async (req, reply) => {
      if (req.routeOptions.url !== hook || reply.statusCode !== 200) return;
      await settleTicketCheckouts(db, keys, { log: req.log }).catch((err: Error) =>
        req.log.error({ err }, 'ticket checkout settlement failed'),
      );
    });
  }

  await app.register(async (scope) => {
    await scope.register(cookie);
    await scope.register(formbody, { bodyLimit: 16 * 1024 });

    const lang = (req: FastifyRequest): Lang =>
      pickLang((req.query as { lang?: string } | undefined)?.lang, req.headers['accept-language']);
    const send = (reply: FastifyReply, status: number, body: string) =>
      reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
    const base = (req: FastifyRequest) => (o.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/$/, '');
    const errorText = (l: Lang, e: LedgerError) => BUY_ERRORS[l][e.code] ?? e.message;

    /** The public, on-sale event, or the page saying it is not there (already sent). */
    const saleEvent = async (req: FastifyRequest, reply: FastifyReply, l: Lang) => {
      const e = await getEvent(db, (req.params as { eventId: string }).eventId, null);
      if (e?.visibility !== 'public') {
        send(reply, 404, messagePage(l, BT[l].title, HT[l].error, false));
        return null;
      }
      return e;
    };
    const walletsFor = async (s: HolderSession, e: EventView) => {
      const federation = (
        await db.query<{ federation_id: string }>('SELECT federation_id FROM venues WHERE id = $1', [
          e.venueId,
        ])
      ).rows[0]?.federation_id;
      const ws = (await walletsOf(db, s.email)).filter((w) => w.federationId === federation);
      return Promise.all(ws.map(async (w) => ({ w, balance: await walletBalance(db, w.walletId, e.asset) })));
    };
    const render = async (
      reply: FastifyReply,
      status: number,
      l: Lang,
      s: HolderSession,
      e: EventView,
      choice: BuyChoice,
      msg?: { ok: boolean; text: string },
    ) =>
      send(
        reply,
        status,
        buyPage(
          l,
          e,
          await walletsFor(s, e),
          choice,
          {
            csrf: csrfToken(csrfKey, s),
            key: randomBytes(12).toString('base64url'),
            card: !!o.payments && e.asset === 'EUR',
          },
          msg,
        ),
      );

    scope.get(
      '/me/events/:eventId/buy',
      {
        schema: {
          hide: true,
          params: eventParams,
          querystring: {
            type: 'object',
            properties: {
              lang: LANG,
              categoryId: UUID,
              audience: AUDIENCE,
              quantity: { type: 'string', pattern: '^(10|[1-9])$' },
            },
          },
        },
      },
      async (req, reply) => {
        const l = lang(req);
        const s = await readSession(db, req.cookies[SESSION_COOKIE]);
        if (!s) {
          // Back here once the emailed link is followed (in this browser).
          if (NEXT_PATH.test(req.url))
            reply.setCookie(NEXT_COOKIE, req.url, {
              path: '/me',
              httpOnly: true,
              sameSite: 'lax',
              secure: req.protocol === 'https',
              maxAge: 3600,
            });
          return reply.redirect(`/me/login?lang=${l}`);
        }
        const e = await saleEvent(req, reply, l);
        if (!e) return reply;
        const q = req.query as { categoryId?: string; audience?: Audience; quantity?: string };
        return render(reply, 200, l, s, e, {
          categoryId: q.categoryId,
          audience: q.audience,
          quantity: q.quantity ? Number(q.quantity) : 1,
        });
      },
    );

    scope.post(
      '/me/events/:eventId/buy',
      {
        schema: {
          hide: true,
          params: eventParams,
          querystring: { type: 'object', properties: { lang: LANG } },
          body: {
            type: 'object',
            required: ['csrf', 'key', 'walletId', 'categoryId', 'audience', 'quantity', 'pay'],
            properties: {
              csrf: { type: 'string', maxLength: 100 },
              key: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,80}$' },
              walletId: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' },
              categoryId: UUID,
              audience: AUDIENCE,
              quantity: { type: 'string', pattern: '^(10|[1-9])$' },
              pay: { type: 'string', enum: ['wallet', 'card'] },
            },
          },
        },
        attachValidation: true,
      },
      async (req, reply) => {
        const l = lang(req);
        const s = await readSession(db, req.cookies[SESSION_COOKIE]);
        if (!s) return send(reply, 401, messagePage(l, HT[l].loginTitle, HT[l].badLink, false));
        if (!checkCsrf(csrfKey, s, (req.body as { csrf?: unknown } | null)?.csrf)) {
          req.log.warn({ url: req.url }, 'ticket purchase form without a valid CSRF token');
          return send(reply, 403, messagePage(l, HT[l].error, BUY_ERRORS[l]['bad-csrf']!, false));
        }
        const e = await saleEvent(req, reply, l);
        if (!e) return reply;
        if (req.validationError) {
          req.log.warn({ err: req.validationError.message }, 'ticket purchase form refused');
          return render(reply, 400, l, s, e, {}, { ok: false, text: HT[l].error });
        }
        const body = req.body as {
          key: string;
          walletId: string;
          categoryId: string;
          audience: Audience;
          quantity: string;
          pay: 'wallet' | 'card';
        };
        const choice: BuyChoice = {
          categoryId: body.categoryId,
          audience: body.audience,
          quantity: Number(body.quantity),
          walletId: Number(body.walletId),
        };
        const w = await accessTo(db, s.email, choice.walletId!);
        if (!w) {
          req.log.warn(
            { walletId: choice.walletId, email: s.email },
            'ticket purchase: wallet not accessible',
          );
          return send(reply, 403, messagePage(l, HT[l].error, HT[l].forbidden, false));
        }
        const items: OrderItem[] = [
          { categoryId: body.categoryId, audience: body.audience, quantity: choice.quantity! },
        ];
        const createdBy = `holder:${s.email}`;
        try {
          if ((await walletsFor(s, e)).every((x) => x.w.walletId !== w.walletId))
            throw new LedgerError('wrong-network', 'this wallet is not part of the event’s network', 403);
          if (body.pay === 'card') {
            if (!o.payments) throw new LedgerError('not-payable-online', 'no payment provider', 400);
            const c = await openTicketCheckout(db, o.payments, e, {
              walletId: w.walletId,
              items,
              key: body.key,
              successUrl: (id) => `${base(req)}/me/events/${e.id}/buy/return?checkout=${id}&lang=${l}`,
              cancelUrl: `${base(req)}/me/events/${e.id}/buy?lang=${l}`,
              createdBy,
            });
            req.log.info(
              { walletId: w.walletId, eventId: e.id, charged: c.charged },
              'ticket card checkout opened',
            );
            return reply.redirect(c.url, 303);
          }
          const signer = await keys.signer();
          const r = await buyOnce(
            db,
            `holder:${w.walletId}`,
            body.key,
            { eventId: e.id, items },
            (tx, engine) => orderFromWallet(tx, engine, e, w.walletId, items, signer, createdBy),
          );
          req.log.info({ walletId: w.walletId, eventId: e.id, orderId: r.orderId }, 'holder bought tickets');
          return reply.redirect(`/me/wallets/${w.walletId}/tickets?lang=${l}&order=${r.orderId}`, 303);
        } catch (err) {
          if (!(err instanceof LedgerError)) throw err;
          req.log.warn(
            { code: err.code, walletId: w.walletId, eventId: e.id },
            'holder ticket purchase refused',
          );
          return render(reply, err.status, l, s, (await saleEvent(req, reply, l)) ?? e, choice, {
            ok: false,
            text: errorText(l, err),
          });
        }
      },
    );

    scope.get(
      '/me/events/:eventId/buy/return',
      {
        schema: {
          hide: true,
          params: eventParams,
          querystring: { type: 'object', required: ['checkout'], properties: { lang: LANG, checkout: UUID } },
        },
      },
      async (req, reply) => {
        const l = lang(req);
        const s = await readSession(db, req.cookies[SESSION_COOKIE]);
        if (!s) return reply.redirect(`/me/login?lang=${l}`);
        const id = (req.query as { checkout: string }).checkout;
        const before = await ticketCheckout(db, id);
        const w = before && (await accessTo(db, s.email, before.walletId));
        if (!before || !w || before.eventId !== (req.params as { eventId: string }).eventId) {
          req.log.warn({ checkout: id, email: s.email }, 'ticket checkout not accessible');
          return send(reply, 404, messagePage(l, BT[l].title, HT[l].error, false));
        }
        await settleTicketCheckouts(db, keys, { walletId: w.walletId, log: req.log });
        const c = (await ticketCheckout(db, id))!;
        if (c.status === 'settled')
          return reply.redirect(`/me/wallets/${w.walletId}/tickets?lang=${l}&order=${c.orderId}`, 303);
        const e = await getEvent(db, c.eventId, null);
        return send(
          reply,
          c.status === 'failed' ? 409 : 202,
          returnPage(l, { id: c.eventId, title: e?.title ?? '' }, { ...c, status: c.status }, req.url),
        );
      },
    );
  });
}
