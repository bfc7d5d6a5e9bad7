// Artists' spaces: accounts, profiles, line-ups, proposals to venues (JSON API), and their pages.
//   POST /v1/artists                                   sign up (email, password, name): unverified, link emailed
//   POST /v1/artists/verify  POST /v1/artists/verify/resend   use the emailed link (opens a session); resend it
//   POST /v1/artists/login   POST /v1/artists/logout   artist sessions (tba_… bearer tokens; verified accounts only)
//   GET|PATCH /v1/artists/me                           own profile (bio, links, rider, tags, region, availability)
//   PUT  /v1/artists/me/image                          profile picture (PNG/JPEG/WebP, ≤ 1 MB)
//   GET  /v1/artists?tag=&region=&availableOn=         organizers' search (public)
//   GET  /v1/artists/:artistId                         public profile + upcoming events
//   PUT  /v1/venues/:venueId/events/:eventId/artists   an event's line-up (venue admins)
//   POST|GET /v1/artists/me/proposals[/:id][/messages] an artist's proposals and threads
//   GET  /v1/venues/:venueId/proposals[/:id]           the venue's inbox (its admins only; opening marks seen)
//   POST /v1/venues/:venueId/proposals/:id/messages|decision
//   GET  /artists  /artists/:id  /artists/:id/image  /artists/login  /artists/me/proposals[/new]   pages
//   GET|POST /artists/signup   GET /artists/verify/:token   POST /artists/verify[/resend]           pages
// Sign-up, login, verification and resend are rate-limited per IP (api/rate-limits.ts, `login`);
// verification emails are also capped per address and hour (accounts.ts). Mail goes through the
// email outbox (dormancy/outbox.ts drains it over SMTP).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Lang, pickLang } from '../agenda/i18n.js';
import { assertVenueAccess, requireAuth } from '../api/auth.js';
import { credentialsBody, VENUE } from '../api/schemas.js';
import type { Db, Queryable } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';
import { withRetry } from '../sync/batches.js';
import {
  artistToken,
  authenticateArtist,
  clearCookie,
  loginArtist,
  logoutArtist,
  peekVerification,
  requireArtist,
  resendVerification,
  sessionCookie,
  signUpArtist,
  type VerificationMail,
  type VerifyOptions,
  verifyArtistEmail,
} from './accounts.js';
import { ADICT } from './i18n.js';
import { setLineup, upcomingEvents } from './lineup.js';
import {
  loginPage,
  messagePage,
  myProposalsPage,
  noticePage,
  parseFee,
  profilePage,
  proposalFormPage,
  searchPage,
  signUpPage,
  verifyPage,
} from './pages.js';
import {
  getProfile,
  LIMITS,
  loadImage,
  type ProfileInput,
  saveImage,
  searchArtists,
  searchFacets,
  updateProfile,
} from './profile.js';
import {
  addMessage,
  decide,
  listForArtist,
  openProposal,
  type ProposalInput,
  sendProposal,
  venueInbox,
} from './proposals.js';
import { PROPOSAL_STATUSES } from './schema.js';

