/**
 * Test-only simulated boards behind `@serialport/binding-mock`: an Espruino REPL and a NodeMCU
 * Lua REPL that understand the commands tibillet-flash sends (a tiny interpreter of exactly
 * those forms), keep a Storage / file system, can corrupt a write, lose power mid-upload, sit
 * at the wrong baud rate, or have a silent PN532. The maintenance self-test drives the
 * firmware's PN532 driver against its PN532 simulator.
 */
import { MockBinding } from '@serialport/binding-mock';
import { pn532 } from '@tibillet/firmware';
import { adler32, crc32 } from '../src/checksum.js';
import type { BindingInterface } from '../src/ports/link.js';
import type { BoardKind } from '../src/repl/board.js';
import { nodemcuHelpers } from '../src/repl/nodemcu.js';

export interface SimBoardOptions {
  kind: BoardKind;
  path?: string;
  vendorId?: string;
  productId?: string;
  /** The baud rate the board's UART runs at (default 115200). */
  baudRate?: number;
  /** A blank board: nothing answers. */
  silent?: boolean;
  /** Echo input lines like the real REPLs (default true). */
  echo?: boolean;
  /** Flip a byte in the n-th file write chunk (0-based). */
  corruptChunk?: number;
  /** Lose power after n file write chunks: the board stops answering until powerCycle(). */
  powerCutAfterChunks?: number;
  /** The PN532 behind the board: answering (default) or silent (DIP switches on the wrong interface). */
  pn532?: 'ok' | 'silent';
  /** UID of the card on the reader during the self-test (none: no card). */
  cardUid?: number[];
  /** Delay before each reply, ms (default 0). */
  latencyMs?: number;
}

type MockPort = {
  isOpen: boolean;
  openOptions: { baudRate: number };
  write(b: Buffer): Promise<void>;
  emitData(d: Buffer | string): void;
};

const mock = MockBinding as unknown as {
  createPort(path: string, o?: Record<string, unknown>): void;
  open(o: { path: string; baudRate: number }): Promise<MockPort>;
};

let counter = 0;

/** A JSON string literal in a regex, its contents captured. */
const S = '"((?:[^"\\\\]|\\\\.)*)"';
const jsonStr = (s: string) => JSON.parse(`"${s}"`) as string;

export class SimBoard {
  readonly path: string;
  readonly files = new Map<string, Buffer>();
  /** Lines the board received, for assertions. */
  readonly received: string[] = [];
  chunksWritten = 0;
  dead = false;
  /** The flashed firmware is running (its maintenance functions exist). */
  running = false;
  private port: MockPort | undefined;
  private line = '';
  private helpers = new Set<string>();
  private openFile: string | undefined;

  constructor(readonly opts: SimBoardOptions) {
    this.path = opts.path ?? `/dev/ttySIM${counter++}`;
  }

  get kind(): BoardKind {
    return this.opts.kind;
  }

  file(name: string): Buffer | undefined {
    return this.files.get(name);
  }

  json(name: string): unknown {
    const f = this.files.get(name);
    return f === undefined ? undefined : JSON.parse(f.toString('utf8'));
  }

  /** Power off and on: RAM (helpers, open files) is lost, the boot code runs. */
  powerCycle(): void {
    this.dead = false;
    this.helpers.clear();
    this.openFile = undefined;
    this.line = '';
    this.boot();
  }

  attach(port: MockPort): void {
    this.port = port;
    this.line = '';
    const original = port.write.bind(port);
    port.write = async (buf: Buffer) => {
      await original(buf);
      this.receive(buf);
    };
  }

  private emit(text: string): void {
    const port = this.port;
    if (!port) return;
    const send = () => {
      if (port.isOpen && port === this.port) port.emitData(Buffer.from(text, 'latin1'));
    };
    if (this.opts.latencyMs) setTimeout(send, this.opts.latencyMs);
    else setImmediate(send);
  }

  private receive(buf: Buffer): void {
    if (this.opts.silent || this.dead || !this.port) return;
    if (this.port.openOptions.baudRate !== (this.opts.baudRate ?? 115200)) {
      // wrong baud rate: the UART sees framing errors and the host reads garbage back
      this.emit('\xfe\xf8\x80\xff\xe0');
      return;
    }
    for (const byte of buf) {
      const ch = String.fromCharCode(byte);
      if (ch === '\n') {
        const line = this.line.replace(/\r$/, '');
        this.line = '';
        this.received.push(line);
        if (this.kind === 'espruino') this.espruinoLine(line);
        else this.luaLine(line);
        if (this.dead) return;
      } else if (ch === '\x03' && this.kind === 'espruino') {
        this.line = '';
      } else {
        this.line += ch;
      }
    }
  }

