// Artists' spaces: accounts, profiles, line-ups, proposals to venues (JSON API), and their pages.
//   POST /v1/artists                                   sign up (email, password, name)
//   POST /v1/artists/login   POST /v1/artists/logout   artist sessions (tba_… bearer tokens)
//   GET|PATCH /v1/artists/me                           own profile (bio, links, rider, tags, region, availability)
//   PUT  /v1/artists/me/image                          profile picture (PNG/JPEG/WebP, ≤ 1 MB)
//   GET  /v1/artists?tag=&region=&availableOn=         organizers' search (public)
//   GET  /v1/artists/:artistId                         public profile + upcoming events
//   PUT  /v1/venues/:venueId/events/:eventId/artists   an event's line-up (venue admins)
//   POST|GET /v1/artists/me/proposals[/:id][/messages] an artist's proposals and threads
//   GET  /v1/venues/:venueId/proposals[/:id]           the venue's inbox (its admins only; opening marks seen)
//   POST /v1/venues/:venueId/proposals/:id/messages|decision
//   GET  /artists  /artists/:id  /artists/:id/image  /artists/login  /artists/me/proposals[/new]   pages
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pickLang, type Lang } from '../agenda/i18n.js';
import { assertVenueAccess, requireAuth } from '../api/auth.js';
import { VENUE } from '../api/schemas.js';
import type { Db } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';
import { withRetry } from '../sync/batches.js';
import {
  artistToken,
  authenticateArtist,
  clearCookie,
  createArtist,
  loginArtist,
  logoutArtist,
  requireArtist,
  sessionCookie,
} from './accounts.js';
import { ADICT } from './i18n.js';
import { setLineup, upcomingEvents } from './lineup.js';
import {
  loginPage,
  messagePage,
  myProposalsPage,
  parseFee,
  profilePage,
  proposalFormPage,
  searchPage,
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
}

export async function registerArtistRoutes(
  app: FastifyInstance,
  db: Db,
  opts: ArtistRoutesOptions = {},
): Promise<void> {
  const ttl = opts.sessionTtlMs ?? 12 * 3600_000;
  const tags = ['artists'];
  const artist = requireArtist(db);
  const admins = requireAuth(db, { roles: ['federation_admin', 'venue_admin'] });
  const loginLimit = { rateLimit: { max: 20, timeWindow: 60_000 } };

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
        config: loginLimit,
        schema: {
          tags,
          security: [],
          summary: 'Create an artist account',
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['email', 'password', 'name'],
            properties: {
              email: { type: 'string', maxLength: 200, pattern: '^[^@\\s]+@[^@\\s]+$' },
              password: { type: 'string', minLength: 10, maxLength: 200 },
              name: { type: 'string', minLength: 1, maxLength: LIMITS.name },
            },
          },
        },
      },
      async (req, reply) => {
        const b = req.body as { email: string; password: string; name: string };
        const a = await createArtist(db, b);
        req.log.info({ artistId: a.id }, 'artist account created');
        return reply.code(201).send({ artistId: a.id });
      },
    );

    r.post(
      '/v1/artists/login',
      {
        config: loginLimit,
        schema: {
          tags,
          security: [],
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['email', 'password'],
            properties: {
              email: { type: 'string', maxLength: 200 },
              password: { type: 'string', maxLength: 200 },
            },
          },
        },
      },
      async (req, reply) => {
        const { email, password } = req.body as { email: string; password: string };
        const s = await loginArtist(db, email, password, ttl);
        if (!s) {
          req.log.warn({ email }, 'artist login failed');
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
      { config: loginLimit, schema: formSchema({ email: str, password: str, lang: str, next: str }) },
      async (req, reply) => {
        const b = req.body as { email?: string; password?: string };
        const lang = langOf(req);
        const s =
          sameOrigin(req) && b.email && b.password ? await loginArtist(db, b.email, b.password, ttl) : null;
        if (!s) {
          req.log.warn({ email: b.email }, 'artist login failed');
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
