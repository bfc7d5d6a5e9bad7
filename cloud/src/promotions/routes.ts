// Venue admin routes for promotion rules (happy hours, history rules, partner perks) and the
// venue's time zone. Rules reach the venue's gateway in its next config download.
import type { FastifyInstance } from 'fastify';
import { assertVenueAccess, principalName, requireAuth } from '../api/auth.js';
import { errorSchema, VENUE } from '../api/schemas.js';
import type { Db } from '../db/connect.js';
import { requireVenue } from '../ledger/venue.js';
import { type PromotionRule, RULE_SCHEMA } from './rule-schema.js';
import { deleteRule, listRules, promotionsDoc, putRule, setTimeZone } from './store.js';

const RULE_ID = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' } as const;

export function registerPromotionRoutes(app: FastifyInstance, db: Db): void {
  const writers = requireAuth(db, { roles: ['federation_admin', 'venue_admin'] });
  const readers = requireAuth(db, { roles: ['federation_admin', 'venue_admin', 'auditor'] });
  const venueParam = { type: 'object', required: ['venueId'], properties: { venueId: VENUE } } as const;
  const ruleParams = {
    type: 'object',
    required: ['venueId', 'id'],
    properties: { venueId: VENUE, id: RULE_ID },
  } as const;
  const tags = ['promotions'];
  const saved = {
    type: 'object',
    properties: {
      ok: { type: 'boolean' },
      rules: { type: 'array', items: { type: 'object', additionalProperties: true } },
    },
  } as const;

  app.get(
    '/v1/venues/:venueId/promotions',
    {
      preHandler: readers,
      schema: {
        tags,
        summary: "A venue's promotion rules and time zone",
        params: venueParam,
        response: errorSchema,
      },
    },
    async (req) => {
      const { venueId } = req.params as { venueId: string };
      await assertVenueAccess(db, req.principal!, venueId, false);
      await requireVenue(db, venueId);
      return promotionsDoc(db, venueId);
    },
  );

  app.put(
    '/v1/venues/:venueId/promotions/:id',
    {
      preHandler: writers,
      schema: {
        tags,
        summary: 'Creates or replaces a promotion rule (shipped to the gateway with its config)',
        params: ruleParams,
        body: RULE_SCHEMA,
        response: { ...errorSchema, 200: saved, 201: saved },
      },
    },
    async (req, reply) => {
      const { venueId, id } = req.params as { venueId: string; id: string };
      const rule = req.body as PromotionRule;
      await assertVenueAccess(db, req.principal!, venueId);
      if (rule.id !== id) {
        req.log.warn({ venueId, id, body: rule.id }, 'promotion: id mismatch');
        return reply.code(400).send({ error: 'id-mismatch', message: 'the rule id differs from the URL' });
      }
      const venue = await requireVenue(db, venueId);
      const r = await putRule(db, venue, rule, principalName(req.principal!));
      req.log.info(
        { venueId, id, kind: rule.kind, by: principalName(req.principal!) },
        'promotion rule saved',
      );
      return reply.code(r.created ? 201 : 200).send({ ok: true, rules: await listRules(db, venueId) });
    },
  );

  app.delete(
    '/v1/venues/:venueId/promotions/:id',
    {
      preHandler: writers,
      schema: { tags, summary: 'Deletes a promotion rule', params: ruleParams, response: errorSchema },
    },
    async (req) => {
      const { venueId, id } = req.params as { venueId: string; id: string };
      await assertVenueAccess(db, req.principal!, venueId);
      await deleteRule(db, venueId, id);
      req.log.info({ venueId, id, by: principalName(req.principal!) }, 'promotion rule deleted');
      return { ok: true };
    },
  );

  app.put(
    '/v1/venues/:venueId/promotions-time-zone',
    {
      preHandler: writers,
      schema: {
        tags,
        summary: "The venue's time zone (IANA) for happy-hour windows",
        params: venueParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['timeZone'],
          properties: { timeZone: { type: 'string', minLength: 1, maxLength: 64 } },
        },
        response: errorSchema,
      },
    },
    async (req) => {
      const { venueId } = req.params as { venueId: string };
      await assertVenueAccess(db, req.principal!, venueId);
      await requireVenue(db, venueId);
      await setTimeZone(db, venueId, (req.body as { timeZone: string }).timeZone);
      return { ok: true };
    },
  );
}
