/**
 * PN532 driver: one command in flight, a bounded queue behind it, per-frame timeouts and the
 * recovery rules of UM0701 §6.2.1: a missing ACK → the command is sent again; a corrupted
 * response → NACK, the chip sends the response again; no response in time → ACK (abort) and a
 * 'pn532-timeout' error. After `watchdogErrors` consecutive failures the chip is hard-reset
 * through the `reset` hook (RSTPDN on a GPIO) and initialised again.
 * Everything is callbacks and HAL timers: no promises, no blocking.
 */
import type { Clock } from '../hal/types.js';
import { type DecoderEvent, FrameDecoder } from './decoder.js';
import { ACK_FRAME, CMD, commandFrame, NACK_FRAME } from './frame.js';
import { statusCode, statusName } from './status.js';
import { parseTypeATarget, type TargetInfo, upperHex } from './target.js';
import type { Pn532Transport } from './transport.js';

/**
 * reason: 'pn532-timeout' (no ACK after the retries, or no response in time), 'pn532-syntax-error'
 * (the chip sent its error frame), 'pn532-bad-response' (malformed parameters), 'pn532-bad-uid-length',
 * 'pn532-bad-ats', 'pn532-busy' (queue full), or 'pn532-' + a status name
 * (e.g. 'pn532-rf-timeout' for status 0x01) with the raw `status` byte.
 */
export type Pn532Result<T> = { ok: true; value: T } | { ok: false; reason: string; status?: number };
export type Pn532Callback<T> = (this: void, r: Pn532Result<T>) => void;

export interface FirmwareVersion {
  ic: number;
  ver: number;
  rev: number;
  support: number;
}

export type DriverEvent =
  | { type: 'reset'; hard: boolean; resets: number }
  | { type: 'exchange-failed'; reason: string }
  | { type: 'log'; line: string };

export interface DriverOptions {
  clock: Clock;
  transport: Pn532Transport;
  /** ms to wait for the ACK before sending the command again (default 30). */
  ackTimeoutMs?: number;
  /** ms to wait for the response after the ACK, unless a command gives its own (default 500). */
  responseTimeoutMs?: number;
  /** Resends after a missing ACK, and NACKs after a corrupted response (default 2 each). */
  retries?: number;
  /** Consecutive failed commands before the watchdog resets the chip (default 3). */
  watchdogErrors?: number;
  /** Hard reset (pulse RSTPDN low, wait for boot), then call done(). Without it the watchdog only re-initialises. */
  reset?: (this: void, done: (this: void) => void) => void;
  /** Commands waiting behind the one in flight (default 8). */
  maxQueue?: number;
}

interface Command {
  code: number;
  params: number[];
  timeoutMs: number;
  cb: Pn532Callback<number[]>;
}

const IDLE = 0;
const WAIT_ACK = 1;
const WAIT_RESPONSE = 2;

/** Reasons that mean the link to the chip misbehaves (and count for the watchdog). */
function isLinkFailure(reason: string): boolean {
  return reason === 'pn532-timeout' || reason === 'pn532-syntax-error' || reason === 'pn532-bad-response';
}

function fail<T>(cb: Pn532Callback<T>, reason: string, status?: number): void {
  if (status === undefined) cb({ ok: false, reason });
  else cb({ ok: false, reason, status });
}

export class Pn532Driver {
  /** Command frames written to the chip (retries included): the round trips tests count. */
  framesSent = 0;
  /** Watchdog resets so far. */
  resets = 0;

  private readonly clock: Clock;
  private readonly transport: Pn532Transport;
  private readonly decoder = new FrameDecoder();
  private readonly ackTimeoutMs: number;
  private readonly responseTimeoutMs: number;
  private readonly retries: number;
  private readonly watchdogErrors: number;
  private readonly maxQueue: number;
  private readonly resetHook: ((this: void, done: (this: void) => void) => void) | undefined;
  private queue: Command[] = [];
  private current: Command | undefined;
  private state = IDLE;
  private timer = -1;
  private resends = 0;
  private nacks = 0;
  private consecutiveErrors = 0;
  private resetting = false;
  /** MaxRetries parameters last configured, re-applied after a reset ([] : never set). */
  private maxRetries: number[] = [];
  private listeners: ((this: void, ev: DriverEvent) => void)[] = [];

  constructor(opts: DriverOptions) {
    this.clock = opts.clock;
    this.transport = opts.transport;
    this.ackTimeoutMs = opts.ackTimeoutMs === undefined ? 30 : opts.ackTimeoutMs;
    this.responseTimeoutMs = opts.responseTimeoutMs === undefined ? 500 : opts.responseTimeoutMs;
    this.retries = opts.retries === undefined ? 2 : opts.retries;
    this.watchdogErrors = opts.watchdogErrors === undefined ? 3 : opts.watchdogErrors;
    this.maxQueue = opts.maxQueue === undefined ? 8 : opts.maxQueue;
    this.resetHook = opts.reset;
    this.transport.onReceive((bytes) => {
      const events = this.decoder.push(bytes);
      for (let i = 0; i < events.length; i++) this.onFrame(events[i]);
    });
  }