  // ---- file writes shared by both interpreters -----------------------------------------

  private writeChunk(name: string, offset: number, data: Buffer, size?: number): boolean {
    const n = this.chunksWritten++;
    if (this.opts.powerCutAfterChunks !== undefined && n >= this.opts.powerCutAfterChunks) {
      this.dead = true;
      return false;
    }
    const bytes = Buffer.from(data);
    if (n === this.opts.corruptChunk && bytes.length > 0) bytes[bytes.length >> 1] ^= 0x20;
    let f = this.files.get(name);
    if (offset === 0 && size !== undefined) f = Buffer.alloc(size, 0xff); // Espruino: new file of `size`, erased flash
    f ??= Buffer.alloc(0);
    if (size === undefined) f = Buffer.concat([f, bytes]);
    else bytes.copy(f, offset);
    this.files.set(name, f);
    return true;
  }

  private boot(): void {
    if (this.kind === 'espruino') {
      const boot = this.files.get('.bootcde')?.toString('latin1');
      this.running = boot === 'eval(require("Storage").read("tb.js"));' && this.files.has('tb.js');
      this.emit(
        `\r\n _____                 _\r\n|   __|___ ___ ___ _ _|_|___ ___\r\n 2v29 (c) 2025 G.Williams\r\n>`,
      );
    } else {
      const init = this.files.get('init.lua')?.toString('latin1') ?? '';
      this.running = init.includes('"terminal.lua"') && this.files.has('terminal.lua');
      this.emit(
        `\r\n\x00\xe0rl\x00NodeMCU 3.0.0.0 built on nodemcu-build.com\r\n lua: cannot open init.lua\r\n> `.replace(
          ' lua: cannot open init.lua\r\n',
          this.running ? '' : ' lua: cannot open init.lua\r\n',
        ),
      );
    }
  }

  // ---- the maintenance self-test, with the PN532 simulator behind the board ------------

  private selftest(): Record<string, { ok: boolean; detail: string }> {
    const r = pn532.simulatedReader({ sim: { awake: false }, driver: { retries: 1, watchdogErrors: 99 } });
    if (this.opts.pn532 === 'silent') r.sim.faults.hung = true;
    if (this.opts.cardUid) r.sim.placeCard(pn532.uidCard(this.opts.cardUid));
    const run = <T>(start: (cb: pn532.Pn532Callback<T>) => void): pn532.Pn532Result<T> => {
      let result: pn532.Pn532Result<T> | undefined;
      start((x) => {
        result = x;
      });
      r.clock.runUntil(() => result !== undefined, 5000);
      return result ?? { ok: false, reason: 'pn532-timeout' };
    };
    const report: Record<string, { ok: boolean; detail: string }> = {};
    const woke = run<boolean>((cb) => r.driver.wakeUp(cb));
    const fw = woke.ok ? run<pn532.FirmwareVersion>((cb) => r.driver.getFirmwareVersion(cb)) : woke;
    report.pn532 = fw.ok
      ? { ok: true, detail: `IC 0x${fw.value.ic.toString(16)} v${fw.value.ver}.${fw.value.rev}` }
      : { ok: false, detail: fw.reason };
    if (fw.ok) {
      const card = run<pn532.TargetInfo | undefined>((cb) => r.driver.inListPassiveTarget(cb, 200));
      report.card =
        card.ok && card.value
          ? { ok: true, detail: `UID ${card.value.uid}` }
          : { ok: false, detail: card.ok ? 'no card' : card.reason };
    } else {
      report.card = { ok: false, detail: 'skipped: no PN532' };
    }
    report.display = { ok: true, detail: 'SSD1306 128x64' };
    report.buzzer = { ok: true, detail: '' };
    report.led = { ok: true, detail: '' };
    const prov = this.files.get('tb.prov');
    if (prov) {
      const p = JSON.parse(prov.toString('utf8')) as { ssid: string; mqtt: string };
      report.wifi = { ok: true, detail: `${p.ssid} -52 dBm` };
      report.mqtt = { ok: true, detail: p.mqtt };
    } else {
      report.wifi = { ok: false, detail: 'not provisioned' };
      report.mqtt = { ok: false, detail: 'not provisioned' };
    }
    return report;
  }

