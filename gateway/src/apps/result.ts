/**
 * What the POS and room services answer: `{ ok: true, … }`, or a Fail that carries the HTTP status
 * its route answers with. The services stay free of Fastify; the routes send either through
 * sendResult.
 */
import type { FastifyReply } from 'fastify';

export type Fail = { ok: false; status: number; error: string; message: string; [k: string]: unknown };

export const fail = (status: number, error: string, message: string, extra: object = {}): Fail => ({
  ok: false,
  status,
  error,
  message,
  ...extra,
});

/** A success is the body without `ok`; a Fail is sent with its status, without `ok` or `status`. */
export const sendResult = (reply: FastifyReply, r: { ok: boolean } & Record<string, unknown>) => {
  if (r.ok) {
    const { ok: _ok, ...rest } = r;
    return rest;
  }
  const { ok: _ok, status, ...rest } = r as Fail;
  return reply.code(status).send(rest);
};
