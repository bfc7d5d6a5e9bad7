// Stripe Checkout adapter against a local HTTP server that behaves like Stripe: it serves the
// Checkout Sessions API and delivers webhooks to the app (listening on a real port) signed as
// Stripe documents it (Stripe-Signature: t=<unix s>,v1=HMAC-SHA256(secret, `${t}.${body}`)). The
// signer (test/helpers/fake-stripe.ts) is written independently of src/payments/stripe.ts.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { num } from '../../src/db/connect.js';
import {
  createCloud,
  createFederation,
  createGateway,
  createVenue,
  StripeCheckout,
} from '../../src/index.js';
import { assertBalanced, withBothDatabases } from '../helpers/databases.js';
import { API_KEY, type FakeStripe, fakeStripe, stripeSign } from '../helpers/fake-stripe.js';
import { auth, id, uid, verifyLog } from '../helpers/fixture.js';

const SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const sign = stripeSign;

withBothDatabases('stripe checkout top-up', (getDb) => {
  let stripe: FakeStripe;
  let close: () => Promise<void>;
  let appUrl = '';
  let inject: FastifyInstance['inject'];
  let barKey = '';
  const s = randomBytes(3).toString('hex');
  const fed = `fed-${s}`;
  const bar = `bar-${s}`;
  const card = uid();
  let sessionId = '';

  beforeAll(async () => {
    stripe = await fakeStripe({ secret: SECRET });
    await createFederation(getDb(), { id: fed, name: 'Coop' });
    await createVenue(getDb(), { id: bar, federationId: fed, name: 'Bar' });
    barKey = (await createGateway(getDb(), bar)).apiKey;
    const cloud = await createCloud({
      db: getDb(),
      masterKey: randomBytes(32),
      payments: new StripeCheckout({ apiKey: API_KEY, webhookSecret: SECRET, baseUrl: stripe.baseUrl }),
    });
    await cloud.app.listen({ port: 0, host: '127.0.0.1' });
    appUrl = `http://127.0.0.1:${(cloud.app.server.address() as AddressInfo).port}`;
    inject = cloud.app.inject.bind(cloud.app);
    close = cloud.close;
  });
  afterAll(async () => {
    await close?.();
    await stripe?.close();
  });

  /** Stripe delivering an event to the webhook endpoint. */
  const deliver = async (payload: string, header: string) => {
    const r = await fetch(`${appUrl}/v1/payments/stripe/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header },
      body: payload,
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const now = () => Math.floor(Date.now() / 1000);
  const state = async () => {
    const q = async (sql: string) => (await getDb().query<{ n: string }>(sql)).rows[0].n;
    return {
      transfers: await q('SELECT count(*)::text AS n FROM transfers'),
      events: await q('SELECT count(*)::text AS n FROM payment_events'),
      paid: await q("SELECT count(*)::text AS n FROM payments WHERE status = 'paid'"),
    };
  };
  const balance = async () => {
    const { rows } = await getDb().query<{ balance: unknown }>(
      "SELECT a.balance FROM accounts a JOIN cards c ON c.wallet_id = a.wallet_id WHERE c.uid = $1 AND a.asset = 'EUR'",
      [card],
    );
    return rows[0] ? num(rows[0].balance) : 0;
  };

  it('opens a Checkout Session at the provider (idempotent on the Idempotency-Key)', async () => {
    const key = id('idem');
    const open = (amount: number) =>
      inject({
        method: 'POST',
        url: `/v1/venues/${bar}/online-topups`,
        headers: { ...auth(barKey), 'idempotency-key': key },
        payload: {
          cardUid: card,
          amount,
          successUrl: 'https://wallet.example/ok',
          cancelUrl: 'https://wallet.example/cancel',
        },
      });
    const r = await open(2500);
    expect(r.statusCode).toBe(201);
    sessionId = r.json().sessionId;
    expect(r.json()).toMatchObject({
      status: 'pending',
      url: `https://checkout.stripe.test/c/pay/${sessionId}`,
    });
    expect(stripe.requests.length).toBe(1);
    const req = stripe.requests[0];
    expect(req.auth).toBe(`Bearer ${API_KEY}`);
    expect(req.idempotencyKey).toBe(r.json().reference);
    expect(Object.fromEntries(req.form)).toMatchObject({
      mode: 'payment',
      client_reference_id: r.json().reference,
      'line_items[0][price_data][currency]': 'eur',
      'line_items[0][price_data][unit_amount]': '2500',
      'line_items[0][quantity]': '1',
      success_url: 'https://wallet.example/ok',
    });
    const again = await open(2500);
    expect(again.statusCode).toBe(201);
    expect(again.json().sessionId).toBe(sessionId);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(stripe.requests.length).toBe(1);
    expect((await open(9999)).statusCode).toBe(409);
    expect(await balance()).toBe(0);
  });

  it('refuses a forged signature, a stale timestamp, a tampered body and a missing header, changing nothing', async () => {
    const before = await state();
    const payload = stripe.completedPayload(`evt_${randomBytes(6).toString('hex')}`, sessionId);
    const t = now();
    const forged = await deliver(payload, `t=${t},v1=${sign('whsec_wrong', t, payload)}`);
    expect(forged.status).toBe(400);
    expect(forged.body.error).toBe('bad-signature');
    const stale = await deliver(payload, `t=${t - 301},v1=${sign(SECRET, t - 301, payload)}`);
    expect(stale.status).toBe(400);
    expect(stale.body.message).toMatch(/tolerance/);
    const future = await deliver(payload, `t=${t + 400},v1=${sign(SECRET, t + 400, payload)}`);
    expect(future.status).toBe(400);
    const tampered = await deliver(
      payload.replace('"amount_total":2500', '"amount_total":250000'),
      `t=${t},v1=${sign(SECRET, t, payload)}`,
    );
    expect(tampered.status).toBe(400);
    const v0only = await deliver(payload, `t=${t},v0=${sign(SECRET, t, payload)}`);
    expect(v0only.status).toBe(400);
    const missing = await fetch(`${appUrl}/v1/payments/stripe/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: payload,
    });
    expect(missing.status).toBe(400);
    expect(await state()).toEqual(before);
    expect(await balance()).toBe(0);
  });

  it('credits the wallet once for a correctly signed completed event; a replay changes nothing', async () => {
    const eventId = `evt_${randomBytes(6).toString('hex')}`;
    const payload = stripe.completedPayload(eventId, sessionId);
    const t = now();
    // Several v1 signatures (secret rotation): one matching is enough.
    const header = `t=${t},v1=${sign('whsec_old', t, payload)},v1=${sign(SECRET, t, payload)}`;
    const r = await deliver(payload, header);
    expect(r.status).toBe(200);
    expect(r.body.outcome).toBe('credited');
    expect(await balance()).toBe(2500);
    const after = await state();
    const replay = await deliver(payload, header);
    expect(replay.status).toBe(200);
    expect(replay.body.outcome).toBe('duplicate');
    // The same event re-signed later (Stripe retries re-sign) is still a duplicate.
    const t2 = now() + 2;
    expect((await deliver(payload, `t=${t2},v1=${sign(SECRET, t2, payload)}`)).body.outcome).toBe(
      'duplicate',
    );
    expect(await state()).toEqual(after);
    expect(await balance()).toBe(2500);
    // Another event for the already paid session credits nothing.
    const other = stripe.completedPayload(`evt_${randomBytes(6).toString('hex')}`, sessionId);
    const o = await deliver(other, `t=${t},v1=${sign(SECRET, t, other)}`);
    expect(o.body.outcome).toBe('already-paid');
    expect(await balance()).toBe(2500);
    const { rows } = await getDb().query<{ amount: unknown; kind: string; system: string }>(
      'SELECT t.amount, t.kind, a.system FROM transfers t JOIN accounts a ON a.id = t.debit ORDER BY t.id DESC LIMIT 1',
    );
    expect([num(rows[0].amount), rows[0].kind, rows[0].system]).toEqual([
      2500,
      'topup',
      `funding:${bar}:online`,
    ]);
    await assertBalanced(getDb());
    await verifyLog(getDb());
  });

  it('ignores events that are not a completed payment, and refuses an amount mismatch', async () => {
    const t = now();
    const pending = JSON.stringify({
      id: `evt_${randomBytes(6).toString('hex')}`,
      type: 'payment_intent.created',
      data: { object: { id: 'pi_1' } },
    });
    expect((await deliver(pending, `t=${t},v1=${sign(SECRET, t, pending)}`)).body.outcome).toBe('ignored');
    const key = id('idem');
    const r = await inject({
      method: 'POST',
      url: `/v1/venues/${bar}/online-topups`,
      headers: { ...auth(barKey), 'idempotency-key': key },
      payload: {
        cardUid: card,
        amount: 1000,
        successUrl: 'https://wallet.example/ok',
        cancelUrl: 'https://wallet.example/cancel',
      },
    });
    const sid = r.json().sessionId;
    const before = await state();
    const wrong = stripe.completedPayload(`evt_${randomBytes(6).toString('hex')}`, sid, {
      amount_total: 100000,
    });
    const w = await deliver(wrong, `t=${t},v1=${sign(SECRET, t, wrong)}`);
    expect(w.status).toBe(409);
    expect(w.body.error).toBe('payment-mismatch');
    expect(await state()).toEqual(before);
    expect(await balance()).toBe(2500);
  });
});