  // ---- Espruino -----------------------------------------------------------------------

  private espruinoLine(raw: string): void {
    const quiet = raw.startsWith('\x10');
    const line = quiet ? raw.slice(1) : raw;
    let out = quiet || this.opts.echo === false ? '' : `${line}\r\n`;
    const sync =
      /^try\{var __r=\((.*)\);print\("@@OK "\+JSON\.stringify\(__r===undefined\?null:__r\)\)\}catch\(e\)\{print\("@@ERR "\+e\)\}$/.exec(
        line,
      );
    const async =
      /^try\{(\w+)\(function\(r\)\{print\("@@OK "\+JSON\.stringify\(r\)\)\}\)\}catch\(e\)\{print\("@@ERR "\+e\)\}$/.exec(
        line,
      );
    if (line === '') {
      // just a prompt
    } else if (line === 'print("@@E "+process.env.VERSION)') {
      out += '@@E 2v29\r\n';
    } else if (line === 'load()') {
      this.emit(out);
      this.boot();
      return;
    } else if (sync) {
      try {
        const v = this.espruinoEval(sync[1]);
        if (this.dead) return;
        out += `@@OK ${JSON.stringify(v === undefined ? null : v)}\r\n`;
      } catch (e) {
        out += `@@ERR ${(e as Error).message}\r\n`;
      }
    } else if (async) {
      if (async[1] === 'tbSelftest' && this.running) {
        const report = this.selftest();
        this.emit(out);
        setTimeout(() => this.emit(`@@OK ${JSON.stringify(report)}\r\n>`), 5);
        return;
      }
      out += `@@ERR ReferenceError: "${async[1]}" is not defined\r\n`;
    } else {
      out += `Uncaught SyntaxError: Got ?[${line.charCodeAt(0)}] expected EOF\r\n at line 1 col 1\r\n`;
    }
    this.emit(`${out}>`);
  }

  private espruinoEval(expr: string): unknown {
    if (expr === 'process.env.VERSION') return '2v29';
    if (expr === 'reset()') {
      this.running = false;
      return undefined;
    }
    const write = new RegExp(
      `^require\\("Storage"\\)\\.write\\(${S},atob\\("([A-Za-z0-9+/=]*)"\\),(\\d+),(\\d+)\\)$`,
    ).exec(expr);
    if (write) {
      const m = write;
      const size = Number(m[4]);
      const off = Number(m[3]);
      const data = Buffer.from(m[2], 'base64');
      if (off + data.length > size) throw new Error('Error: Too much data for file size');
      return this.writeChunk(jsonStr(m[1]), off, data, size);
    }
    const erase = new RegExp(`^require\\("Storage"\\)\\.erase\\(${S}\\)$`).exec(expr);
    if (erase) {
      this.files.delete(jsonStr(erase[1]));
      return undefined;
    }
    const sum = new RegExp(
      `^\\(function\\(f\\)\\{return f===undefined\\?null:\\[f\\.length,E\\.CRC32\\(f\\)>>>0\\]\\}\\)\\(require\\("Storage"\\)\\.read\\(${S}\\)\\)$`,
    ).exec(expr);
    if (sum) {
      const f = this.files.get(jsonStr(sum[1]));
      return f === undefined ? null : [f.length, crc32(f)];
    }
    throw new Error(`SyntaxError: sim does not understand ${expr.slice(0, 60)}`);
  }

  // ---- NodeMCU ------------------------------------------------------------------------

