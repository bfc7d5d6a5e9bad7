// Stripe Checkout adapter. Sessions are created over Stripe's REST API (form-encoded POST
// /v1/checkout/sessions, Bearer secret key, Idempotency-Key = our reference) at a configurable
// base URL (tests point it at a local server). Webhooks are verified per Stripe's documented
// scheme: header `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, where v1 =
// HMAC-SHA256(endpoint secret, `${t}.${raw body}`); the timestamp must be within the tolerance
// (default 5 min) of our clock, and one v1 must match (constant-time comparison). Other schemes
// (v0) are ignored.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { LedgerError } from '../ledger/types.js';
import type { CheckoutRequest, PaidSession, PaymentProvider } from './provider.js';

export interface StripeOptions {
  /** Secret API key (sk_...). */
  apiKey: string;
  /** Webhook endpoint signing secret (whsec_...). */
  webhookSecret: string;
  /** Default https://api.stripe.com. */
  baseUrl?: string;
  /** Signature timestamp tolerance, seconds (default 300). */
  toleranceSeconds?: number;
  /** Clock (epoch ms), for tests. */
  now?: () => number;
  productName?: string;
}

export class WebhookSignatureError extends LedgerError {
  constructor(message: string) {
    super('bad-signature', message, 400);
  }
}

export function parseSignatureHeader(header: string): { t: number; v1: string[] } | null {
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k === 't') t = /^\d{1,12}$/.test(v) ? Number(v) : null;
    else if (k === 'v1' && /^[0-9a-f]{64}$/i.test(v)) v1.push(v.toLowerCase());
  }
  return t === null || !v1.length ? null : { t, v1 };
}

export const stripeSignature = (secret: string, t: number, rawBody: string): string =>
  createHmac('sha256', secret).update(`${t}.${rawBody}`, 'utf8').digest('hex');

/** Verifies a Stripe-Signature header over the raw body; throws WebhookSignatureError. */
export function verifyStripeSignature(
  rawBody: string,
  header: string | undefined,
  secret: string,
  nowMs: number,
  toleranceSeconds = 300,
): void {
  if (!header) throw new WebhookSignatureError('missing Stripe-Signature header');
  const parsed = parseSignatureHeader(header);
  if (!parsed) throw new WebhookSignatureError('malformed Stripe-Signature header (needs t= and v1=)');
  if (Math.abs(nowMs / 1000 - parsed.t) > toleranceSeconds)
    throw new WebhookSignatureError(`signature timestamp outside the ${toleranceSeconds} s tolerance`);
  const want = Buffer.from(stripeSignature(secret, parsed.t, rawBody), 'hex');
  let ok = false;
  for (const v of parsed.v1) {
    const got = Buffer.from(v, 'hex');
    if (got.length === want.length && timingSafeEqual(got, want)) ok = true;
  }
  if (!ok) throw new WebhookSignatureError('no v1 signature matches the payload');
}

const PAID_EVENTS = new Set(['checkout.session.completed', 'checkout.session.async_payment_succeeded']);

export class StripeCheckout implements PaymentProvider {
  readonly name = 'stripe';
  private readonly baseUrl: string;

  constructor(private readonly o: StripeOptions) {
    this.baseUrl = (o.baseUrl ?? 'https://api.stripe.com').replace(/\/+$/, '');
  }

  async createCheckout(req: CheckoutRequest): Promise<{ sessionId: string; url: string }> {
    const form = new URLSearchParams({
      mode: 'payment',
      success_url: req.successUrl,
      cancel_url: req.cancelUrl,
      client_reference_id: req.reference,
      'metadata[reference]': req.reference,
      'line_items[0][quantity]': '1',
      'line_items[0][price_data][currency]': req.currency,
      'line_items[0][price_data][unit_amount]': String(req.amount),
      'line_items[0][price_data][product_data][name]': this.o.productName ?? 'Wallet top-up',
    });
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/v1/checkout/sessions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.o.apiKey}`,
          'content-type': 'application/x-www-form-urlencoded',
          'idempotency-key': req.reference,
        },
        body: form.toString(),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new LedgerError(
        'payment-provider-unreachable',
        `Stripe unreachable: ${(err as Error).message}`,
        502,
      );
    }
    const body = (await res.json().catch(() => null)) as {
      id?: string;
      url?: string;
      error?: { message?: string };
    } | null;
    if (!res.ok || !body?.id || !body.url)
      throw new LedgerError(
        'payment-provider-error',
        `Stripe refused the session (${res.status}): ${body?.error?.message ?? 'no session'}`,
        502,
      );
    return { sessionId: body.id, url: body.url };
  }

  parseWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): PaidSession | null {
    const h = headers['stripe-signature'];
    verifyStripeSignature(
      rawBody,
      Array.isArray(h) ? h[0] : h,
      this.o.webhookSecret,
      (this.o.now ?? Date.now)(),
      this.o.toleranceSeconds ?? 300,
    );
    let event: { id?: unknown; type?: unknown; data?: { object?: Record<string, unknown> } };
    try {
      event = JSON.parse(rawBody);
    } catch {
      throw new LedgerError('bad-request', 'webhook body is not JSON', 400);
    }
    if (typeof event.id !== 'string' || typeof event.type !== 'string')
      throw new LedgerError('bad-request', 'not a Stripe event', 400);
    const s = event.data?.object;
    if (!PAID_EVENTS.has(event.type) || !s || s.payment_status !== 'paid') return null;
    const reference =
      (s.client_reference_id as string | undefined) ??
      (s.metadata as { reference?: string } | undefined)?.reference;
    if (typeof s.id !== 'string' || typeof reference !== 'string' || !Number.isSafeInteger(s.amount_total))
      throw new LedgerError('bad-request', 'checkout session without id, reference or amount', 400);
    return {
      eventId: event.id,
      sessionId: s.id,
      reference,
      amount: s.amount_total as number,
      currency: String(s.currency ?? ''),
    };
  }
}