const UUID = {
  type: 'string',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
} as const;
const DAY = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' } as const;
const RANGE = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: { from: DAY, to: DAY },
} as const;
// Generous structural caps (bounding the payload); the exact limits are checked by
// validateProfile, whose errors name the field and the limit.
const profileBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 1000 },
    bio: { type: 'string', maxLength: 100_000 },
    techRider: { type: 'string', maxLength: 100_000 },
    imageUrl: { type: ['string', 'null'], maxLength: 20_000 },
    region: { type: 'string', maxLength: 1000 },
    tags: { type: 'array', maxItems: 200, items: { type: 'string', maxLength: 1000 } },
    mediaLinks: {
      type: 'array',
      maxItems: 200,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: {
          label: { type: 'string', maxLength: 1000 },
          url: { type: 'string', maxLength: 20_000 },
        },
      },
    },
    availability: { type: 'array', maxItems: 1000, items: RANGE },
  },
} as const;
const proposalBody = {
  type: 'object',
  additionalProperties: false,
  required: ['venueId', 'message', 'dates'],
  properties: {
    venueId: VENUE,
    message: { type: 'string', maxLength: 50_000 },
    dates: { type: 'array', minItems: 1, maxItems: 100, items: RANGE },
    feeAmount: { type: ['integer', 'null'], minimum: 0, maximum: 100_000_000 },
    feeCurrency: { type: 'string', pattern: '^[A-Z]{3}$' },
  },
} as const;
const messageBody = {
  type: 'object',
  additionalProperties: false,
  required: ['body'],
  properties: { body: { type: 'string', maxLength: 50_000 } },
} as const;
const langQuery = { type: 'object', properties: { lang: { type: 'string', maxLength: 8 } } } as const;
const searchQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tag: { type: 'string', maxLength: 40 },
    region: { type: 'string', maxLength: 120 },
    availableOn: { type: 'string', maxLength: 10 },
    lang: { type: 'string', maxLength: 8 },
  },
} as const;
const KEY_HEADER = {
  type: 'object',
  properties: { 'idempotency-key': { type: 'string', pattern: '^[A-Za-z0-9_.:-]{8,128}$' } },
} as const;

const langOf = (req: FastifyRequest): Lang =>
  pickLang(
    (req.query as { lang?: string } | undefined)?.lang ?? (req.body as { lang?: string } | undefined)?.lang,
    req.headers['accept-language'],
  );