  private luaLine(line: string): void {
    let out = this.opts.echo === false ? '' : `${line}\r\n`;
    const reply = (ok: boolean, v: string) => {
      out += `${ok ? '@@OK' : '@@ERR'} ${v}\r\n`;
    };
    const tbx = /^__tbx\(function\(\) (.*) end\)$/.exec(line);
    const tbw = /^__tbw\("([0-9a-f]*)"\)$/.exec(line);
    const tbs = /^__tbs\((".*")\)$/.exec(line);
    if (line.length > 255) {
      out += 'stdin:1: line too long\r\n';
    } else if (line === 'print("@@N "..tostring(node.heap()))') {
      out += '@@N 41234\r\n';
    } else if (line.startsWith('function __tb')) {
      if (!nodemcuHelpers.includes(line)) out += 'stdin:1: unexpected symbol\r\n';
      else this.helpers.add(line.slice('function '.length, line.indexOf('(')));
    } else if (tbx) {
      if (!this.helpers.has('__tbx')) out += "stdin:1: attempt to call global '__tbx' (a nil value)\r\n";
      else {
        try {
          reply(true, this.luaBody(tbx[1]));
        } catch (e) {
          reply(false, `stdin:1: ${(e as Error).message}`);
        }
      }
    } else if (tbw && this.helpers.has('__tbw')) {
      if (!this.openFile) reply(false, 'stdin:1: assertion failed!');
      else {
        const data = Buffer.from(tbw[1], 'hex');
        if (!this.writeChunk(this.openFile, 0, data)) return;
        reply(true, String(data.length));
      }
    } else if (tbs && this.helpers.has('__tbs')) {
      const f = this.files.get(JSON.parse(tbs[1]) as string);
      reply(true, f === undefined ? 'none' : `${f.length}:${adler32(f)}`);
    } else if (line === '__tba(tbselftest)' && this.helpers.has('__tba')) {
      if (!this.running) reply(false, 'attempt to call a nil value');
      else {
        const report = this.selftest();
        this.emit(out);
        setTimeout(() => this.emit(`@@OK ${JSON.stringify(report)}\r\n> `), 5);
        return;
      }
    } else if (line === 'node.restart()') {
      this.emit(out);
      this.helpers.clear();
      this.openFile = undefined;
      this.boot();
      return;
    } else if (line !== '') {
      out += `stdin:1: unexpected symbol near '${line.slice(0, 1)}'\r\n`;
    }
    this.emit(`${out}> `);
  }

  private luaBody(body: string): string {
    if (body === 'return type(__tba)..type(__tbw)..type(__tbad)..type(__tbs)') {
      return ['__tba', '__tbw', '__tbad', '__tbs']
        .map((h) => (this.helpers.has(h) ? 'function' : 'nil'))
        .join('');
    }
    if (
      body ===
      'local ok,a,b,c=pcall(node.info) if ok and type(a)=="number" then return a.."."..b.."."..c end return "?"'
    )
      return '3.0.0';
    if (body === 'for i=0,6 do pcall(tmr.stop,i) end return true') {
      this.running = false;
      return 'true';
    }
    const open = /^file\.close\(\) return file\.open\((".*"),"w\+"\) and true$/.exec(body);
    if (open) {
      this.openFile = JSON.parse(open[1]) as string;
      this.files.set(this.openFile, Buffer.alloc(0));
      return 'true';
    }
    if (body === 'file.close() return true') {
      this.openFile = undefined;
      return 'true';
    }
    const remove = /^file\.remove\((".*")\) return true$/.exec(body);
    if (remove) {
      this.files.delete(JSON.parse(remove[1]) as string);
      return 'true';
    }
    throw new Error(`sim does not understand ${body.slice(0, 60)}`);
  }
}

/** A set of simulated boards and the serial binding that reaches them. */
export class SimBoards {
  private readonly boards = new Map<string, SimBoard>();

  readonly binding: BindingInterface;

  constructor() {
    const boards = this.boards;
    this.binding = {
      list: async () =>
        [...boards.values()].map((b) => ({
          path: b.path,
          manufacturer: 'sim',
          serialNumber: b.path.slice(-4),
          vendorId: b.opts.vendorId ?? (b.kind === 'espruino' ? '10c4' : '1a86'),
          productId: b.opts.productId ?? (b.kind === 'espruino' ? 'ea60' : '7523'),
          pnpId: undefined,
          locationId: undefined,
        })),
      open: async (o: { path: string; baudRate: number }) => {
        const port = await mock.open(o);
        boards.get(o.path)?.attach(port);
        return port;
      },
    } as unknown as BindingInterface;
  }

  add(opts: SimBoardOptions): SimBoard {
    const b = new SimBoard(opts);
    mock.createPort(b.path, { echo: false, record: false });
    this.boards.set(b.path, b);
    return b;
  }

  get(path: string): SimBoard | undefined {
    return this.boards.get(path);
  }
}
