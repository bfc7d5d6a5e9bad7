// Holder pages: log in by emailed link (no password), my wallets (balances, history, refund
// request, dormancy notices), my tickets (QR pages), my memberships (status, expiry, renew), and
// delegated access (the owner invites a guardian by email; revocable).
//   GET  /me/login            POST /me/login (rate-limited)     GET /me/auth/:token
//   GET  /me                  POST /me/logout
//   GET  /me/wallets/:w       POST /me/wallets/:w/refund
//   GET  /me/wallets/:w/tickets
//   GET  /me/wallets/:w/memberships                             POST /me/wallets/:w/memberships
//   POST /me/wallets/:w/memberships/:productId/reminders        renewal reminders off / on again
//   GET  /me/wallets/:w/guardians   POST /me/wallets/:w/guardians   POST /me/wallets/:w/guardians/:g/revoke
//   GET  /me/invite/:token
// Emails go through the outbox (dormancy/outbox.ts drains it over SMTP).
import { createHash, createHmac, randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Lang, pickLang } from '../agenda/i18n.js';
import { buf, type Db, type Tx } from '../db/connect.js';
import { PostingEngine } from '../ledger/engine.js';
import { requestRefund } from '../ledger/lifecycle.js';
import { LedgerError } from '../ledger/types.js';
import { requireVenue } from '../ledger/venue.js';
import { setRenewalReminders } from '../memberships/cancel.js';
import { settleMembershipCheckouts } from '../memberships/checkout.js';
import { requireProduct } from '../memberships/products.js';
import { buyMembership } from '../memberships/purchase.js';
import type { PaymentProvider } from '../payments/provider.js';
import { withRetry } from '../sync/batches.js';
import { accessTo, ownerEmail, type WalletRef, walletsOf } from './access.js';
import { NEXT_COOKIE, NEXT_PATH } from './buy.js';
import { guardiansOf, walletData, walletMemberships, walletTickets } from './data.js';
import { ERRORS, HT } from './i18n.js';
import { consumeLink, createLink, INVITE_TTL_MS, LOGIN_TTL_MS, recentLinks } from './links.js';
import {
  guardiansPage,
  homePage,
  loginPage,
  membershipsPage,
  messagePage,
  ticketsPage,
  walletPage,
} from './pages.js';
import {
  checkCsrf,
  createSession,
  csrfToken,
  endSession,
  type HolderSession,
  readSession,
  SESSION_COOKIE,
  SESSION_TTL_MS,
} from './sessions.js';

export interface HolderOptions {
  masterKey: Buffer;
  /** Base URL put in emailed links (never taken from the request's Host header when set). */
  publicUrl?: string;
  payments?: PaymentProvider;
  /** Links per address and hour (default 5). */
  linksPerHour?: number;
}

const EMAIL = { type: 'string', format: 'email', minLength: 3, maxLength: 254 } as const;
const CSRF = { type: 'string', maxLength: 100 } as const;
const KEY = { type: 'string', pattern: '^[A-Za-z0-9_-]{8,80}$' } as const;
/** A bigserial id (wallets, guardian grants). */
const SERIAL = { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } as const;
const PRODUCT = { type: 'string', pattern: '^[0-9a-f-]{36}$' } as const;
const walletParams = { type: 'object', required: ['walletId'], properties: { walletId: SERIAL } } as const;
/** Params of a route below /me/wallets/:walletId/ that names one more thing. */
const walletParamsWith = (name: string, schema: object) =>
  ({
    type: 'object',
    required: ['walletId', name],
    properties: { ...walletParams.properties, [name]: schema },
  }) as const;
const TOKEN = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', maxLength: 120 } },
} as const;
const langQuery = { type: 'object', properties: { lang: { type: 'string', enum: ['fr', 'en'] } } } as const;

type Msg = { ok: boolean; text: string };
/** A holder's session, the wallet it may see, and the page language. */
type Guarded = { s: HolderSession; w: WalletRef; l: Lang };

/** A period's end as the holder reads it: a date in the venues' time zone, not the server's. */
const longDate = (l: Lang, at: string): string =>
  new Date(at).toLocaleDateString(l === 'fr' ? 'fr-FR' : 'en-GB', {
    timeZone: 'Europe/Paris',
    dateStyle: 'long',
  });

