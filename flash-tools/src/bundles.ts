/** The firmware bundles to flash: firmware/dist/espruino/terminal.js and firmware/dist/nodemcu/terminal.lua. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlashError } from './errors.js';
import type { BoardKind } from './repl/board.js';

/** flash-tools/src or flash-tools/dist → the monorepo's firmware/ package. */
const FIRMWARE_DIR = fileURLToPath(new URL('../../firmware/', import.meta.url));
const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));

export function defaultBundlePath(kind: BoardKind): string {
  return kind === 'espruino'
    ? `${FIRMWARE_DIR}dist/espruino/terminal.js`
    : `${FIRMWARE_DIR}dist/nodemcu/terminal.lua`;
}

export interface Bundle {
  path: string;
  data: Uint8Array;
  /** What the device registry records, e.g. "0.1.0-espruino-3f2a9c1e". */
  firmware: string;
  /** The firmware's own boot file shipped beside the bundle (NodeMCU init.lua), if any. */
  boot?: Uint8Array;
}

function firmwareVersion(): string {
  try {
    return (JSON.parse(readFileSync(`${FIRMWARE_DIR}package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export interface LoadBundleOptions {
  /** An explicit bundle file instead of the firmware package's build output. */
  bundle?: string;
  /** Build the firmware package when its bundle is missing. */
  build?: boolean;
}

export function loadBundle(kind: BoardKind, o: LoadBundleOptions = {}): Bundle {
  const path = o.bundle ?? defaultBundlePath(kind);
  if (!existsSync(path) && !o.bundle && o.build) {
    execFileSync('npm', ['run', 'build', '-w', '@tibillet/firmware'], { cwd: REPO_DIR, stdio: 'inherit' });
  }
  if (!existsSync(path)) {
    throw new FlashError(
      'no-bundle',
      `firmware bundle not found: ${path} (run \`npm run build -w firmware\`, pass --build, or give --bundle <file>)`,
    );
  }
  const data = new Uint8Array(readFileSync(path));
  if (data.length === 0) throw new FlashError('no-bundle', `firmware bundle ${path} is empty`);
  const digest = createHash('sha256').update(data).digest('hex').slice(0, 8);
  const bundle: Bundle = { path, data, firmware: `${firmwareVersion()}-${kind}-${digest}` };
  const bootPath = join(dirname(path), 'init.lua');
  if (kind === 'nodemcu' && existsSync(bootPath)) bundle.boot = new Uint8Array(readFileSync(bootPath));
  return bundle;
}
