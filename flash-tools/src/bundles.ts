/**
 * The firmware bundles to flash: firmware/dist/espruino/terminal.js (with the Storage modules it
 * loads, listed in dist/espruino/modules.json) and firmware/dist/nodemcu/terminal.lua.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage, FlashError } from './errors.js';
import type { BoardKind } from './repl/board.js';
import { espruinoNameProblem } from './repl/espruino.js';

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
  /** Files the firmware loads at run time, stored under `name` (Espruino Storage modules). */
  files?: { name: string; data: Uint8Array }[];
}

/** dist/espruino/modules.json, written by firmware/scripts/build-espruino.mjs. */
interface EspruinoManifest {
  modules: { storage: string; file: string }[];
}

/** The Storage modules listed in modules.json beside an Espruino bundle ([] without one). */
function espruinoModules(bundlePath: string): { name: string; data: Uint8Array }[] {
  const manifestPath = join(dirname(bundlePath), 'modules.json');
  if (!existsSync(manifestPath)) return [];
  let manifest: EspruinoManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as EspruinoManifest;
    if (!Array.isArray(manifest.modules)) throw new Error('no "modules" list');
  } catch (e) {
    throw new FlashError(
      'bad-bundle',
      `${manifestPath}: unreadable (${errorMessage(e)}); rebuild the firmware`,
    );
  }
  return manifest.modules.map((m) => {
    const problem = typeof m.storage === 'string' ? espruinoNameProblem(m.storage) : 'no storage name';
    if (problem !== undefined || typeof m.file !== 'string' || m.file.includes('/') || m.file.includes('\\'))
      throw new FlashError(
        'bad-bundle',
        `${manifestPath}: bad module entry ${JSON.stringify(m)}${problem ? `: ${problem}` : ''}`,
      );
    const file = join(dirname(bundlePath), m.file);
    if (!existsSync(file))
      throw new FlashError(
        'no-bundle',
        `${file} (listed in ${manifestPath}) not found: rebuild the firmware`,
      );
    const data = new Uint8Array(readFileSync(file));
    if (data.length === 0) throw new FlashError('no-bundle', `${file} is empty: rebuild the firmware`);
    return { name: m.storage, data };
  });
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
  const files = kind === 'espruino' ? espruinoModules(path) : [];
  // The firmware id covers what runs: the bundle and the modules it loads.
  const hash = createHash('sha256').update(data);
  for (const f of files) hash.update(`\0${f.name}\0${f.data.length}\0`).update(f.data);
  const digest = hash.digest('hex').slice(0, 8);
  const bundle: Bundle = { path, data, firmware: `${firmwareVersion()}-${kind}-${digest}` };
  if (files.length > 0) bundle.files = files;
  const bootPath = join(dirname(path), 'init.lua');
  if (kind === 'nodemcu' && existsSync(bootPath)) bundle.boot = new Uint8Array(readFileSync(bootPath));
  return bundle;
}