  onEvent(cb: (this: void, ev: DriverEvent) => void): void {
    this.listeners.push(cb);
  }

  /** True while a command is in flight or queued (or the chip is being reset). */
  busy(): boolean {
    return this.current !== undefined || this.queue.length > 0 || this.resetting;
  }

  // ---- operations -------------------------------------------------------------------------

  /** Raw command: `cb` gets the response parameters (after the response code). */
  command(code: number, params: number[], cb: Pn532Callback<number[]>, timeoutMs?: number): void {
    if (this.queue.length >= this.maxQueue) {
      fail(cb, 'pn532-busy');
      return;
    }
    this.queue.push({
      code,
      params,
      timeoutMs: timeoutMs === undefined ? this.responseTimeoutMs : timeoutMs,
      cb,
    });
    this.pump();
  }

  /** HSU wake-up preamble, then SAMConfiguration normal mode (the chip sleeps again without it). */
  wakeUp(cb: Pn532Callback<boolean>): void {
    this.transport.setAsleep();
    this.samConfiguration(cb);
  }

  getFirmwareVersion(cb: Pn532Callback<FirmwareVersion>): void {
    this.command(CMD.GetFirmwareVersion, [], (r) => {
      if (!r.ok) return cb(r);
      const p = r.value;
      if (p.length !== 4) return fail(cb, 'pn532-bad-response');
      cb({ ok: true, value: { ic: p[0], ver: p[1], rev: p[2], support: p[3] } });
    });
  }

  /** SAMConfiguration: mode 1 (normal, no SAM), timeout in 50 ms units (virtual card mode only), IRQ used. */
  samConfiguration(cb: Pn532Callback<boolean>, mode?: number, timeout?: number): void {
    const params = [mode === undefined ? 0x01 : mode, timeout === undefined ? 0x14 : timeout, 0x01];
    this.command(CMD.SAMConfiguration, params, (r) => {
      if (!r.ok) return cb(r);
      if (r.value.length !== 0) return fail(cb, 'pn532-bad-response');
      cb({ ok: true, value: true });
    });
  }

  /**
   * RFConfiguration item 0x05 (MaxRetries): retries for ATR_REQ, PSL_REQ and passive activation
   * (0xFF = forever). A finite passive count makes InListPassiveTarget answer NbTg = 0 when no card is in the field.
   */
  rfConfigurationMaxRetries(atr: number, psl: number, passive: number, cb: Pn532Callback<boolean>): void {
    this.maxRetries = [0x05, atr, psl, passive];
    this.command(CMD.RFConfiguration, [0x05, atr, psl, passive], (r) => {
      if (!r.ok) return cb(r);
      cb({ ok: true, value: true });
    });
  }

  /** InListPassiveTarget, one target, 106 kbps type A; `undefined` when no card answered. */
  inListPassiveTarget(cb: Pn532Callback<TargetInfo | undefined>, timeoutMs?: number): void {
    this.command(
      CMD.InListPassiveTarget,
      [0x01, 0x00],
      (r) => {
        if (!r.ok) return cb(r);
        const t = parseTypeATarget(r.value);
        if (!t.ok) return this.linkError(cb, t.reason);
        cb({ ok: true, value: t.target });
      },
      timeoutMs,
    );
  }

  /**
   * InDataExchange with target `tg`: `cb` gets the card's answer. A status other than 0 is an
   * error 'pn532-<name>' with `status` (0x01 'pn532-rf-timeout' when the card has gone).
   * The MI bit (more data, chaining) is not followed: the answers used here fit one frame.
   */
  inDataExchange(tg: number, data: number[], cb: Pn532Callback<number[]>, timeoutMs?: number): void {
    const params = [tg];
    for (let i = 0; i < data.length; i++) params.push(data[i]);
    this.command(
      CMD.InDataExchange,
      params,
      (r) => {
        const s = this.checkStatus(r);
        if (!s.ok) {
          this.emit({ type: 'exchange-failed', reason: s.reason });
          return cb(s);
        }
        cb({ ok: true, value: s.value.slice(1) });
      },
      timeoutMs,
    );
  }

  /** InRelease of target `tg` (0 = all). */
  inRelease(tg: number, cb: Pn532Callback<boolean>): void {
    this.command(CMD.InRelease, [tg], (r) => {
      const s = this.checkStatus(r);
      if (!s.ok) return cb(s);
      cb({ ok: true, value: true });
    });
  }

  /** PowerDown, waking on HSU, SPI or I2C activity; the next frame wakes the chip (HSU: with the preamble). */
  powerDown(cb: Pn532Callback<boolean>): void {
    this.command(CMD.PowerDown, [0xb0], (r) => {
      const s = this.checkStatus(r);
      if (!s.ok) return cb(s);
      this.transport.setAsleep();
      cb({ ok: true, value: true });
    });
  }

  // ---- internals --------------------------------------------------------------------------

  private checkStatus(r: Pn532Result<number[]>): Pn532Result<number[]> {
    if (!r.ok) return r;
    if (r.value.length < 1) return { ok: false, reason: 'pn532-bad-response' };
    const code = statusCode(r.value[0]);
    if (code !== 0) return { ok: false, reason: 'pn532-' + statusName(code), status: r.value[0] };
    return r;
  }

