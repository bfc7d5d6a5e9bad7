// `?limit=` of the report and list routes: 1 to 999 rows, 100 when not given.
import type { FastifyRequest } from 'fastify';

export const limitQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' } },
} as const;

/** The request's `limit` (checked by `limitQuery`), or the default. */
export function listLimit(req: FastifyRequest): number {
  const { limit } = req.query as { limit?: string };
  return limit ? Number(limit) : 100;
}
