#!/usr/bin/env node
/**
 * tibillet-gateway: `start` runs the venue gateway; `mosquitto-config` writes the password and
 * ACL files for an external Mosquitto. Every option also reads an env var or a JSON file.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { writeMosquittoConfig } from './broker/mosquitto-config.js';
import { createGateway } from './gateway.js';
import { startHttp } from './http/server.js';
import { GATEWAY_VERSION } from './index.js';
import type { DeviceEntry, VenueConfig } from './venue-config.js';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port number');
  return n;
};
const env = process.env;

function fileConfig(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InvalidArgumentError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
}

const program = new Command('tibillet-gateway')
  .version(GATEWAY_VERSION)
  .description('TiBillet venue gateway');

program
  .command('start')
  .description('run the gateway: broker, authorizer, journal, cloud sync, HTTP')
  .option('--config <file>', 'JSON file with any of these options (flags win)', env.GATEWAY_CONFIG)
  .option('--venue <id>', 'venue id (env VENUE_ID)', env.VENUE_ID)
  .option('--cloud-url <url>', 'cloud base URL (env CLOUD_URL)', env.CLOUD_URL)
  .option('--cloud-api-key <key>', 'gateway API key (env CLOUD_API_KEY)', env.CLOUD_API_KEY)
  .option('--data-dir <dir>', 'journal directory (env DATA_DIR)', env.DATA_DIR ?? './data/gateway')
  .option(
    '--http-port <port>',
    'HTTP port (env HTTP_PORT)',
    int,
    env.HTTP_PORT ? Number(env.HTTP_PORT) : 8081,
  )
  .option('--http-host <host>', 'HTTP listen address', env.HTTP_HOST ?? '127.0.0.1')
  .option(
    '--mqtt-port <port>',
    'embedded broker port (env MQTT_PORT)',
    int,
    env.MQTT_PORT ? Number(env.MQTT_PORT) : 1884,
  )
  .option('--mqtt-url <url>', 'external broker instead of the embedded one (env MQTT_URL)', env.MQTT_URL)
  .option(
    '--mqtt-password <pw>',
    'gateway password on the external broker (env MQTT_PASSWORD)',
    env.MQTT_PASSWORD,
  )
  .option('--staff-token <token>', 'bearer token for the staff API (env STAFF_TOKEN)', env.STAFF_TOKEN)
  .action(async (flags: Record<string, unknown>, cmd: Command) => {
    const file = fileConfig(flags.config as string | undefined);
    // Precedence: flags and env > config file > defaults.
    const given = (k: string) => flags[k] !== undefined && cmd.getOptionValueSource(k) !== 'default';
    const defaults = Object.fromEntries(Object.entries(flags).filter(([k]) => !given(k)));
    const explicit = Object.fromEntries(Object.entries(flags).filter(([k]) => given(k)));
    const o = { ...defaults, ...file, ...explicit } as Record<string, unknown>;
    if (!o.venue) program.error('error: --venue (or VENUE_ID) is required', { exitCode: 2 });
    const gw = await createGateway({
      venueId: String(o.venue),
      dataDir: String(o.dataDir),
      mqttPort: o.mqttPort as number,
      mqttUrl: o.mqttUrl as string | undefined,
      mqttPassword: o.mqttPassword as string | undefined,
      cloudUrl: o.cloudUrl as string | undefined,
      cloudApiKey: o.cloudApiKey as string | undefined,
      venue: file.venueConfig as Partial<VenueConfig> | undefined,
    });
    const http = await startHttp(gw, {
      port: o.httpPort as number,
      host: o.httpHost as string,
      staffToken: o.staffToken as string | undefined,
    });
    // One machine-readable line for supervisors and tests.
    process.stdout.write(
      `${JSON.stringify({ ready: true, mqttPort: gw.brokerPort, httpPort: o.httpPort, recovered: gw.recoveredRecords })}\n`,
    );
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await http.close();
      await gw.close();
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

program
  .command('mosquitto-config')
  .description('write Mosquitto password + ACL files enforcing the per-device rules')
  .requiredOption('--venue <id>', 'venue id', env.VENUE_ID)
  .requiredOption('--out <dir>', 'output directory')
  .requiredOption('--gateway-password <pw>', "the gateway's own broker password", env.MQTT_PASSWORD)
  .option('--devices <file>', 'JSON [{deviceId, keyHex, revoked}] (default: from the cloud)')
  .option('--cloud-url <url>', 'cloud base URL', env.CLOUD_URL)
  .option('--cloud-api-key <key>', 'gateway API key', env.CLOUD_API_KEY)
  .option('--port <port>', 'listener port in the generated mosquitto.conf', int, 1883)
  .action(async (o) => {
    let devices: DeviceEntry[] = [];
    if (o.devices) devices = JSON.parse(readFileSync(o.devices, 'utf8'));
    else if (o.cloudUrl && o.cloudApiKey) {
      const { CloudApi } = await import('./sync/cloud-api.js');
      devices = (await new CloudApi(o.cloudUrl, o.cloudApiKey).config(o.venue))?.doc.devices ?? [];
    } else program.error('error: give --devices <file> or --cloud-url and --cloud-api-key', { exitCode: 2 });
    const files = writeMosquittoConfig({
      dir: o.out,
      venue: o.venue,
      devices,
      gatewayPassword: o.gatewayPassword,
      port: o.port,
    });
    process.stdout.write(`${JSON.stringify(files)}\nReload Mosquitto (SIGHUP) to apply.\n`);
  });

program
  .command('fiscal')
  .description(
    'inalterable sales records: verify <archive.json> | verify-db | archive <day|month|year> <period> | fec <from> <to>',
  )
  .option('--data-dir <dir>', 'the gateway data directory (env DATA_DIR)', env.DATA_DIR ?? './data/gateway')
  .option('--venue <id>', 'venue id (env VENUE_ID)', env.VENUE_ID)
  .argument('<args...>', 'subcommand and its arguments')
  .allowUnknownOption()
  .action(async (args: string[], o: { dataDir: string; venue?: string }) => {
    const { fiscalCli } = await import('./apps/fiscal.js');
    process.exitCode = await fiscalCli(args, { dataDir: o.dataDir, venue: o.venue });
  });

await program.parseAsync();