function sendHtml(reply: FastifyReply, status: number, body: string, lang: Lang) {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-language', lang)
    .header('vary', 'Accept-Language, Cookie')
    .header(
      'content-security-policy',
      "default-src 'none'; img-src 'self' https: http:; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    )
    .header('x-content-type-options', 'nosniff')
    .send(body);
}

export interface ArtistRoutesOptions {
  sessionTtlMs?: number;
  /** Base URL put in emailed verification links (never taken from the Host header when set). */
  publicUrl?: string;
  /** Verification link validity (default 48 h) and emails per address and hour (default 5). */
  verifyTtlMs?: number;
  verifyPerHour?: number;
}

const EMAIL = { type: 'string', maxLength: 200, pattern: '^[^@\\s]+@[^@\\s]+$' } as const;
const EMAIL_RE = new RegExp(EMAIL.pattern);
const LANG = { type: 'string', enum: ['fr', 'en'] } as const;

export async function registerArtistRoutes(
  app: FastifyInstance,
  db: Db,
  opts: ArtistRoutesOptions = {},
): Promise<void> {
  const ttl = opts.sessionTtlMs ?? 12 * 3600_000;
  const tags = ['artists'];
  const artist = requireArtist(db);
  const admins = requireAuth(db, { roles: ['federation_admin', 'venue_admin'] });
  // Per-IP limits of sign-up, login, verification and resend: api/rate-limits.ts (`login`).
  const base = (req: FastifyRequest): string => {
    if (opts.publicUrl) return opts.publicUrl.replace(/\/$/, '');
    req.log.warn('artist verification links built from the Host header: set publicUrl');
    return `${req.protocol}://${req.host}`;
  };
  /** How a request's verification emails are written (its language, the public base URL). */
  const mailer = (req: FastifyRequest, lang: Lang): VerifyOptions => ({
    ttlMs: opts.verifyTtlMs,
    perHour: opts.verifyPerHour,
    queueMail: (tx: Queryable, m: VerificationMail) =>
      tx.query('INSERT INTO email_outbox (to_address, subject, body, kind) VALUES ($1, $2, $3, $4)', [
        m.to,
        ADICT[lang].verifySubject,
        ADICT[lang].verifyBody.replace('{url}', `${base(req)}/artists/verify/${m.token}?lang=${lang}`),
        'artist-verify',
      ]),
  });

  await app.register(async (scope) => {
    // HTML form posts (this scope only) and picture uploads.
    // (Guarded: a parser registered higher up, app-wide, is inherited and would clash.)
    if (!scope.hasContentTypeParser('application/x-www-form-urlencoded'))
      scope.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string', bodyLimit: 64 * 1024 },
        (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
      );
    for (const type of ['image/png', 'image/jpeg', 'image/webp'])
      if (!scope.hasContentTypeParser(type))
        scope.addContentTypeParser(
          type,
          { parseAs: 'buffer', bodyLimit: 16 * 1024 * 1024 },
          (_req, body, done) => done(null, body),
        );
    registerApi(scope);
    registerPages(scope);
  });

  function registerApi(r: FastifyInstance) {
    r.post(
      '/v1/artists',
      {
        schema: {
          tags,
          security: [],
          summary:
            'Create an artist account (unverified: a link is emailed; signing up again before it is used sends another)',
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['email', 'password', 'name'],
            properties: {
              email: EMAIL,
              password: { type: 'string', minLength: 10, maxLength: 200 },
              name: { type: 'string', minLength: 1, maxLength: LIMITS.name },
              /** Language of the email. */
              lang: LANG,
            },
          },
        },
      },
      async (req, reply) => {
        const b = req.body as { email: string; password: string; name: string };
        const a = await signUpArtist(db, b, mailer(req, langOf(req)));
        req.log.info(
          { artistId: a.artistId, created: a.created },
          'artist sign-up: verification link queued',
        );
        return reply.code(201).send({ artistId: a.artistId, emailVerified: false, verificationSent: true });
      },
    );

    r.post(
      '/v1/artists/verify',
      {
        schema: {
          tags,
          security: [],
          summary: "Use the emailed verification link's token: verifies the account and opens a session",
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['token'],
            properties: { token: { type: 'string', maxLength: 100 } },
          },
        },
      },
      async (req, reply) => {
        const r = await verifyArtistEmail(db, (req.body as { token: string }).token, ttl);
        if (!r.ok) {
          req.log.warn({ reason: r.reason }, 'artist verification link refused');
          return reply.code(r.reason === 'bad-link' ? 404 : 410).send({
            error: r.reason === 'bad-link' ? 'bad-link' : `link-${r.reason}`,
            message:
              r.reason === 'bad-link'
                ? 'unknown verification link'
                : r.reason === 'expired'
                  ? 'this verification link has expired: ask for a new one (POST /v1/artists/verify/resend)'
                  : 'this verification link was already used',
          });
        }
        req.log.info({ artistId: r.artistId }, 'artist email verified');
        return { token: r.token, artistId: r.artistId, expiresAt: r.expiresAt.toISOString() };
      },
    );

    r.post(
      '/v1/artists/verify/resend',
      {
        schema: {
          tags,
          security: [],
          summary: 'Send a new verification link (the password of the sign-up proves who asks)',
          body: credentialsBody({ lang: LANG }),
        },
      },
      async (req, reply) => {
        const { email, password } = req.body as { email: string; password: string };
        const sent = await resendVerification(db, email, password, mailer(req, langOf(req)));
        req.log.info({ email, sent }, 'artist verification resend');
        // The same answer whether a link went out or not.
        return reply.code(202).send({
          ok: true,
          message: 'if an unverified account uses this address with this password, a new link was sent to it',
        });
      },
    );

    r.post(
      '/v1/artists/login',
      {
        schema: {
          tags,
          security: [],
          body: credentialsBody(),
        },
      },
      async (req, reply) => {
        const { email, password } = req.body as { email: string; password: string };
        const s = await loginArtist(db, email, password, ttl);
        if (!s.ok) {
          req.log.warn({ email, reason: s.reason }, 'artist login failed');
          if (s.reason === 'unverified')
            return reply.code(403).send({
              error: 'email-unverified',
              message:
                'confirm your email address first: open the link we emailed you, or ask for a new one (POST /v1/artists/verify/resend)',
            });
          return reply.code(401).send({ error: 'bad-credentials', message: 'wrong email or password' });
        }
        return { token: s.token, artistId: s.artistId, expiresAt: s.expiresAt.toISOString() };
      },
    );

    r.post('/v1/artists/logout', { schema: { tags } }, async (req) => {
      const token = artistToken(req);
      if (token) await logoutArtist(db, token);
      return { ok: true };
    });

    r.get('/v1/artists/me', { preHandler: artist, schema: { tags } }, async (req) =>
      getProfile(db, req.artist!.artistId),
    );

    r.patch(
      '/v1/artists/me',
      { preHandler: artist, schema: { tags, summary: 'Update the own profile', body: profileBody } },
      async (req) => {
        await withRetry(() =>
          db.tx((tx) => updateProfile(tx, req.artist!.artistId, req.body as ProfileInput)),
        );
        return getProfile(db, req.artist!.artistId);
      },
    );

    r.put(
      '/v1/artists/me/image',
      {
        preHandler: artist,
        // Above the picture limit so that an oversized picture gets its own clear error.
        bodyLimit: 16 * 1024 * 1024,
        schema: {
          tags,
          summary: `Profile picture: PNG, JPEG or WebP, at most ${LIMITS.imageBytes / 1024 / 1024} MB`,
        },
      },
      async (req, reply) => {
        const bytes = req.body;
        if (!Buffer.isBuffer(bytes))
          throw new LedgerError('bad-image', 'send the picture as image/png, image/jpeg or image/webp', 415);
        await saveImage(db, req.artist!.artistId, bytes, req.headers['content-type'] ?? '');
        return reply.code(204).send();
      },
    );

    r.get('/v1/artists', { schema: { tags, security: [], querystring: searchQuery } }, async (req) => ({
      artists: await searchArtists(db, req.query as { tag?: string; region?: string; availableOn?: string }),
    }));

    r.get(
      '/v1/artists/:artistId',
      { schema: { tags, security: [], params: { type: 'object', properties: { artistId: UUID } } } },
      async (req) => {
        const { artistId } = req.params as { artistId: string };
        const p = await getProfile(db, artistId);
        if (!p) throw new LedgerError('unknown-artist', `unknown artist ${artistId}`, 404);
        return { ...p, events: await upcomingEvents(db, artistId) };
      },
    );

    r.put(
      '/v1/venues/:venueId/events/:eventId/artists',
      {
        preHandler: admins,
        schema: {
          tags,
          summary: "Set an event's line-up (billing order)",
          params: { type: 'object', properties: { venueId: VENUE, eventId: UUID } },
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['artistIds'],
            properties: { artistIds: { type: 'array', maxItems: 50, items: UUID } },
          },
        },
      },
      async (req) => {
        const { venueId, eventId } = req.params as { venueId: string; eventId: string };
        await assertVenueAccess(db, req.principal!, venueId, true);
        const { artistIds } = req.body as { artistIds: string[] };
        return { artists: await withRetry(() => db.tx((tx) => setLineup(tx, venueId, eventId, artistIds))) };
      },
    );

    r.post(
      '/v1/artists/me/proposals',
      {
        preHandler: artist,
        schema: {
          tags,
          summary: 'Send a proposal to a venue (Idempotency-Key optional)',
          headers: KEY_HEADER,
          body: proposalBody,
        },
      },
      async (req, reply) => {
        const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
        const { proposal, replayed } = await withRetry(() =>
          db.tx((tx) => sendProposal(tx, req.artist!.artistId, req.body as ProposalInput, key)),
        );
        if (!replayed)
          req.log.info({ proposal: proposal.id, venue: proposal.venueId }, 'artist proposal sent');
        return reply.code(replayed ? 200 : 201).send(proposal);
      },
    );

    r.get('/v1/artists/me/proposals', { preHandler: artist, schema: { tags } }, async (req) => ({
      proposals: await listForArtist(db, req.artist!.artistId),
    }));

    const mine = { type: 'object', properties: { id: UUID } } as const;
    r.get(
      '/v1/artists/me/proposals/:id',
      { preHandler: artist, schema: { tags, params: mine } },
      async (req) =>
        db.tx((tx) =>
          openProposal(tx, (req.params as { id: string }).id, { artistId: req.artist!.artistId }),
        ),
    );
    r.post(
      '/v1/artists/me/proposals/:id/messages',
      { preHandler: artist, schema: { tags, params: mine, body: messageBody } },
      async (req) =>
        withRetry(() =>
          db.tx((tx) =>
            addMessage(
              tx,
              (req.params as { id: string }).id,
              { artistId: req.artist!.artistId },
              req.artist!.artistId,
              (req.body as { body: string }).body,
            ),
          ),
        ),
    );

    const inboxParams = { type: 'object', properties: { venueId: VENUE, id: UUID } } as const;
    const venueOf = async (req: FastifyRequest, write: boolean) => {
      const { venueId } = req.params as { venueId: string };
      await assertVenueAccess(db, req.principal!, venueId, write);
      return venueId;
    };
    r.get(
      '/v1/venues/:venueId/proposals',
      {
        preHandler: admins,
        schema: {
          tags,
          summary: "The venue's inbox of artist proposals",
          params: { type: 'object', properties: { venueId: VENUE } },
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { status: { type: 'string', enum: PROPOSAL_STATUSES } },
          },
        },
      },
      async (req) => ({
        proposals: await venueInbox(
          db,
          await venueOf(req, false),
          (req.query as { status?: (typeof PROPOSAL_STATUSES)[number] }).status,
        ),
      }),
    );
    r.get(
      '/v1/venues/:venueId/proposals/:id',
      {
        preHandler: admins,
        schema: { tags, summary: 'Open a proposal (marks it seen)', params: inboxParams },
      },
      async (req) => {
        const venueId = await venueOf(req, true);
        return withRetry(() =>
          db.tx((tx) => openProposal(tx, (req.params as { id: string }).id, { venueId })),
        );
      },
    );
    r.post(
      '/v1/venues/:venueId/proposals/:id/messages',
      { preHandler: admins, schema: { tags, params: inboxParams, body: messageBody } },
      async (req) => {
        const venueId = await venueOf(req, true);
        const p = req.principal!;
        return withRetry(() =>
          db.tx((tx) =>
            addMessage(
              tx,
              (req.params as { id: string }).id,
              { venueId },
              p.type === 'user' ? p.userId : p.gatewayId,
              (req.body as { body: string }).body,
            ),
          ),
        );
      },
    );
    r.post(
      '/v1/venues/:venueId/proposals/:id/decision',
      {
        preHandler: admins,
        schema: {
          tags,
          summary: 'Accept or decline a proposal (final)',
          params: inboxParams,
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['decision'],
            properties: {
              decision: { type: 'string', enum: ['accepted', 'declined'] },
              message: { type: 'string', maxLength: 50_000 },
            },
          },
        },
      },
      async (req) => {
        const venueId = await venueOf(req, true);
        const p = req.principal!;
        const b = req.body as { decision: 'accepted' | 'declined'; message?: string };
        const out = await withRetry(() =>
          db.tx((tx) =>
            decide(
              tx,
              (req.params as { id: string }).id,
              venueId,
              p.type === 'user' ? p.userId : p.gatewayId,
              b.decision,
              b.message,
            ),
          ),
        );
        req.log.info({ proposal: out.id, decision: b.decision }, 'artist proposal decided');
        return out;
      },
    );
  }

  function registerPages(r: FastifyInstance) {
    const pageSchema = { tags, security: [], hide: true, querystring: langQuery };

    r.get('/artists', { schema: { ...pageSchema, querystring: searchQuery } }, async (req, reply) => {
      const lang = langOf(req);
      const q = req.query as { tag?: string; region?: string; availableOn?: string };
      const s = {
        tag: q.tag || undefined,
        region: q.region || undefined,
        availableOn: q.availableOn || undefined,
      };
      const [found, facets] = await Promise.all([searchArtists(db, s), searchFacets(db)]);
      return sendHtml(reply, 200, searchPage(lang, found, s, facets), lang);
    });

    const idParams = { type: 'object', properties: { artistId: { type: 'string', maxLength: 64 } } } as const;
    r.get('/artists/:artistId', { schema: { ...pageSchema, params: idParams } }, async (req, reply) => {
      const lang = langOf(req);
      const { artistId } = req.params as { artistId: string };
      const p = /^[0-9a-f-]{36}$/.test(artistId) ? await getProfile(db, artistId) : null;
      if (!p) return sendHtml(reply, 404, messagePage(lang, ADICT[lang].notFound), lang);
      return sendHtml(reply, 200, profilePage(lang, p, await upcomingEvents(db, artistId)), lang);
    });

    r.get('/artists/:artistId/image', { schema: { ...pageSchema, params: idParams } }, async (req, reply) => {
      const { artistId } = req.params as { artistId: string };
      const img = /^[0-9a-f-]{36}$/.test(artistId) ? await loadImage(db, artistId) : null;
      if (!img) return reply.code(404).send({ error: 'not-found', message: 'no picture' });
      return reply
        .header('content-type', img.contentType)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'public, max-age=300')
        .send(img.bytes);
    });

    r.get('/artists/login', { schema: pageSchema }, async (req, reply) =>
      sendHtml(reply, 200, loginPage(langOf(req)), langOf(req)),
    );

    const formSchema = (props: Record<string, object>) => ({
      tags,
      security: [],
      hide: true,
      body: { type: 'object', properties: props },
    });
    const str = { type: 'string', maxLength: 6000 };
    // Cross-site form posts are refused (the cookie is SameSite=Strict too).
    const sameOrigin = (req: FastifyRequest): boolean => {
      const origin = req.headers.origin;
      if (!origin || origin === 'null') return !origin;
      try {
        return new URL(origin).host === req.host;
      } catch {
        return false;
      }
    };

    r.post(
      '/artists/login',
      { schema: formSchema({ email: str, password: str, lang: str, next: str }) },
      async (req, reply) => {
        const b = req.body as { email?: string; password?: string };
        const lang = langOf(req);
        const s =
          sameOrigin(req) && b.email && b.password ? await loginArtist(db, b.email, b.password, ttl) : null;
        if (!s?.ok) {
          req.log.warn({ email: b.email, reason: s?.reason }, 'artist login failed');
          if (s?.reason === 'unverified')
            return sendHtml(
              reply,
              403,
              loginPage(lang, { error: ADICT[lang].unverified, unverified: true, email: b.email }),
              lang,
            );
          return sendHtml(reply, 401, loginPage(lang, { error: ADICT[lang].badLogin }), lang);
        }
        return reply
          .header('set-cookie', sessionCookie(s.token, s.expiresAt, req.protocol === 'https'))
          .redirect(`/artists/me/proposals/new?lang=${lang}`, 303);
      },
    );

    r.post('/artists/logout', { schema: formSchema({ lang: str }) }, async (req, reply) => {
      const token = artistToken(req);
      if (token && sameOrigin(req)) await logoutArtist(db, token);
      return reply.header('set-cookie', clearCookie).redirect(`/artists?lang=${langOf(req)}`, 303);
    });

    r.get('/artists/signup', { schema: pageSchema }, async (req, reply) =>
      sendHtml(reply, 200, signUpPage(langOf(req)), langOf(req)),
    );

    r.post(
      '/artists/signup',
      { schema: formSchema({ email: str, password: str, name: str, lang: str }) },
      async (req, reply) => {
        const b = req.body as { email?: string; password?: string; name?: string };
        const lang = langOf(req);
        const t = ADICT[lang];
        const values = { email: b.email, name: b.name };
        if (!sameOrigin(req))
          return sendHtml(reply, 403, signUpPage(lang, { error: 'cross-site form refused', values }), lang);
        const email = (b.email ?? '').trim();
        const password = b.password ?? '';
        const name = (b.name ?? '').trim();
        if (
          !EMAIL_RE.test(email) ||
          email.length > 200 ||
          password.length < 10 ||
          password.length > 200 ||
          !name ||
          name.length > LIMITS.name
        )
          return sendHtml(reply, 400, signUpPage(lang, { error: t.badSignUp, values }), lang);
        try {
          const a = await signUpArtist(db, { email, password, name }, mailer(req, lang));
          req.log.info(
            { artistId: a.artistId, created: a.created },
            'artist sign-up: verification link queued',
          );
        } catch (e) {
          if (!(e instanceof LedgerError)) throw e;
          req.log.warn({ code: e.code }, e.message);
          const error =
            e.code === 'email-taken'
              ? t.emailTaken
              : e.code === 'too-many-emails'
                ? t.tooManyEmails
                : e.message;
          return sendHtml(reply, e.status, signUpPage(lang, { error, values }), lang);
        }
        return sendHtml(
          reply,
          201,
          noticePage(lang, t.checkMailTitle, t.checkMail.replace('{email}', email.toLowerCase())),
          lang,
        );
      },
    );

    r.post(
      '/artists/verify/resend',
      { schema: formSchema({ email: str, password: str, lang: str }) },
      async (req, reply) => {
        const b = req.body as { email?: string; password?: string };
        const lang = langOf(req);
        const t = ADICT[lang];
        if (!sameOrigin(req))
          return sendHtml(reply, 403, noticePage(lang, t.resend, 'cross-site form refused', 'alert'), lang);
        try {
          const sent =
            b.email && b.password
              ? await resendVerification(db, b.email, b.password, mailer(req, lang))
              : false;
          req.log.info({ email: b.email, sent }, 'artist verification resend');
        } catch (e) {
          if (!(e instanceof LedgerError) || e.code !== 'too-many-emails') throw e;
          return sendHtml(reply, 429, noticePage(lang, t.checkMailTitle, t.tooManyEmails, 'alert'), lang);
        }
        return sendHtml(reply, 202, noticePage(lang, t.checkMailTitle, t.resent), lang);
      },
    );

    const linkText = (lang: Lang, reason: 'bad-link' | 'expired' | 'used') =>
      reason === 'used'
        ? ADICT[lang].linkUsed
        : reason === 'expired'
          ? ADICT[lang].linkExpired
          : ADICT[lang].linkBad;
    r.get(
      '/artists/verify/:token',
      {
        schema: {
          ...pageSchema,
          params: {
            type: 'object',
            required: ['token'],
            properties: { token: { type: 'string', maxLength: 100 } },
          },
        },
      },
      async (req, reply) => {
        const lang = langOf(req);
        const token = (req.params as { token: string }).token;
        // Opening the link changes nothing (mail scanners open links): the button below does.
        const s = await peekVerification(db, token);
        if (!s.ok)
          return sendHtml(
            reply,
            s.reason === 'bad-link' ? 404 : 410,
            noticePage(lang, ADICT[lang].verifyTitle, linkText(lang, s.reason), 'alert'),
            lang,
          );
        return sendHtml(reply, 200, verifyPage(lang, token, s.name), lang);
      },
    );

    r.post('/artists/verify', { schema: formSchema({ token: str, lang: str }) }, async (req, reply) => {
      const lang = langOf(req);
      const t = ADICT[lang];
      if (!sameOrigin(req))
        return sendHtml(
          reply,
          403,
          noticePage(lang, t.verifyTitle, 'cross-site form refused', 'alert'),
          lang,
        );
      const r = await verifyArtistEmail(db, (req.body as { token?: string }).token ?? '', ttl);
      if (!r.ok) {
        req.log.warn({ reason: r.reason }, 'artist verification link refused');
        return sendHtml(
          reply,
          r.reason === 'bad-link' ? 404 : 410,
          noticePage(lang, t.verifyTitle, linkText(lang, r.reason), 'alert'),
          lang,
        );
      }
      req.log.info({ artistId: r.artistId }, 'artist email verified');
      return reply
        .header('set-cookie', sessionCookie(r.token, r.expiresAt, req.protocol === 'https'))
        .redirect(`/artists/me/proposals/new?lang=${lang}`, 303);
    });

    /** The signed-in artist of a page request, or a redirect to the sign-in page. */
    const pageArtist = async (req: FastifyRequest, reply: FastifyReply) => {
      const a = await authenticateArtist(db, artistToken(req));
      if (!a) reply.redirect(`/artists/login?lang=${langOf(req)}`, 303);
      return a;
    };
    const venues = async () =>
      (
        await db.query<{ id: string; name: string }>(
          'SELECT id, name FROM venues ORDER BY name, id LIMIT 1000',
        )
      ).rows;

    r.get(
      '/artists/me/proposals/new',
      {
        schema: {
          ...pageSchema,
          querystring: { type: 'object', properties: { lang: { type: 'string' }, venue: VENUE } },
        },
      },
      async (req, reply) => {
        const a = await pageArtist(req, reply);
        if (!a) return reply;
        const lang = langOf(req);
        const venue = (req.query as { venue?: string }).venue;
        return sendHtml(
          reply,
          200,
          proposalFormPage(lang, a.name, await venues(), { venue, requestKey: randomUUID() }),
          lang,
        );
      },
    );

    r.post(
      '/artists/me/proposals',
      {
        schema: formSchema({
          lang: str,
          requestKey: str,
          venueId: str,
          message: str,
          from: str,
          to: str,
          fee: str,
        }),
      },
      async (req, reply) => {
        const a = await pageArtist(req, reply);
        if (!a) return reply;
        const lang = langOf(req);
        const b = req.body as Record<string, string>;
        const again = (error: string, status = 400) =>
          venues().then((v) =>
            sendHtml(
              reply,
              status,
              proposalFormPage(lang, a.name, v, {
                error,
                values: b,
                requestKey: b.requestKey || randomUUID(),
              }),
              lang,
            ),
          );
        if (!sameOrigin(req)) return again('cross-site form refused', 403);
        const fee = parseFee(b.fee);
        if (Number.isNaN(fee))
          return again(
            lang === 'fr'
              ? 'Cachet : un montant en euros, ex. 450 ou 450,50'
              : 'Fee: an amount in euros, e.g. 450 or 450.50',
          );
        try {
          await withRetry(() =>
            db.tx((tx) =>
              sendProposal(
                tx,
                a.artistId,
                {
                  venueId: b.venueId ?? '',
                  message: b.message ?? '',
                  dates: [{ from: b.from ?? '', to: b.to ?? '' }],
                  feeAmount: fee,
                },
                /^[A-Za-z0-9_.:-]{8,128}$/.test(b.requestKey ?? '') ? b.requestKey : null,
              ),
            ),
          );
        } catch (e) {
          if (!(e instanceof LedgerError)) throw e;
          req.log.warn({ code: e.code }, e.message);
          return again(e.message, e.status);
        }
        return reply.redirect(`/artists/me/proposals?lang=${lang}`, 303);
      },
    );

    r.get('/artists/me/proposals', { schema: pageSchema }, async (req, reply) => {
      const a = await pageArtist(req, reply);
      if (!a) return reply;
      const lang = langOf(req);
      const list = await listForArtist(db, a.artistId);
      const full = await Promise.all(
        list.map((p) => db.tx((tx) => openProposal(tx, p.id, { artistId: a.artistId }))),
      );
      return sendHtml(reply, 200, myProposalsPage(lang, a.name, full), lang);
    });
  }
}
