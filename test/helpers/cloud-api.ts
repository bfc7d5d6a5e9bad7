// A harness cloud's HTTP API as the system tests call it: as a gateway (its API key) or as staff
// (a login token); every request with a body carries a fresh idempotency key.
import { randomUUID } from 'node:crypto';
import { createUser } from '@tibillet/cloud';
import type { CloudHarness } from '../e2e/cloud-harness.js';

/** A parsed response body: the tests read it field by field. */
type Json = ReturnType<typeof JSON.parse>;

export interface CloudApi {
  /** The status and the parsed body, whatever the status. */
  call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: Json }>;
  /** The parsed body; a status of 300 or more throws, with the body in the message. */
  ok(method: string, path: string, token: string, body?: unknown): Promise<Json>;
}

export function cloudApi(url: string): CloudApi {
  const send = async (method: string, path: string, token: string, body?: unknown) => {
    const r = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json', 'idempotency-key': randomUUID() } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, text: await r.text() };
  };
  return {
    async call(method, path, token, body) {
      const r = await send(method, path, token, body);
      return { status: r.status, json: JSON.parse(r.text) };
    },
    async ok(method, path, token, body) {
      const r = await send(method, path, token, body);
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
      return JSON.parse(r.text);
    },
  };
}

/** A venue_admin of `venue` created in the cloud's database, logged in over HTTP: its token. */
export async function venueAdminToken(cloud: CloudHarness, venue: string): Promise<string> {
  const email = `admin-${venue}@example.org`;
  const password = 'correct horse battery';
  await createUser(cloud.db, {
    email,
    password,
    role: 'venue_admin',
    venueId: venue,
    federationId: cloud.fed,
  });
  const login = await fetch(`${cloud.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return ((await login.json()) as { token: string }).token;
}

/** A gateway's sync batch (POST /v1/sync/batches) of one cash top-up of `amount` EUR cents. */
export const cashTopUpBatch = (venueId: string, cardUid: string, amount: number) => ({
  batchId: randomUUID(),
  venueId,
  items: [
    {
      id: randomUUID(),
      type: 'topup',
      cardUid,
      at: Date.now(),
      legs: [{ asset: 'EUR', amount }],
      funding: 'cash',
    },
  ],
});
