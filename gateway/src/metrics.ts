/** Prometheus metrics of one gateway (its own registry, so tests can run several). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly messages = new Counter({
    name: 'tibillet_gateway_messages_total',
    help: 'Verified device messages by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'tibillet_gateway_rejected_total',
    help: 'Refused connections and messages by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly taps = new Counter({
    name: 'tibillet_gateway_taps_total',
    help: 'Taps answered',
    labelNames: ['mode'],
    registers: [this.registry],
  });
  readonly approvals = new Counter({
    name: 'tibillet_gateway_approvals_total',
    help: 'Approved taps',
    labelNames: ['offline'],
    registers: [this.registry],
  });
  readonly declines = new Counter({
    name: 'tibillet_gateway_declines_total',
    help: 'Declined taps by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly tapLatency = new Histogram({
    name: 'tibillet_gateway_tap_seconds',
    help: 'Tap received to result published',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly journalBatch = new Histogram({
    name: 'tibillet_gateway_journal_batch_size',
    help: 'Records per group commit',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [this.registry],
  });
  readonly journalLag = new Gauge({
    name: 'tibillet_gateway_journal_pending',
    help: 'Records waiting for the next group commit',
    registers: [this.registry],
  });
  readonly syncBacklog = new Gauge({
    name: 'tibillet_gateway_sync_backlog',
    help: 'Journaled transactions not yet acknowledged by the cloud',
    registers: [this.registry],
  });
  readonly syncLag = new Gauge({
    name: 'tibillet_gateway_sync_lag_seconds',
    help: 'Age of the oldest transaction not yet in the cloud',
    registers: [this.registry],
  });
  readonly syncRejected = new Counter({
    name: 'tibillet_gateway_sync_rejected_total',
    help: 'Items the cloud rejected (need reconciliation)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly connected = new Gauge({
    name: 'tibillet_gateway_connected_devices',
    help: 'Terminals connected to the embedded broker',
    registers: [this.registry],
  });
}
