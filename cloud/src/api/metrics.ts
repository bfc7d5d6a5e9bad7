// Prometheus metrics (prom-client), one registry per cloud instance.
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { OpResult } from '../ledger/types.js';

export class CloudMetrics {
  readonly registry = new Registry();
  private readonly items = new Counter({
    name: 'tibillet_sync_items_total',
    help: 'Sync items by status',
    labelNames: ['status'],
    registers: [this.registry],
  });
  private readonly batchSeconds = new Histogram({
    name: 'tibillet_sync_batch_seconds',
    help: 'Batch ingest time',
    buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'tibillet_http_requests_total',
    help: 'HTTP requests by route and status code',
    labelNames: ['route', 'code'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  observeBatch(results: OpResult[], seconds: number): void {
    const counts: Record<string, number> = {};
    for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
    for (const [status, n] of Object.entries(counts)) this.items.inc({ status }, n);
    this.batchSeconds.observe(seconds);
  }
}
