// A venue gateway as the system tests run it against a harness cloud: its terminals registered in
// the cloud before it starts, the embedded broker on a free port, a fresh data dir, the cloud's
// config pulled every 200 ms and no witness timer (a test ticks the witness itself when it wants).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, type Gateway, type GatewayOptions } from '@tibillet/gateway';
import pino from 'pino';
import { device, keyOf, type TestDevice } from '../../gateway/test/helpers.js';
import type { CloudHarness } from '../e2e/cloud-harness.js';

export interface VenueGatewayOptions extends Partial<GatewayOptions> {
  /** Device ids registered in the cloud for the gateway's venue (none by default). */
  terminals?: string[];
  /** Starts the name of the gateway's temp data dir (to tell the tests' dirs apart). */
  dataDirPrefix: string;
}

/**
 * The gateway of the cloud's first venue. It talks to `cloudUrl`, the cloud's own URL unless given
 * (a gate's, to cut the venue's internet); any other option overrides the defaults.
 */
export async function startVenueGateway(cloud: CloudHarness, o: VenueGatewayOptions): Promise<Gateway> {
  const { terminals = [], dataDirPrefix, ...options } = o;
  const venue = cloud.venues[0];
  for (const d of terminals) await cloud.registerDevice(venue, d, keyOf(d));
  return createGateway({
    venueId: venue,
    dataDir: mkdtempSync(join(tmpdir(), dataDirPrefix)),
    mqttPort: 0,
    mqttHost: '127.0.0.1',
    cloudUrl: cloud.url,
    cloudApiKey: cloud.apiKeys[0],
    configPollMs: 200,
    witnessIntervalMs: 0,
    logger: pino({ level: 'silent' }),
    ...options,
  });
}

/** A terminal of the gateway's venue, connected to its embedded broker. */
export const terminal = (gw: Gateway, id: string): Promise<TestDevice> =>
  device(`mqtt://127.0.0.1:${gw.brokerPort}`, id, { venue: gw.ctx.venueId });
