/** What the per-kind message handlers may use: the gateway's parts, not the gateway itself. */

import type { protocol } from '@tibillet/firmware';
import type { Logger } from 'pino';
import type { CardBook } from './authorizer/card-book.js';
import type { DeviceRegistry } from './devices/registry.js';
import type { Journal } from './journal/journal.js';
import type { Metrics } from './metrics.js';
import type { SyncWorker } from './sync/sync-worker.js';
import type { CartLine } from './types.js';
import type { VenueConfig } from './venue-config.js';

/**
 * What a POS charge asks for: the amount, and, when it pays a whole order, the order's lines at
 * the prices the POS charged (the card's promotions are then applied to them at the tap).
 */
export interface PosCharge {
  amt: number;
  cart?: CartLine[];
}

export interface GatewayContext {
  venueId: string;
  config(): VenueConfig;
  journal: Journal;
  book: CardBook;
  devices: DeviceRegistry;
  /** undefined when the gateway runs without a cloud (standalone venue). */
  sync: SyncWorker | undefined;
  log: Logger;
  metrics: Metrics;
  /** Signs and publishes a message to one terminal. */
  send<K extends protocol.Kind>(
    deviceId: string,
    kind: K,
    body: protocol.BodyByKind[K],
    retain?: boolean,
  ): Promise<void>;
  /** Sends a device its config (mode, menu, limits). */
  pushConfig(deviceId: string): Promise<void>;
  /** The POS charge with this reference, for this device. */
  charge(deviceId: string, ref: string): PosCharge | undefined;
  /** Taps being decided now, by tx id: a re-send joins the first. */
  inflight: Map<string, Promise<protocol.ResultBody>>;
  leaseMs: number;
  /** Optional listeners (venue apps): 'result' { deviceId, tap, body } after each decided tap. */
  events?: import('node:events').EventEmitter;
}
