// Public federated agenda (no authentication): HTML pages (FR/EN), iCal feed and JSON.
//   GET /agenda?venue=&tag=&fed=&lang=        upcoming public events of every member venue
//   GET /agenda/events/:eventId?lang=         one public event
//   GET /agenda.ics?venue=&tag=&fed=          iCalendar feed
//   GET /v1/agenda?venue=&tag=&fed=&from=&to= JSON
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { lineups } from '../artists/lineup.js';
import type { Db } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';
import { DICT, pickLang } from './i18n.js';
import { agendaCalendar } from './ical.js';
import { agendaPage, eventPage, notFoundPage } from './pages.js';
import { type AgendaFilter, agendaFacets, listAgenda, publicEvent } from './query.js';

const filterQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    venue: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,39}$' },
    tag: { type: 'string', maxLength: 40 },
    fed: { type: 'string', maxLength: 64 },
    lang: { type: 'string', maxLength: 8 },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    /** "lat,lon" and a radius in km (default 25). */
    near: { type: 'string', pattern: '^-?[0-9]{1,2}(\\.[0-9]+)?,-?[0-9]{1,3}(\\.[0-9]+)?$' },
    km: { type: 'string', pattern: '^[0-9]{1,4}(\\.[0-9]+)?$' },
  },
} as const;

type FilterQuery = {
  venue?: string;
  tag?: string;
  fed?: string;
  lang?: string;
  from?: string;
  to?: string;
  near?: string;
  km?: string;
};

function nearOf(q: FilterQuery): AgendaFilter['near'] {
  if (!q.near) return undefined;
  const [lat, lon] = q.near.split(',').map(Number);
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180)
    throw new LedgerError('bad-request', 'near: latitude,longitude out of range');
  return { lat, lon, km: Math.min(q.km ? Number(q.km) : 25, 20_000) };
}

const toFilter = (q: FilterQuery): AgendaFilter => ({
  venue: q.venue || undefined,
  tag: q.tag?.trim().toLowerCase() || undefined,
  federation: q.fed || undefined,
  from: q.from,
  to: q.to,
  near: nearOf(q),
});

const baseUrl = (req: FastifyRequest): string => `${req.protocol}://${req.host}`;

/** The filter form's venues and tags scan every upcoming event: computed at most once a minute
 * per federation (the pages are cacheable for as long anyway). */
const FACETS_TTL_MS = 60_000;

export function registerAgendaRoutes(app: FastifyInstance, db: Db): void {
  const tags = ['agenda'];
  const cacheable = 'public, max-age=60';
  const facetCache = new Map<string, { at: number; value: ReturnType<typeof agendaFacets> }>();
  const cachedFacets = (federation: string | undefined) => {
    const key = federation ?? '';
    const hit = facetCache.get(key);
    if (hit && Date.now() - hit.at < FACETS_TTL_MS) return hit.value;
    if (facetCache.size > 100) facetCache.clear();
    const value = agendaFacets(db, federation);
    facetCache.set(key, { at: Date.now(), value });
    value.catch(() => facetCache.delete(key));
    return value;
  };

  app.get('/agenda', { schema: { tags, security: [], querystring: filterQuery } }, async (req, reply) => {
    const q = req.query as FilterQuery;
    const lang = pickLang(q.lang, req.headers['accept-language']);
    const filter = toFilter(q);
    const [events, facets] = await Promise.all([listAgenda(db, filter), cachedFacets(filter.federation)]);
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-language', lang)
      .header('vary', 'Accept-Language')
      .header('cache-control', cacheable)
      .send(agendaPage(lang, events, filter, facets));
  });

  app.get(
    '/agenda/events/:eventId',
    {
      schema: {
        tags,
        security: [],
        params: { type: 'object', properties: { eventId: { type: 'string', maxLength: 64 } } },
        querystring: { type: 'object', properties: { lang: { type: 'string', maxLength: 8 } } },
      },
    },
    async (req, reply) => {
      const lang = pickLang((req.query as { lang?: string }).lang, req.headers['accept-language']);
      const { eventId } = req.params as { eventId: string };
      const e = /^[0-9a-f-]{36}$/.test(eventId) ? await publicEvent(db, eventId) : null;
      reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-language', lang)
        .header('vary', 'Accept-Language');
      if (!e) return reply.code(404).send(notFoundPage(lang, DICT[lang].eventNotFound));
      const artists = (await lineups(db, [e.id])).get(e.id) ?? [];
      return reply.header('cache-control', cacheable).send(eventPage(lang, e, artists));
    },
  );

  app.get('/agenda.ics', { schema: { tags, security: [], querystring: filterQuery } }, async (req, reply) => {
    const q = req.query as FilterQuery;
    const lang = pickLang(q.lang, req.headers['accept-language']);
    const events = await listAgenda(db, toFilter(q));
    return reply
      .header('content-type', 'text/calendar; charset=utf-8')
      .header('content-disposition', 'inline; filename="agenda.ics"')
      .header('cache-control', cacheable)
      .send(agendaCalendar(events, { baseUrl: baseUrl(req), name: DICT[lang].agendaTitle }));
  });

  app.get('/v1/agenda', { schema: { tags, security: [], querystring: filterQuery } }, async (req) => {
    const events = await listAgenda(db, toFilter(req.query as FilterQuery));
    const lineup = await lineups(
      db,
      events.map((e) => e.id),
    );
    return { events: events.map((e) => ({ ...e, artists: lineup.get(e.id) ?? [] })) };
  });
}
