#!/usr/bin/env node
/**
 * tibillet-flash: detect, flash, provision, self-test, register/revoke, batch and label
 * terminals. `runCli` takes its serial binding and output streams as arguments so tests drive
 * it against simulated boards.
 */
import { realpathSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BATCH_STEPS, type BatchStep, deviceIds, formatSummary, runBatch } from './batch.js';
import { loadBundle } from './bundles.js';
import { type RegistryOptions, registerDevice, revokeDevice } from './cloud.js';
import { errorCode, errorMessage, FlashError } from './errors.js';
import { flashBoard } from './flash.js';
import { labelPng, labelSvg } from './label.js';
import { detect } from './ports/detect.js';
import type { BindingInterface } from './ports/link.js';
import type { PortLister } from './ports/list.js';
import { barsProgress, silentProgress } from './progress.js';
import { provisionBoard } from './provision.js';
import type { BoardKind } from './repl/board.js';
import { openBoard } from './repl/open.js';
import { formatSelftest, selftestBoard } from './selftest.js';
import { formatTable } from './table.js';

export const VERSION = '0.1.0';

export interface CliDeps {
  binding?: BindingInterface;
  lister?: PortLister;
  out?: (s: string) => void;
  err?: (s: string) => void;
  env?: Record<string, string | undefined>;
  /** Show progress bars (default: stderr is a TTY). */
  progress?: boolean;
  probeTimeoutMs?: number;
}

