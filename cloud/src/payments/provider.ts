// Online top-up through a payment provider (Stripe Checkout adapter in stripe.ts).
export interface CheckoutRequest {
  /** Our reference (idempotency key of the eventual top-up). */
  reference: string;
  amount: number;
  currency: 'eur';
  successUrl: string;
  cancelUrl: string;
}

export interface PaymentProvider {
  readonly name: string;
  createCheckout(req: CheckoutRequest): Promise<{ sessionId: string; url: string }>;
  /**
   * Verifies a webhook (raw body + headers) and returns the paid session, or null for events that
   * are not a completed payment. Throws on a bad signature.
   */
  parseWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): PaidSession | null;
}

export interface PaidSession {
  /** Provider event id: a replayed event (same id) changes nothing. */
  eventId: string;
  sessionId: string;
  reference: string;
  amount: number;
  currency: string;
}
