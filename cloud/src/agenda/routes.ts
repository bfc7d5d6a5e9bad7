// Public federated agenda (no authentication): HTML pages (FR/EN), iCal feed and JSON.
//   GET /agenda?venue=&tag=&fed=&lang=        upcoming public events of every member venue
//   GET /agenda/events/:eventId?lang=         one public event
//   GET /agenda.ics?venue=&tag=&fed=          iCalendar feed
//   GET /v1/agenda?venue=&tag=&fed=&from=&to= JSON
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/connect.js';
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
  },
} as const;

type FilterQuery = { venue?: string; tag?: string; fed?: string; lang?: string; from?: string; to?: string };

const toFilter = (q: FilterQuery): AgendaFilter => ({
  venue: q.venue || undefined,
  tag: q.tag?.trim().toLowerCase() || undefined,
  federation: q.fed || undefined,
  from: q.from,
  to: q.to,
});

const baseUrl = (req: FastifyRequest): string => `${req.protocol}://${req.host}`;

export function registerAgendaRoutes(app: FastifyInstance, db: Db): void {
  const tags = ['agenda'];
  const cacheable = 'public, max-age=60';

  app.get('/agenda', { schema: { tags, security: [], querystring: filterQuery } }, async (req, reply) => {
    const q = req.query as FilterQuery;
    const lang = pickLang(q.lang, req.headers['accept-language']);
    const filter = toFilter(q);
    const [events, facets] = await Promise.all([listAgenda(db, filter), agendaFacets(db, filter.federation)]);
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
      return reply.header('cache-control', cacheable).send(eventPage(lang, e));
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
    return { events };
  });
}