const int = (what: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${what} between ${min} and ${max}`);
  return n;
};
const boardKind = (v: string): BoardKind => {
  if (v !== 'espruino' && v !== 'nodemcu') throw new InvalidArgumentError('espruino or nodemcu');
  return v;
};
const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

interface GlobalOpts {
  baud: number;
  json?: boolean;
}

export function createProgram(deps: CliDeps = {}): Command {
  const env = deps.env ?? process.env;
  const out = deps.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  const err = deps.err ?? ((s: string) => process.stderr.write(`${s}\n`));
  const program = new Command('tibillet-flash')
    .version(VERSION)
    .description('Prepare TiBillet terminals: detect, flash, provision, self-test, register and label')
    .option('--baud <rate>', 'serial baud rate of the REPL', int('a baud rate', 300, 4_000_000), 115200)
    .option('--json', 'machine-readable output')
    .configureOutput({ writeOut: (s) => out(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) });
  const g = () => program.opts<GlobalOpts>();
  const showProgress = () => !g().json && (deps.progress ?? process.stderr.isTTY === true);
  const open = (path: string, expect?: BoardKind) =>
    openBoard(path, {
      binding: deps.binding,
      baudRate: g().baud,
      expect,
      probeTimeoutMs: deps.probeTimeoutMs,
    });
  const emit = (json: unknown, text: string) => out(g().json ? JSON.stringify(json, null, 2) : text);

  const registry = (o: { cloud?: string; apiKey?: string }): RegistryOptions => {
    const cloud = o.cloud ?? env.TIBILLET_CLOUD;
    if (!cloud) throw new FlashError('no-cloud', 'no cloud URL: pass --cloud or set TIBILLET_CLOUD');
    return { cloud, apiKey: o.apiKey ?? env.TIBILLET_API_KEY ?? '' };
  };

  /** The port given, or the only board detected. */
  const pickPort = async (port: string | undefined): Promise<string> => {
    if (port) return port;
    const found = (
      await detect({
        binding: deps.binding,
        lister: deps.lister,
        baudRate: g().baud,
        probeTimeoutMs: deps.probeTimeoutMs,
      })
    ).filter((p) => p.interpreter);
    if (found.length === 1) return found[0].path;
    if (found.length === 0)
      throw new FlashError(
        'no-board',
        'no board found: check the USB cable (a data cable, not charge-only), the CP210x/CH340 driver, and the baud rate',
      );
    throw new FlashError(
      'many-boards',
      `${found.length} boards found (${found.map((p) => p.path).join(', ')}): give the port, or use batch`,
    );
  };

  program
    .command('detect')
    .description(
      'list serial ports, recognise USB-serial bridges (CP210x, CH340, FTDI, Pico CDC) and probe for an Espruino/NodeMCU prompt',
    )
    .option('--all', 'also list ports with no known USB bridge')
    .option('--no-probe', 'do not open the ports')
    .action(async (o: { all?: boolean; probe: boolean }) => {
      const ports = await detect({
        binding: deps.binding,
        lister: deps.lister,
        all: o.all,
        probe: o.probe,
        baudRate: g().baud,
        probeTimeoutMs: deps.probeTimeoutMs,
      });
      const rows = ports.map((p) => [
        p.path,
        p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : '',
        p.chip ?? '?',
        p.interpreter ? `${p.interpreter} ${p.version ?? ''}`.trim() : '',
        p.note ?? '',
      ]);
      emit(
        ports,
        ports.length
          ? formatTable(['port', 'usb id', 'bridge', 'interpreter', 'note'], rows)
          : o.all
            ? 'no serial ports found'
            : 'no serial ports with a known USB bridge (try --all)',
      );
    });

  program
    .command('flash')
    .description(
      'upload the firmware bundle for the board found on the port, verify it by read-back, then activate it',
    )
    .argument('[port]', 'serial port (default: the only board detected)')
    .addOption(new Option('--board <kind>', 'expected interpreter').argParser(boardKind))
    .option('--bundle <file>', 'firmware bundle to upload instead of firmware/dist')
    .option('--build', 'build the firmware package if its bundle is missing')
    .option('--force', 'upload even when the board already has this bundle')
    .option('--no-reboot', 'do not restart the board at the end')
    .action(
      async (
        port: string | undefined,
        o: { board?: BoardKind; bundle?: string; build?: boolean; force?: boolean; reboot: boolean },
      ) => {
        const path = await pickPort(port);
        const board = await open(path, o.board);
        const progress = showProgress() ? barsProgress() : silentProgress();
        try {
          const bundle = loadBundle(board.kind, { bundle: o.bundle, build: o.build });
          progress.start(path);
          const r = await flashBoard(board, bundle.data, {
            bootCode: bundle.boot,
            files: bundle.files,
            reboot: o.reboot,
            skipUnchanged: !o.force,
            onProgress: (d, t) => progress.update(path, d / t, 'upload'),
          });
          progress.finish(path, true);
          progress.stop();
          emit(
            { ...r, firmware: bundle.firmware },
            r.unchanged
              ? `${path}: ${r.board} already runs ${bundle.firmware} (checksum ${r.checksum}); nothing written (--force to upload anyway)`
              : `${path}: flashed ${r.bytes} bytes of ${bundle.firmware} to ${r.board} ${r.interpreter} as ${r.file}${r.files ? ` (+ ${r.files.join(', ')})` : ''}, read-back checksum ${r.checksum} OK (${r.ms} ms)`,
          );
        } finally {
          progress.stop();
          await board.close();
        }
      },
    );

  const provisionOptions = (c: Command) =>
    c
      .option('--venue <id>', 'venue id (env TIBILLET_VENUE)', env.TIBILLET_VENUE)
      .option('--wifi-ssid <ssid>', 'Wi-Fi network (env TIBILLET_WIFI_SSID)', env.TIBILLET_WIFI_SSID)
      .option('--wifi-pass <pass>', 'Wi-Fi password (env TIBILLET_WIFI_PASS)', env.TIBILLET_WIFI_PASS ?? '')
      .option('--mqtt <url>', "the venue gateway's MQTT URL (env TIBILLET_MQTT)", env.TIBILLET_MQTT)
      .option('--cloud <url>', 'cloud base URL (env TIBILLET_CLOUD)')
      .option('--api-key <key>', 'cloud API key (env TIBILLET_API_KEY)')
      .option('--profile <name>', 'board profile recorded for the firmware (e.g. esp32-devkitc, pico-w)')
      .option('--bus <bus>', 'PN532 interface: hsu, i2c or spi (firmware default hsu)')
      .option('--lang <lang>', 'terminal language: fr or en')
      .option('--no-register', 'do not register the key in the cloud (offline preparation)');
  interface ProvOpts {
    venue?: string;
    wifiSsid?: string;
    wifiPass: string;
    mqtt?: string;
    cloud?: string;
    apiKey?: string;
    register: boolean;
    profile?: string;
    bus?: string;
    lang?: string;
  }
  const provisionInput = (o: ProvOpts) => {
    for (const [k, v] of [
      ['--venue', o.venue],
      ['--wifi-ssid', o.wifiSsid],
      ['--mqtt', o.mqtt],
    ] as const) {
      if (!v) throw new FlashError('bad-input', `${k} is required`);
    }
    return {
      venueId: o.venue as string,
      wifiSsid: o.wifiSsid as string,
      wifiPass: o.wifiPass,
      mqttUrl: o.mqtt as string,
      profile: o.profile,
      bus: o.bus,
      lang: o.lang,
    };
  };

  provisionOptions(
    program
      .command('provision')
      .description(
        'write Wi-Fi, MQTT URL, venue, device id and a fresh device key to the board; register the key in the cloud',
      )
      .argument('[port]', 'serial port (default: the only board detected)')
      .requiredOption('--device <id>', 'device id'),
  )
    .option('--show-key', 'print the device key (it is never printed otherwise)')
    .option('--bundle <file>', 'bundle whose version is recorded in the registry')
    .action(
      async (
        port: string | undefined,
        o: ProvOpts & { device: string; showKey?: boolean; bundle?: string },
      ) => {
        const input = { ...provisionInput(o), deviceId: o.device };
        const reg = o.register ? registry(o) : undefined;
        const path = await pickPort(port);
        const board = await open(path);
        try {
          let firmware = `unknown-${board.kind}`;
          try {
            firmware = loadBundle(board.kind, { bundle: o.bundle }).firmware;
          } catch {
            // the registry only records it
          }
          const r = await provisionBoard(board, input, { registry: reg, firmware });
          const { keyHex, ...shown } = r;
          emit(
            o.showKey ? r : shown,
            [
              `${path}: provisioned ${r.deviceId} for venue ${r.venueId} (${r.board})${r.registered ? ', key registered in the cloud' : ', key NOT registered (--no-register)'}`,
              o.showKey
                ? `device key: ${keyHex}`
                : 'device key written to the board only (--show-key to print it)',
            ].join('\n'),
          );
        } finally {
          await board.close();
        }
      },
    );

  program
    .command('selftest')
    .description(
      "run the terminal's maintenance self-test: PN532, card read, display/buzzer/LED, Wi-Fi, MQTT",
    )
    .argument('[port]', 'serial port (default: the only board detected)')
    .option('--timeout <ms>', 'how long the test may take', int('milliseconds', 100, 600_000), 15_000)
    .action(async (port: string | undefined, o: { timeout: number }) => {
      const path = await pickPort(port);
      const board = await open(path);
      try {
        const r = await selftestBoard(board, o.timeout);
        emit(r, formatSelftest(r));
        if (!r.pass) process.exitCode = 1;
      } finally {
        await board.close();
      }
    });

  program
    .command('register')
    .description('register a device key in the cloud registry (provision does this for you)')
    .argument('<deviceId>')
    .requiredOption('--venue <id>', 'venue id')
    .addOption(new Option('--board <kind>', 'board interpreter').argParser(boardKind).makeOptionMandatory())
    .option('--firmware <version>', 'firmware version', 'unknown')
    .option('--key-hex <hex>', 'the device key (env TIBILLET_DEVICE_KEY)')
    .option('--cloud <url>', 'cloud base URL (env TIBILLET_CLOUD)')
    .option('--api-key <key>', 'cloud API key (env TIBILLET_API_KEY)')
    .action(
      async (
        deviceId: string,
        o: {
          venue: string;
          board: BoardKind;
          firmware: string;
          keyHex?: string;
          cloud?: string;
          apiKey?: string;
        },
      ) => {
        const keyHex = o.keyHex ?? env.TIBILLET_DEVICE_KEY;
        if (!keyHex || !/^[0-9a-fA-F]{32,128}$/.test(keyHex))
          throw new FlashError(
            'bad-input',
            'a device key of at least 16 bytes of hex is required (--key-hex or TIBILLET_DEVICE_KEY)',
          );
        await registerDevice(registry(o), {
          deviceId,
          venueId: o.venue,
          board: o.board,
          firmware: o.firmware,
          keyHex,
        });
        emit({ deviceId, registered: true }, `${deviceId}: registered`);
      },
    );

  program
    .command('revoke')
    .description('revoke device keys in the cloud (end of a rental, lost terminal)')
    .argument('<deviceIds...>')
    .option('--cloud <url>', 'cloud base URL (env TIBILLET_CLOUD)')
    .option('--api-key <key>', 'cloud API key (env TIBILLET_API_KEY)')
    .action(async (ids: string[], o: { cloud?: string; apiKey?: string }) => {
      const reg = registry(o);
      const results: { deviceId: string; revoked: boolean; error?: string }[] = [];
      for (const id of ids) {
        try {
          await revokeDevice(reg, id);
          results.push({ deviceId: id, revoked: true });
        } catch (e) {
          results.push({ deviceId: id, revoked: false, error: errorMessage(e) });
        }
      }
      emit(
        results,
        results
          .map((r) => (r.revoked ? `${r.deviceId}: revoked` : `${r.deviceId}: NOT revoked: ${r.error}`))
          .join('\n'),
      );
      if (results.some((r) => !r.revoked)) process.exitCode = 1;
    });

  provisionOptions(
    program
      .command('batch')
      .description(
        'flash / provision / self-test several boards, in parallel or one after another; resumable',
      )
      .argument('[ports...]', 'serial ports (default: every board detected)')
      .option('--steps <list>', `comma-separated steps among ${BATCH_STEPS.join(',')}`, list, ['flash'])
      .option('--serial', 'one board after another (default: all in parallel)')
      .option('--concurrency <n>', 'boards at the same time', int('a count', 1, 64))
      .option('--ids <list>', 'device ids, in port order', list)
      .option('--id-prefix <prefix>', 'device ids made of a prefix and a number (e.g. T- → T-001)')
      .option('--start <n>', 'first number for --id-prefix', int('a number', 0, 1e9), 1)
      .option('--state <file>', 'state file for resuming', '.tibillet-flash-state.json')
      .option('--bundle-espruino <file>', 'Espruino bundle instead of firmware/dist')
      .option('--bundle-nodemcu <file>', 'NodeMCU bundle instead of firmware/dist')
      .option('--build', 'build the firmware package if a bundle is missing')
      .option('--force', 'upload even to boards that already have the bundle'),
  ).action(
    async (
      ports: string[],
      o: ProvOpts & {
        steps: string[];
        serial?: boolean;
        concurrency?: number;
        ids?: string[];
        idPrefix?: string;
        start: number;
        state: string;
        bundleEspruino?: string;
        bundleNodemcu?: string;
        build?: boolean;
        force?: boolean;
      },
    ) => {
      const steps = o.steps as BatchStep[];
      for (const s of steps)
        if (!BATCH_STEPS.includes(s))
          throw new FlashError('bad-input', `unknown step ${s} (${BATCH_STEPS.join(', ')})`);
      let paths = ports;
      if (paths.length === 0) {
        const found = await detect({
          binding: deps.binding,
          lister: deps.lister,
          baudRate: g().baud,
          probeTimeoutMs: deps.probeTimeoutMs,
        });
        paths = found.filter((p) => p.interpreter).map((p) => p.path);
        if (paths.length === 0)
          throw new FlashError(
            'no-board',
            'no board found: check the USB cables and the baud rate, or give the ports',
          );
      }
      const ids = deviceIds(paths.length, { ids: o.ids, prefix: o.idPrefix, start: o.start });
      const provision = steps.includes('provision')
        ? { ...provisionInput(o), registry: o.register ? registry(o) : undefined }
        : undefined;
      const bundles = new Map<BoardKind, ReturnType<typeof loadBundle>>();
      const bundleFor = (kind: BoardKind) => {
        let b = bundles.get(kind);
        if (!b) {
          b = loadBundle(kind, {
            bundle: kind === 'espruino' ? o.bundleEspruino : o.bundleNodemcu,
            build: o.build,
          });
          bundles.set(kind, b);
        }
        return b;
      };
      const summary = await runBatch({
        jobs: paths.map((path, i) => ({ path, deviceId: ids[i] })),
        steps,
        concurrency: o.serial ? 1 : (o.concurrency ?? paths.length),
        open: (path) => open(path),
        bundleFor,
        provision,
        statePath: o.state,
        progress: showProgress() ? barsProgress() : silentProgress(),
        skipUnchanged: !o.force,
      });
      emit(summary, formatSummary(summary, steps));
      if (summary.failed > 0) process.exitCode = 1;
    },
  );

  program
    .command('label')
    .description('write a box label with a QR code of the device id (SVG or PNG)')
    .argument('<deviceId>')
    .option('--subtitle <text>', 'second line (venue, board, rental dates)')
    .addOption(new Option('--format <fmt>', 'svg or png').choices(['svg', 'png']))
    .option('-o, --output <file>', 'output file (default <deviceId>.<format>)')
    .action((deviceId: string, o: { subtitle?: string; format?: 'svg' | 'png'; output?: string }) => {
      const format = o.format ?? (o.output?.toLowerCase().endsWith('.png') ? 'png' : 'svg');
      const file = o.output ?? `${deviceId}.${format}`;
      const input = { deviceId, subtitle: o.subtitle };
      writeFileSync(file, format === 'png' ? labelPng(input) : labelSvg(input));
      emit({ deviceId, file, format }, `${deviceId}: label written to ${file}`);
    });

  return program;
}

export interface CliResult {
  code: number;
}

/** Runs the CLI; errors become one clear line on stderr and exit code 1 (2 for usage errors). */
export async function runCli(argv: string[], deps: CliDeps = {}): Promise<CliResult> {
  const err = deps.err ?? ((s: string) => process.stderr.write(`${s}\n`));
  const program = createProgram(deps);
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: 'user' });
    const code = Number(process.exitCode ?? 0);
    return { code };
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.exitCode === 0 ? 0 : 2 };
    const json = program.opts<GlobalOpts>().json;
    err(json ? JSON.stringify({ error: errorMessage(e), code: errorCode(e) }) : `error: ${errorMessage(e)}`);
    return { code: 1 };
  } finally {
    process.exitCode = before;
  }
}

function isMain(): boolean {
  try {
    return (
      process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
    );
  } catch {
    return false;
  }
}

if (isMain()) {
  const { code } = await runCli(process.argv.slice(2));
  process.exitCode = code;
}
