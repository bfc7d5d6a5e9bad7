// A local server answering Stripe's Checkout Sessions API, and Stripe-signed webhook payloads
// (Stripe-Signature: t=<unix s>,v1=HMAC-SHA256(secret, `${t}.${body}`)), written independently of
// src/payments/stripe.ts.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const API_KEY = 'sk_test_local';

export interface FakeStripe {
  baseUrl: string;
  secret: string;
  /** Every Checkout Sessions call, as received (before the API key check). */
  requests: { auth: string | undefined; idempotencyKey: string | undefined; form: URLSearchParams }[];
  sessions: Map<string, { amount: number; reference: string; currency: string; successUrl: string }>;
  /** A checkout.session.completed event for a session (`over` replaces members of its session object). */
  completedPayload(eventId: string, sessionId: string, over?: Record<string, unknown>): string;
  /** A checkout.session.completed event for a session, and its Stripe-Signature header. */
  completed(eventId: string, sessionId: string): { payload: string; signature: string };
  close(): Promise<void>;
}

/** Stripe's v1 signature of a webhook payload sent at `t` (unix seconds). */
export const stripeSign = (secret: string, t: number, payload: string) =>
  createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');

export async function fakeStripe(o: { secret?: string } = {}): Promise<FakeStripe> {
  const secret = o.secret ?? `whsec_${randomBytes(16).toString('hex')}`;
  const requests: FakeStripe['requests'] = [];
  const sessions: FakeStripe['sessions'] = new Map();
  const byKey = new Map<string, string>();
  let n = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const send = (status: number, obj: object) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (req.method !== 'POST' || req.url !== '/v1/checkout/sessions')
        return send(404, { error: { message: 'no such route' } });
      const form = new URLSearchParams(body);
      requests.push({
        auth: req.headers.authorization,
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        form,
      });
      if (req.headers.authorization !== `Bearer ${API_KEY}`)
        return send(401, { error: { message: 'Invalid API Key provided' } });
      const key = req.headers['idempotency-key'] as string | undefined;
      let sid = key ? byKey.get(key) : undefined;
      if (!sid) {
        sid = `cs_test_${++n}_${randomBytes(4).toString('hex')}`;
        if (key) byKey.set(key, sid);
        sessions.set(sid, {
          amount: Number(form.get('line_items[0][price_data][unit_amount]')),
          reference: form.get('client_reference_id')!,
          currency: form.get('line_items[0][price_data][currency]')!,
          successUrl: form.get('success_url')!,
        });
      }
      send(200, { id: sid, object: 'checkout.session', url: `https://checkout.stripe.test/c/pay/${sid}` });
    });
  });
  const completedPayload = (eventId: string, sid: string, over: Record<string, unknown> = {}) => {
    const s = sessions.get(sid)!;
    return JSON.stringify({
      id: eventId,
      object: 'event',
      type: 'checkout.session.completed',
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: sid,
          object: 'checkout.session',
          client_reference_id: s.reference,
          amount_total: s.amount,
          currency: s.currency,
          payment_status: 'paid',
          ...over,
        },
      },
    });
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    secret,
    requests,
    sessions,
    completedPayload,
    completed(eventId, sid) {
      const payload = completedPayload(eventId, sid);
      const t = Math.floor(Date.now() / 1000);
      return { payload, signature: `t=${t},v1=${stripeSign(secret, t, payload)}` };
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