/** "12,50" or "12.5" euros → 1250 minor units; undefined when not a price. */
export function parseEuros(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
}

export async function registerHolderPages(app: FastifyInstance, db: Db, o: HolderOptions): Promise<void> {
  // Own keys, derived: a leak of one does not give the others.
  const linkKey = createHmac('sha256', o.masterKey).update('tibillet-holder-links/v1').digest();
  const csrfKey = createHmac('sha256', o.masterKey).update('tibillet-holder-csrf/v1').digest();
  const perHour = o.linksPerHour ?? 5;

  await app.register(async (scope) => {
    await scope.register(cookie);
    await scope.register(formbody, { bodyLimit: 16 * 1024 });

    const lang = (req: FastifyRequest): Lang =>
      pickLang((req.query as { lang?: string } | undefined)?.lang, req.headers['accept-language']);
    const base = (req: FastifyRequest): string => {
      if (o.publicUrl) return o.publicUrl.replace(/\/$/, '');
      req.log.warn('holder links built from the Host header: set publicUrl');
      return `${req.protocol}://${req.host}`;
    };
    const send = (reply: FastifyReply, status: number, body: string) =>
      reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
    const session = (req: FastifyRequest) => readSession(db, req.cookies[SESSION_COOKIE]);
    const setSession = (req: FastifyRequest, reply: FastifyReply, token: string) =>
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/me',
        httpOnly: true,
        sameSite: 'lax',
        secure: req.protocol === 'https',
        maxAge: SESSION_TTL_MS / 1000,
      });
    const errorText = (l: Lang, e: unknown): string => {
      if (e instanceof LedgerError) return ERRORS[l][e.code] ?? e.message;
      return HT[l].error;
    };
    const outbox = (q: Db | Tx, to: string, subject: string, body: string, kind: string, walletId?: number) =>
      q.query(
        'INSERT INTO email_outbox (to_address, subject, body, kind, wallet_id) VALUES ($1, $2, $3, $4, $5)',
        [to, subject, body, kind, walletId ?? null],
      );

    /** The session and the wallet it may see, or the page saying why not (already sent). */
    const guard = async (
      req: FastifyRequest,
      reply: FastifyReply,
      opts: { post?: boolean; owner?: boolean } = {},
    ): Promise<Guarded | null> => {
      const l = lang(req);
      const s = await session(req);
      if (!s) {
        if (opts.post) send(reply, 401, messagePage(l, HT[l].loginTitle, HT[l].badLink, false));
        else reply.redirect(`/me/login?lang=${l}`);
        return null;
      }
      if (opts.post && !checkCsrf(csrfKey, s, (req.body as { csrf?: string } | null)?.csrf)) {
        req.log.warn({ url: req.url }, 'holder form without a valid CSRF token');
        send(reply, 403, messagePage(l, HT[l].error, ERRORS[l]['bad-csrf'], false));
        return null;
      }
      const walletId = Number((req.params as { walletId: string }).walletId);
      const w = await accessTo(db, s.email, walletId);
      if (!w || (opts.owner && w.role !== 'owner')) {
        req.log.warn({ walletId, email: s.email }, 'holder: wallet not accessible');
        send(reply, 403, messagePage(l, HT[l].error, HT[l].forbidden, false));
        return null;
      }
      return { s, w, l };
    };

    /** A form posted twice (double click, reload) gets the first answer: (scope, key) is stored. */
    const once = async <T extends object>(
      tx: Tx,
      scopeName: string,
      key: string,
      request: object,
      fn: () => Promise<T>,
    ): Promise<T> => {
      const hash = createHash('sha256').update(JSON.stringify(request)).digest();
      const prior = await tx.query<{ response: T; body_hash: unknown }>(
        'SELECT response, body_hash FROM idempotent_requests WHERE scope = $1 AND key = $2',
        [scopeName, key],
      );
      if (prior.rows[0]) {
        if (!buf(prior.rows[0].body_hash).equals(hash))
          throw new LedgerError(
            'idempotency-conflict',
            'this form was already used for another request',
            409,
          );
        return prior.rows[0].response;
      }
      const r = await fn();
      await tx.query(
        'INSERT INTO idempotent_requests (scope, key, route, body_hash, status, response) VALUES ($1, $2, $3, $4, 200, $5)',
        [scopeName, key, 'holder-form', hash, JSON.stringify(r)],
      );
      return r;
    };

    /** A ledger write from a wallet's form, in its own (retried) transaction, once per form key. */
    const onceForWallet = <T extends object>(
      walletId: number,
      key: string,
      request: object,
      fn: (tx: Tx, engine: PostingEngine) => Promise<T>,
    ): Promise<T> =>
      withRetry(() =>
        db.tx(async (tx) => {
          const engine = await PostingEngine.begin(tx);
          return once(tx, `holder:${walletId}`, key, request, () => fn(tx, engine));
        }),
      );

    /** The form's page again, saying why the ledger refused it; any other error stays a 500. */
    const refused = async (
      req: FastifyRequest,
      reply: FastifyReply,
      g: Guarded,
      render: (l: Lang, s: HolderSession, w: WalletRef, msg?: Msg) => Promise<string>,
      e: unknown,
      logAs?: string,
    ) => {
      if (!(e instanceof LedgerError)) throw e;
      if (logAs) req.log.warn({ code: e.code, walletId: g.w.walletId }, logAs);
      return send(reply, e.status, await render(g.l, g.s, g.w, { ok: false, text: errorText(g.l, e) }));
    };

    scope.get('/me/login', { schema: { hide: true, querystring: langQuery } }, async (req, reply) =>
      send(reply, 200, loginPage(lang(req))),
    );

    scope.post(
      '/me/login',
      {
        schema: {
          hide: true,
          querystring: langQuery,
          body: { type: 'object', required: ['email'], properties: { email: EMAIL } },
        },
        // Bad input (not an address) → the same form with a message, not a JSON error.
        attachValidation: true,
      },
      async (req, reply) => {
        const l = lang(req);
        if (req.validationError) return send(reply, 400, loginPage(l, { ok: false, text: HT[l].email }));
        const email = (req.body as { email: string }).email.trim().toLowerCase();
        const known = await db.query(
          `SELECT 1 FROM people WHERE lower(email) = $1
           UNION ALL SELECT 1 FROM guardian_grants WHERE email = $1 AND revoked_at IS NULL LIMIT 1`,
          [email],
        );
        // The same answer whether the address is known or not (no account discovery).
        if (known.rows.length) {
          if ((await recentLinks(db, email)) >= perHour)
            req.log.warn({ email }, 'holder login: too many links for this address');
          else {
            await db.tx(async (tx) => {
              const token = await createLink(tx, linkKey, { kind: 'login', email, ttlMs: LOGIN_TTL_MS });
              const url = `${base(req)}/me/auth/${token}?lang=${l}`;
              await outbox(
                tx,
                email,
                HT[l].loginSubject,
                HT[l].loginBody.replace('{url}', url),
                'holder-login',
              );
            });
            req.log.info({ email }, 'holder login link queued');
          }
        } else req.log.info({ email }, 'holder login asked for an unknown address');
        return send(reply, 200, loginPage(l, { ok: true, text: HT[l].linkSent }));
      },
    );

    const linkError = (l: Lang, reason: 'bad-link' | 'expired' | 'used') =>
      reason === 'expired' ? HT[l].expiredLink : reason === 'used' ? HT[l].usedLink : HT[l].badLink;

    scope.get(
      '/me/auth/:token',
      { schema: { hide: true, params: TOKEN, querystring: langQuery } },
      async (req, reply) => {
        const l = lang(req);
        const r = await consumeLink(db, linkKey, 'login', (req.params as { token: string }).token);
        if (!r.ok) {
          req.log.warn({ reason: r.reason }, 'holder login link refused');
          return send(
            reply,
            r.reason === 'bad-link' ? 404 : 410,
            messagePage(l, HT[l].loginTitle, linkError(l, r.reason), false),
          );
        }
        setSession(req, reply, await createSession(db, r.email));
        // Sent to log in from a purchase (buy.ts): back there.
        const next = req.cookies[NEXT_COOKIE];
        if (next) {
          reply.clearCookie(NEXT_COOKIE, { path: '/me' });
          if (NEXT_PATH.test(next)) return reply.redirect(next);
        }
        return reply.redirect(`/me?lang=${l}`);
      },
    );

    scope.get(
      '/me/invite/:token',
      { schema: { hide: true, params: TOKEN, querystring: langQuery } },
      async (req, reply) => {
        const l = lang(req);
        const r = await consumeLink(db, linkKey, 'invite', (req.params as { token: string }).token);
        if (!r.ok || r.walletId === null) {
          req.log.warn({ reason: r.ok ? 'no-wallet' : r.reason }, 'guardian invitation refused');
          return send(
            reply,
            410,
            messagePage(l, HT[l].guardians, linkError(l, r.ok ? 'bad-link' : r.reason), false),
          );
        }
        await db.query(
          'INSERT INTO guardian_grants (wallet_id, email, granted_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [r.walletId, r.email, r.invitedBy ?? 'owner'],
        );
        req.log.info({ walletId: r.walletId, email: r.email }, 'guardian access granted');
        // The link went to that address: following it proves the guardian reads it.
        setSession(req, reply, await createSession(db, r.email));
        return reply.redirect(`/me/wallets/${r.walletId}?lang=${l}&welcome=1`);
      },
    );

    scope.get('/me', { schema: { hide: true, querystring: langQuery } }, async (req, reply) => {
      const l = lang(req);
      const s = await session(req);
      if (!s) return reply.redirect(`/me/login?lang=${l}`);
      return send(reply, 200, homePage(l, s.email, await walletsOf(db, s.email), csrfToken(csrfKey, s)));
    });

    scope.post('/me/logout', { schema: { hide: true } }, async (req, reply) => {
      const s = await session(req);
      if (s && checkCsrf(csrfKey, s, (req.body as { csrf?: string } | null)?.csrf))
        await endSession(db, req.cookies[SESSION_COOKIE]);
      reply.clearCookie(SESSION_COOKIE, { path: '/me' });
      return reply.redirect('/me/login');
    });

    const newKey = () => randomBytes(12).toString('base64url');
    const renderWallet = async (l: Lang, s: HolderSession, w: WalletRef, msg?: Msg) =>
      walletPage(
        l,
        w,
        await walletData(db, w.walletId, w.federationId),
        csrfToken(csrfKey, s),
        newKey(),
        msg,
      );

    scope.get(
      '/me/wallets/:walletId',
      {
        schema: {
          hide: true,
          params: walletParams,
          querystring: {
            type: 'object',
            properties: { lang: langQuery.properties.lang, welcome: { type: 'string' } },
          },
        },
      },
      async (req, reply) => {
        const g = await guard(req, reply);
        if (!g) return reply;
        const welcome = (req.query as { welcome?: string }).welcome === '1';
        return send(
          reply,
          200,
          await renderWallet(g.l, g.s, g.w, welcome ? { ok: true, text: HT[g.l].inviteAccepted } : undefined),
        );
      },
    );

    scope.post(
      '/me/wallets/:walletId/refund',
      {
        schema: {
          hide: true,
          params: walletParams,
          querystring: langQuery,
          body: {
            type: 'object',
            required: ['csrf', 'key', 'cardUid', 'venueId'],
            properties: {
              csrf: CSRF,
              key: KEY,
              cardUid: { type: 'string', pattern: '^[0-9A-F]{8,20}$' },
              venueId: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,39}$' },
            },
          },
        },
      },
      async (req, reply) => {
        const g = await guard(req, reply, { post: true });
        if (!g) return reply;
        const body = req.body as { key: string; cardUid: string; venueId: string };
        try {
          const venue = await requireVenue(db, body.venueId);
          if (venue.federationId !== g.w.federationId)
            throw new LedgerError('wrong-venue', 'this venue is not in the wallet’s network', 403);
          const card = await db.query('SELECT 1 FROM cards WHERE uid = $1 AND wallet_id = $2', [
            body.cardUid,
            g.w.walletId,
          ]);
          if (!card.rows.length)
            throw new LedgerError('unknown-card', 'this card is not on this wallet', 403);
          await onceForWallet(g.w.walletId, body.key, body, (tx, engine) =>
            requestRefund(tx, engine, venue, body.cardUid, `holder:${g.s.email}`),
          );
          req.log.info(
            { walletId: g.w.walletId, cardUid: body.cardUid, venueId: venue.id },
            'holder asked for a refund',
          );
          return send(reply, 201, await renderWallet(g.l, g.s, g.w, { ok: true, text: HT[g.l].refundDone }));
        } catch (e) {
          return refused(req, reply, g, renderWallet, e, 'holder refund request refused');
        }
      },
    );

    scope.get(
      '/me/wallets/:walletId/tickets',
      { schema: { hide: true, params: walletParams, querystring: langQuery } },
      async (req, reply) => {
        const g = await guard(req, reply);
        if (!g) return reply;
        return send(reply, 200, ticketsPage(g.l, g.w, await walletTickets(db, g.w.walletId)));
      },
    );

    const renderMemberships = async (l: Lang, s: HolderSession, w: WalletRef, msg?: Msg) =>
      membershipsPage(
        l,
        w,
        await walletMemberships(db, w.walletId, w.federationId),
        csrfToken(csrfKey, s),
        newKey(),
        msg,
      );

    scope.get(
      '/me/wallets/:walletId/memberships',
      { schema: { hide: true, params: walletParams, querystring: langQuery } },
      async (req, reply) => {
        const g = await guard(req, reply);
        if (!g) return reply;
        if (o.payments)
          await settleMembershipCheckouts(db, o.payments.name, { walletId: g.w.walletId, log: req.log });
        return send(reply, 200, await renderMemberships(g.l, g.s, g.w));
      },
    );

    scope.post(
      '/me/wallets/:walletId/memberships',
      {
        schema: {
          hide: true,
          params: walletParams,
          querystring: langQuery,
          body: {
            type: 'object',
            required: ['csrf', 'key', 'productId'],
            properties: {
              csrf: CSRF,
              key: KEY,
              productId: PRODUCT,
              amount: { type: 'string', maxLength: 12 },
              bracket: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,39}$' },
            },
          },
        },
      },
      async (req, reply) => {
        const g = await guard(req, reply, { post: true });
        if (!g) return reply;
        const body = req.body as { key: string; productId: string; amount?: string; bracket?: string };
        try {
          const product = await requireProduct(db, body.productId);
          if (product.federationId !== g.w.federationId)
            throw new LedgerError('unknown-product', 'not a membership of this network', 404);
          const amount = body.amount === undefined ? undefined : parseEuros(body.amount);
          if (body.amount !== undefined && amount === undefined)
            throw new LedgerError('below-minimum', 'not an amount', 400);
          const p = await onceForWallet(g.w.walletId, body.key, body, (tx, engine) =>
            buyMembership(tx, engine, product, {
              productId: product.id,
              walletId: g.w.walletId,
              amount: product.pricing === 'free' ? amount : undefined,
              bracket: body.bracket,
              paidBy: 'wallet',
              createdBy: `holder:${g.s.email}`,
            }),
          );
          req.log.info({ walletId: g.w.walletId, periodId: p.periodId }, 'holder bought a membership');
          const text = `${HT[g.l].renewed} ${longDate(g.l, p.expiresAt)}`;
          return send(reply, 201, await renderMemberships(g.l, g.s, g.w, { ok: true, text }));
        } catch (e) {
          return refused(req, reply, g, renderMemberships, e, 'holder membership purchase refused');
        }
      },
    );

    scope.post(
      '/me/wallets/:walletId/memberships/:productId/reminders',
      {
        schema: {
          hide: true,
          params: walletParamsWith('productId', PRODUCT),
          querystring: langQuery,
          body: {
            type: 'object',
            required: ['csrf', 'enabled'],
            properties: { csrf: CSRF, enabled: { type: 'string', enum: ['on', 'off'] } },
          },
        },
      },
      async (req, reply) => {
        const g = await guard(req, reply, { post: true });
        if (!g) return reply;
        const { productId } = req.params as { productId: string };
        const enabled = (req.body as { enabled: 'on' | 'off' }).enabled === 'on';
        try {
          // Only this wallet's own periods are touched (the query is by wallet and product).
          const r = await setRenewalReminders(db, productId, g.w.walletId, enabled);
          req.log.info(
            { walletId: g.w.walletId, productId, reminders: enabled },
            'holder set renewal reminders',
          );
          const text = `${enabled ? HT[g.l].remindersResumed : HT[g.l].remindersStopped} ${longDate(g.l, r.expiresAt)}`;
          return send(reply, 200, await renderMemberships(g.l, g.s, g.w, { ok: true, text }));
        } catch (e) {
          return refused(req, reply, g, renderMemberships, e);
        }
      },
    );

    const renderGuardians = async (g: Guarded, msg?: Msg) =>
      guardiansPage(g.l, g.w, await guardiansOf(db, g.w.walletId), csrfToken(csrfKey, g.s), msg);

    scope.get(
      '/me/wallets/:walletId/guardians',
      { schema: { hide: true, params: walletParams, querystring: langQuery } },
      async (req, reply) => {
        const g = await guard(req, reply, { owner: true });
        if (!g) return reply;
        return send(reply, 200, await renderGuardians(g));
      },
    );

    scope.post(
      '/me/wallets/:walletId/guardians',
      {
        schema: {
          hide: true,
          params: walletParams,
          querystring: langQuery,
          body: { type: 'object', required: ['csrf', 'email'], properties: { csrf: CSRF, email: EMAIL } },
        },
        attachValidation: true,
      },
      async (req, reply) => {
        if (req.validationError) {
          const l = lang(req);
          return send(reply, 400, messagePage(l, HT[l].guardians, HT[l].email, false));
        }
        const g = await guard(req, reply, { post: true, owner: true });
        if (!g) return reply;
        const email = (req.body as { email: string }).email.trim().toLowerCase();
        const render = async (status: number, msg: Msg) => send(reply, status, await renderGuardians(g, msg));
        if (email === (await ownerEmail(db, g.w.walletId)))
          return render(400, { ok: false, text: HT[g.l].email });
        if ((await recentLinks(db, email)) >= perHour)
          return render(429, { ok: false, text: HT[g.l].tooMany });
        await db.tx(async (tx) => {
          const token = await createLink(tx, linkKey, {
            kind: 'invite',
            email,
            walletId: g.w.walletId,
            invitedBy: g.s.email,
            ttlMs: INVITE_TTL_MS,
          });
          const url = `${base(req)}/me/invite/${token}?lang=${g.l}`;
          await outbox(
            tx,
            email,
            HT[g.l].inviteSubject,
            HT[g.l].inviteBody.replace('{who}', g.w.holderName ?? g.s.email).replace('{url}', url),
            'guardian-invite',
            g.w.walletId,
          );
        });
        req.log.info({ walletId: g.w.walletId, guardian: email }, 'guardian invitation queued');
        return render(201, { ok: true, text: HT[g.l].invited });
      },
    );

    scope.post(
      '/me/wallets/:walletId/guardians/:grantId/revoke',
      {
        schema: {
          hide: true,
          params: walletParamsWith('grantId', SERIAL),
          querystring: langQuery,
          body: { type: 'object', required: ['csrf'], properties: { csrf: CSRF } },
        },
      },
      async (req, reply) => {
        const g = await guard(req, reply, { post: true, owner: true });
        if (!g) return reply;
        const grantId = Number((req.params as { grantId: string }).grantId);
        const r = await db.query(
          'UPDATE guardian_grants SET revoked_at = now() WHERE id = $1 AND wallet_id = $2 AND revoked_at IS NULL RETURNING email',
          [grantId, g.w.walletId],
        );
        req.log.info({ walletId: g.w.walletId, grantId, revoked: r.rows.length }, 'guardian access revoked');
        return send(
          reply,
          r.rows.length ? 200 : 404,
          await renderGuardians(g, {
            ok: r.rows.length > 0,
            text: r.rows.length ? HT[g.l].revoked : HT[g.l].error,
          }),
        );
      },
    );
  });
}
