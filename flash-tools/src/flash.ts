/**
 * `flash`: uploads the firmware bundle (and the files it loads at run time: the Espruino build's
 * Storage modules), verifies each by read-back, and only then writes the boot code that runs it.
 * The boot file is removed first, so a power cut or a corrupted upload leaves a board that boots
 * to a bare REPL, never a half-written terminal.
 */
import { FlashError } from './errors.js';
import type { BoardRepl } from './repl/board.js';

export interface FlashResult {
  path: string;
  board: string;
  interpreter: string;
  file: string;
  bytes: number;
  checksum: string;
  ms: number;
  /** The board already ran this exact bundle (skipUnchanged): nothing was written. */
  unchanged?: boolean;
  /** The run-time files written beside the bundle (FlashOptions.files), by name. */
  files?: string[];
}

export interface FlashOptions {
  onProgress?: (done: number, total: number) => void;
  /** Restart the board into the new firmware at the end (default true). */
  reboot?: boolean;
  /** Boot code to install (default: the board's stub that runs the firmware file). */
  bootCode?: Uint8Array;
  /** Skip the upload when the board already holds this bundle and its boot code (read-back sums). */
  skipUnchanged?: boolean;
  /** Files the firmware loads at run time (Bundle.files), written and verified before the bundle. */
  files?: { name: string; data: Uint8Array }[];
}

/** Reads a stored file's size and checksum back and compares them with what was sent. */
export async function verifyFile(board: BoardRepl, name: string, data: Uint8Array): Promise<string> {
  const want = { size: data.length, sum: board.localSum(data) };
  const got = await board.fileSum(name);
  if (!got) throw new FlashError('verify-failed', `${board.path}: ${name} is missing after the upload`);
  if (got.size !== want.size || got.sum !== want.sum) {
    throw new FlashError(
      'verify-failed',
      `${board.path}: read-back of ${name} does not match (size ${got.size}/${want.size}, checksum ${hex(got.sum)}/${hex(want.sum)}): the upload was corrupted; nothing was activated, flash again`,
    );
  }
  return hex(want.sum);
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

export async function flashBoard(
  board: BoardRepl,
  bundle: Uint8Array,
  o: FlashOptions = {},
): Promise<FlashResult> {
  const t0 = performance.now();
  const interpreter = await board.version();
  await board.quiesce();
  const { firmware, boot } = board.files;
  const files = o.files ?? [];
  const stub = o.bootCode ?? new TextEncoder().encode(board.bootStub());
  const result = (checksum: string, unchanged: boolean): FlashResult => ({
    path: board.path,
    board: board.kind,
    interpreter,
    file: firmware,
    bytes: bundle.length,
    checksum,
    ms: Math.round(performance.now() - t0),
    ...(unchanged ? { unchanged } : {}),
    ...(files.length > 0 ? { files: files.map((f) => f.name) } : {}),
  });
  const holds = async (name: string, data: Uint8Array) =>
    (await verifyFile(board, name, data).catch(() => undefined)) !== undefined;
  if (o.skipUnchanged) {
    const current = await verifyFile(board, firmware, bundle).catch(() => undefined);
    let same = current !== undefined && (await holds(boot, stub));
    for (const f of files) same = same && (await holds(f.name, f.data));
    if (same && current !== undefined) return result(current, true);
  }
  await board.removeFile(boot);
  for (const f of files) {
    await board.writeFile(f.name, f.data);
    await verifyFile(board, f.name, f.data); // the boot file is gone: a bad module activates nothing
  }
  await board.writeFile(firmware, bundle, o.onProgress);
  let checksum: string;
  try {
    checksum = await verifyFile(board, firmware, bundle);
  } catch (e) {
    await board.removeFile(firmware).catch(() => undefined);
    throw e;
  }
  await board.writeFile(boot, stub);
  try {
    await verifyFile(board, boot, stub);
  } catch (e) {
    await board.removeFile(boot).catch(() => undefined);
    throw e;
  }
  if (o.reboot !== false) await board.reboot();
  return result(checksum, false);
}
