/** The cloud's sync API (docs/sync-api.md), as typed HTTP calls with timeouts. */
import type { Leg } from '../journal/journal.js';
import type { CloudConfigDoc } from '../venue-config.js';
import type { LeaseMembership } from './membership-cache.js';

export interface SyncItem {
  id: string;
  type: 'spend' | 'topup' | 'void' | 'refund';
  cardUid: string;
  at: number;
  legs: Leg[];
  deviceId?: string;
  cashierId?: string;
  offline?: boolean;
  funding?: 'cash' | 'card' | 'online';
  voids?: string;
  reason?: string;
  /** The card issue authorized against (cloud ≥ card issues). */
  cardIssue?: number;
}

export interface ItemResult {
  id: string;
  status: 'applied' | 'duplicate' | 'rejected';
  reason?: string;
  balances?: Leg[];
  shortfall?: Leg[];
  /** Booked on the card's former holder (tapped before it was re-issued). */
  bookedOn?: 'previous-holder';
  detail?: string;
}

export interface Lease {
  cardUid: string;
  balances: Leg[];
  blocked: boolean;
  leaseUntil: number;
  /** The card's issue (re-issue count) these balances are for (cloud ≥ card issues). */
  issue?: number;
  /** The card's membership at this venue (cloud ≥ memberships). */
  membership?: LeaseMembership;
}

export class CloudError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export class CloudApi {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly timeoutMs = 10_000,
  ) {}

  private async call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new CloudError(`cloud unreachable: ${(e as Error).message}`, 0);
    }
    if (res.status >= 400 && res.status !== 304) {
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      throw new CloudError(`cloud answered ${res.status} to ${method} ${path}`, res.status, parsed);
    }
    return res;
  }

  async getJson<T>(path: string): Promise<T> {
    return (await (await this.call('GET', path)).json()) as T;
  }

  async postJson<T>(path: string, body: unknown): Promise<T> {
    return (await (await this.call('POST', path, body)).json()) as T;
  }

  async sendBatch(venueId: string, batchId: string, items: SyncItem[]): Promise<ItemResult[]> {
    const res = await this.call('POST', '/v1/sync/batches', { batchId, venueId, items });
    return ((await res.json()) as { results: ItemResult[] }).results;
  }

  async leases(venueId: string, cards: string[]): Promise<Lease[]> {
    const res = await this.call('POST', '/v1/sync/leases', { venueId, cards });
    return ((await res.json()) as { leases: Lease[] }).leases;
  }

  /** undefined when unchanged since `etag`. */
  async config(venueId: string, etag?: string): Promise<{ doc: CloudConfigDoc; etag: string } | undefined> {
    const res = await this.call(
      'GET',
      `/v1/sync/config?venueId=${encodeURIComponent(venueId)}`,
      undefined,
      etag ? { 'if-none-match': etag } : {},
    );
    if (res.status === 304) return undefined;
    return { doc: (await res.json()) as CloudConfigDoc, etag: res.headers.get('etag') ?? '' };
  }
}
