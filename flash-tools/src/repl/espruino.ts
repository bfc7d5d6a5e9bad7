/**
 * Espruino REPL client. Each command is one line starting with Ctrl-P (0x10: no echo for that
 * line), wrapped so the board prints `@@OK <json>` or `@@ERR <error>`. Files go to Storage with
 * `require("Storage").write(name, atob(chunk), offset, size)`, the way the Espruino IDE saves
 * "to flash"; the read-back check is Espruino's own `E.CRC32` over the stored file.
 */
import { crc32 } from '../checksum.js';
import { FlashError } from '../errors.js';
import type { Link } from '../ports/link.js';
import type { BoardFiles, BoardRepl, FileSum } from './board.js';
import { ReplSession } from './session.js';

export const ESPRUINO_FILES: BoardFiles = { firmware: 'tb.js', boot: '.bootcde', provision: 'tb.prov' };

/** Espruino 2v29's longest Storage file name. */
export const ESPRUINO_MAX_NAME = 28;

/**
 * Why `name` cannot be an Espruino Storage file (the firmware's Storage modules, e.g. "tb-pn532",
 * are found by `require(name)` under exactly this name), or undefined when it can.
 */
export function espruinoNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > ESPRUINO_MAX_NAME)
    return `a Storage file name has 1 to ${ESPRUINO_MAX_NAME} characters (${JSON.stringify(name)} has ${name.length})`;
  if (!/^[\x21-\x7e]+$/.test(name)) return `${JSON.stringify(name)}: printable ASCII only, no spaces`;
  return undefined;
}

/** The exact expressions sent (the simulated board recognises these forms). */
export const espruinoCommands = {
  line: (expr: string) =>
    `\x10try{var __r=(${expr});print("@@OK "+JSON.stringify(__r===undefined?null:__r))}catch(e){print("@@ERR "+e)}\n`,
  asyncLine: (fn: string) =>
    `\x10try{${fn}(function(r){print("@@OK "+JSON.stringify(r))})}catch(e){print("@@ERR "+e)}\n`,
  version: 'process.env.VERSION',
  reset: 'reset()',
  write: (name: string, b64: string, offset: number, size: number) =>
    `require("Storage").write(${JSON.stringify(name)},atob("${b64}"),${offset},${size})`,
  erase: (name: string) => `require("Storage").erase(${JSON.stringify(name)})`,
  sum: (name: string) =>
    `(function(f){return f===undefined?null:[f.length,E.CRC32(f)>>>0]})(require("Storage").read(${JSON.stringify(name)}))`,
  selftest: 'tbSelftest',
  reboot: '\x10load()\n',
};

export interface EspruinoOptions {
  /** Raw bytes per Storage.write line (default 512). */
  chunkSize?: number;
  timeoutMs?: number;
}

export class EspruinoRepl implements BoardRepl {
  readonly kind = 'espruino' as const;
  readonly files = ESPRUINO_FILES;
  readonly session: ReplSession;
  private readonly chunkSize: number;
  private readonly timeoutMs: number;

  constructor(
    readonly link: Link,
    opts: EspruinoOptions = {},
    session?: ReplSession,
  ) {
    this.session = session ?? new ReplSession(link);
    this.chunkSize = opts.chunkSize ?? 512;
    this.timeoutMs = opts.timeoutMs ?? 3000;
  }

  get path(): string {
    return this.link.path;
  }

  /** Evaluates a JS expression on the board; resolves with its JSON-decoded value. */
  async eval(expr: string, what: string, timeoutMs = this.timeoutMs): Promise<unknown> {
    const r = await this.session.call(espruinoCommands.line(expr), timeoutMs, what);
    if (!r.ok) throw new FlashError('board-error', `${this.path}: ${what} failed on the board: ${r.value}`);
    try {
      return JSON.parse(r.value);
    } catch {
      throw new FlashError('bad-reply', `${this.path}: unreadable reply to ${what}: ${r.value.slice(0, 80)}`);
    }
  }

  async version(): Promise<string> {
    return String(await this.eval(espruinoCommands.version, 'version'));
  }

  async quiesce(): Promise<void> {
    await this.link.write('\x03');
    await this.eval(espruinoCommands.reset, 'reset()');
  }

  async writeFile(
    name: string,
    data: Uint8Array,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    const total = data.length;
    if (total === 0) throw new FlashError('empty-file', `refusing to write an empty ${name}`);
    const problem = espruinoNameProblem(name);
    if (problem !== undefined) throw new FlashError('bad-file-name', `${this.path}: ${problem}`);
    for (let off = 0; off < total; off += this.chunkSize) {
      const chunk = Buffer.from(data.subarray(off, Math.min(total, off + this.chunkSize))).toString('base64');
      const ok = await this.eval(
        espruinoCommands.write(name, chunk, off, total),
        `Storage.write ${name}@${off}`,
      );
      if (ok !== true)
        throw new FlashError(
          'storage-full',
          `${this.path}: Storage.write(${name}) at ${off} returned ${JSON.stringify(ok)} (Storage full? try require("Storage").compact())`,
        );
      onProgress?.(Math.min(total, off + this.chunkSize), total);
    }
  }

  async fileSum(name: string): Promise<FileSum | undefined> {
    const v = await this.eval(espruinoCommands.sum(name), `checksum of ${name}`, this.timeoutMs + 2000);
    if (v === null) return undefined;
    if (!Array.isArray(v) || v.length !== 2)
      throw new FlashError('bad-reply', `${this.path}: bad checksum reply ${JSON.stringify(v)}`);
    return { size: Number(v[0]), sum: Number(v[1]) >>> 0 };
  }

  localSum(data: Uint8Array): number {
    return crc32(data);
  }

  async removeFile(name: string): Promise<void> {
    await this.eval(espruinoCommands.erase(name), `erase ${name}`);
  }

  bootStub(): string {
    return `eval(require("Storage").read(${JSON.stringify(this.files.firmware)}));`;
  }

  async selftest(timeoutMs: number): Promise<unknown> {
    const r = await this.session.call(
      espruinoCommands.asyncLine(espruinoCommands.selftest),
      timeoutMs,
      'self-test',
    );
    if (!r.ok) {
      const hint = /tbSelftest/.test(r.value)
        ? ' (no maintenance mode in the running firmware: flash it first)'
        : '';
      throw new FlashError(
        'selftest-unavailable',
        `${this.path}: self-test failed to start: ${r.value}${hint}`,
      );
    }
    return JSON.parse(r.value);
  }

  async reboot(): Promise<void> {
    await this.link.write(espruinoCommands.reboot);
  }

  async close(): Promise<void> {
    this.session.close();
    await this.link.close();
  }
}