  /** A well-framed but malformed response: counted like a link failure. */
  private linkError<T>(cb: Pn532Callback<T>, reason: string): void {
    this.countFailure('pn532-bad-response');
    fail(cb, reason);
  }

  private emit(ev: DriverEvent): void {
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i](ev);
  }

  private log(line: string): void {
    this.emit({ type: 'log', line: 'pn532: ' + line });
  }

  private pump(): void {
    if (this.current !== undefined || this.resetting || this.queue.length === 0) return;
    const cmd = this.queue.shift() as Command;
    this.current = cmd;
    this.resends = 0;
    this.nacks = 0;
    this.sendCurrent();
  }

  private sendCurrent(): void {
    const cmd = this.current as Command;
    this.state = WAIT_ACK;
    this.framesSent++;
    this.arm(this.ackTimeoutMs);
    this.transport.send(commandFrame(cmd.code, cmd.params));
  }

  private arm(ms: number): void {
    this.disarm();
    this.timer = this.clock.setTimeout(() => {
      this.timer = -1;
      this.onTimeout();
    }, ms);
  }

  private disarm(): void {
    if (this.timer >= 0) this.clock.clearTimeout(this.timer);
    this.timer = -1;
  }

  private onTimeout(): void {
    if (this.current === undefined) return;
    if (this.state === WAIT_ACK) {
      if (this.resends < this.retries) {
        this.resends++;
        this.log('no ACK for 0x' + upperHex([this.current.code]) + ', sending again');
        this.sendCurrent();
        return;
      }
      this.finish({ ok: false, reason: 'pn532-timeout' });
      return;
    }
    // No response: abort the command in the chip so a late answer cannot be taken for the next one's.
    this.transport.send(ACK_FRAME);
    this.finish({ ok: false, reason: 'pn532-timeout' });
  }

  private onFrame(ev: DecoderEvent): void {
    const cmd = this.current;
    if (ev.type === 'invalid') {
      this.log('invalid frame: ' + ev.reason);
      // A damaged response (the ACK came, so the chip is answering): ask for it again.
      if (
        cmd !== undefined &&
        this.state === WAIT_RESPONSE &&
        ev.reason !== 'bad-tfi' &&
        this.nacks < this.retries
      ) {
        this.nacks++;
        this.transport.send(NACK_FRAME);
      }
      return;
    }
    if (cmd === undefined) return; // late or unsolicited: nothing waits for it
    if (ev.type === 'ack') {
      if (this.state === WAIT_ACK) {
        this.state = WAIT_RESPONSE;
        this.arm(cmd.timeoutMs);
      }
      return;
    }
    if (ev.type === 'error') {
      this.finish({ ok: false, reason: 'pn532-syntax-error' });
      return;
    }
    if (ev.type === 'response') {
      // Also accepted while waiting for the ACK: the ACK may be what got lost.
      if (ev.command !== cmd.code + 1) {
        this.log(
          'ignoring response 0x' +
            upperHex([ev.command]) +
            ' while waiting for 0x' +
            upperHex([cmd.code + 1]),
        );
        return;
      }
      this.finish({ ok: true, value: ev.params });
    }
    // a NACK from the chip carries no meaning for the host: ignored
  }

  private finish(r: Pn532Result<number[]>): void {
    const cmd = this.current as Command;
    this.disarm();
    this.current = undefined;
    this.state = IDLE;
    this.transport.idle();
    if (r.ok) this.consecutiveErrors = 0;
    else if (isLinkFailure(r.reason)) this.countFailure(r.reason);
    cmd.cb(r);
    this.pump();
  }

  private countFailure(reason: string): void {
    this.consecutiveErrors++;
    this.log(reason + ' (' + this.consecutiveErrors + ' in a row)');
    if (this.consecutiveErrors >= this.watchdogErrors && !this.resetting) this.watchdog();
  }

  /** Hard reset (if wired), then wake-up + SAMConfiguration (+ MaxRetries) before anything queued. */
  private watchdog(): void {
    this.consecutiveErrors = 0;
    this.resetting = true;
    this.resets++;
    const hard = this.resetHook !== undefined;
    this.emit({ type: 'reset', hard, resets: this.resets });
    const reinit = (): void => {
      this.resetting = false;
      this.decoder.reset();
      this.transport.setAsleep();
      const init: Command[] = [
        {
          code: CMD.SAMConfiguration,
          params: [0x01, 0x14, 0x01],
          timeoutMs: this.responseTimeoutMs,
          cb: () => {},
        },
      ];
      if (this.maxRetries.length > 0) {
        init.push({
          code: CMD.RFConfiguration,
          params: this.maxRetries,
          timeoutMs: this.responseTimeoutMs,
          cb: () => {},
        });
      }
      this.queue = init.concat(this.queue); // before anything queued (concat: no splice helper in Lua)
      this.pump();
    };
    if (this.resetHook !== undefined) this.resetHook(reinit);
    else reinit();
  }
}
