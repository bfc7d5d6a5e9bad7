/**
 * NodeMCU (Lua) REPL client, after nodemcu-tool: a few helper functions are defined on the
 * board first (each line under the 255-character Lua input limit), then files are written
 * through `file.open`/`file.write` in hex-encoded chunks and checked with an Adler-32 the board
 * computes over the stored file. Every helper prints one framed line, `@@OK x` or `@@ERR e`.
 */
import { adler32 } from '../checksum.js';
import { FlashError } from '../errors.js';
import type { Link } from '../ports/link.js';
import type { BoardFiles, BoardRepl, FileSum } from './board.js';
import { ReplSession } from './session.js';

export const NODEMCU_FILES: BoardFiles = { firmware: 'terminal.lua', boot: 'init.lua', provision: 'tb.prov' };

/** Lua input lines are limited to 255 characters on NodeMCU. */
export const LUA_MAX_LINE = 255;

export const nodemcuHelpers = [
  'function __tbx(f) local ok,r=pcall(f) print((ok and "@@OK " or "@@ERR ")..tostring(r)) end',
  'function __tba(f) local ok,e=pcall(f,function(r) print("@@OK "..r) end) if not ok then print("@@ERR "..tostring(e)) end end',
  'function __tbw(h) __tbx(function() local t={} for c in h:gmatch("..") do t[#t+1]=string.char(tonumber(c,16)) end assert(file.write(table.concat(t))) return #t end) end',
  'function __tbad(s,a,b) for i=1,#s do a=(a+s:byte(i))%65521 b=(b+a)%65521 end return a,b end',
  'function __tbs(n) __tbx(function() if not file.open(n,"r") then return "none" end local a,b,l=1,0,0 while true do local s=file.read(256) if not s then break end l=l+#s a,b=__tbad(s,a,b) end file.close() return l..":"..(b*65536+a) end) end',
];

export const nodemcuCommands = {
  define: (helper: string) => `${helper}\n`,
  /** After the definitions: one reply saying which helpers exist. */
  confirm: '__tbx(function() return type(__tba)..type(__tbw)..type(__tbad)..type(__tbs) end)\n',
  call: (body: string) => `__tbx(function() ${body} end)\n`,
  version:
    'local ok,a,b,c=pcall(node.info) if ok and type(a)=="number" then return a.."."..b.."."..c end return "?"',
  quiesce: 'for i=0,6 do pcall(tmr.stop,i) end return true',
  open: (name: string) => `file.close() return file.open(${JSON.stringify(name)},"w+") and true`,
  chunk: (hex: string) => `__tbw("${hex}")\n`,
  close: 'file.close() return true',
  sum: (name: string) => `__tbs(${JSON.stringify(name)})\n`,
  remove: (name: string) => `file.remove(${JSON.stringify(name)}) return true`,
  selftest: '__tba(tbselftest)\n',
  reboot: 'node.restart()\n',
};

export interface NodemcuOptions {
  /** Raw bytes per file.write line (default 100: 200 hex characters, under the line limit). */
  chunkSize?: number;
  timeoutMs?: number;
}

export class NodemcuRepl implements BoardRepl {
  readonly kind = 'nodemcu' as const;
  readonly files = NODEMCU_FILES;
  readonly session: ReplSession;
  private readonly chunkSize: number;
  private readonly timeoutMs: number;
  private helpersReady = false;

  constructor(
    readonly link: Link,
    opts: NodemcuOptions = {},
    session?: ReplSession,
  ) {
    this.session = session ?? new ReplSession(link);
    this.chunkSize = Math.min(opts.chunkSize ?? 100, 110);
    this.timeoutMs = opts.timeoutMs ?? 3000;
  }

  get path(): string {
    return this.link.path;
  }

  private async send(line: string, what: string, timeoutMs = this.timeoutMs): Promise<string> {
    if (line.length > LUA_MAX_LINE + 1)
      throw new Error(`internal: Lua line too long (${line.length}) for ${what}`);
    const r = await this.session.call(line, timeoutMs, what);
    if (!r.ok) throw new FlashError('board-error', `${this.path}: ${what} failed on the board: ${r.value}`);
    return r.value;
  }

  private async helpers(): Promise<void> {
    if (this.helpersReady) return;
    for (const h of nodemcuHelpers) {
      const line = nodemcuCommands.define(h);
      if (line.length > LUA_MAX_LINE + 1) throw new Error(`internal: Lua helper too long (${line.length})`);
      await this.link.write(line);
    }
    const types = await this.send(nodemcuCommands.confirm, 'helper definitions');
    if (types !== 'function'.repeat(4))
      throw new FlashError(
        'board-error',
        `${this.path}: the Lua helpers did not load (${types}): is this NodeMCU firmware built with the file module?`,
      );
    this.helpersReady = true;
  }

  /** Runs a Lua function body on the board; resolves with tostring() of its result. */
  async run(body: string, what: string, timeoutMs?: number): Promise<string> {
    await this.helpers();
    return this.send(nodemcuCommands.call(body), what, timeoutMs);
  }

  version(): Promise<string> {
    return this.run(nodemcuCommands.version, 'version');
  }

  async quiesce(): Promise<void> {
    await this.run(nodemcuCommands.quiesce, 'stop timers');
  }

  async writeFile(
    name: string,
    data: Uint8Array,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    const total = data.length;
    if (total === 0) throw new FlashError('empty-file', `refusing to write an empty ${name}`);
    const opened = await this.run(nodemcuCommands.open(name), `file.open ${name}`);
    if (opened !== 'true')
      throw new FlashError(
        'fs-error',
        `${this.path}: cannot open ${name} for writing (file system full or not formatted? try file.format())`,
      );
    try {
      for (let off = 0; off < total; off += this.chunkSize) {
        const hex = Buffer.from(data.subarray(off, Math.min(total, off + this.chunkSize))).toString('hex');
        await this.send(nodemcuCommands.chunk(hex), `file.write ${name}@${off}`);
        onProgress?.(Math.min(total, off + this.chunkSize), total);
      }
    } finally {
      await this.run(nodemcuCommands.close, `file.close ${name}`).catch(() => undefined);
    }
  }

  async fileSum(name: string): Promise<FileSum | undefined> {
    await this.helpers();
    const v = await this.send(nodemcuCommands.sum(name), `checksum of ${name}`, this.timeoutMs + 5000);
    if (v === 'none') return undefined;
    const m = /^(\d+):(\d+)(?:\.0)?$/.exec(v);
    if (!m) throw new FlashError('bad-reply', `${this.path}: bad checksum reply ${v.slice(0, 80)}`);
    return { size: Number(m[1]), sum: Number(m[2]) };
  }

  localSum(data: Uint8Array): number {
    return adler32(data);
  }

  async removeFile(name: string): Promise<void> {
    await this.run(nodemcuCommands.remove(name), `file.remove ${name}`);
  }

  bootStub(): string {
    // A 3 s window after boot to stop the terminal from the REPL (tmr.stop) before it takes the UART.
    return `tmr.create():alarm(3000,tmr.ALARM_SINGLE,function() local fw=dofile(${JSON.stringify(this.files.firmware)}) if type(fw)=="table" and fw.start then fw.start() end end)\n`;
  }

  async selftest(timeoutMs: number): Promise<unknown> {
    await this.helpers();
    const r = await this.session.call(nodemcuCommands.selftest, timeoutMs, 'self-test');
    if (!r.ok) {
      const hint = /nil value/.test(r.value)
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
    await this.link.write(nodemcuCommands.reboot);
    this.helpersReady = false;
  }

  async close(): Promise<void> {
    this.session.close();
    await this.link.close();
  }
}
