/**
 * An ACR122U as PC/SC sees it, for tests: pseudo-APDUs in, answers out. Its PN532 is the
 * portable simulator over an in-memory UART, so Direct Transmit bodies run on the same chip model
 * the driver tests use. Also a `PcscReader` double (the part of a pcsclite CardReader the link
 * uses) with the PC/SC rules that matter: SCardConnect(SHARED) needs a card, a transmit fails
 * once the card has left, SCardControl escape works on a direct connection (unless refused).
 * Everything answers on a later clock tick, as a USB round trip does.
 */
import { type Clock, pn532, type Serial } from '@tibillet/firmware';
import type { PcscReader } from '../../targets/host/pcsc-link.js';

export const FIRMWARE_ASCII = 'ACR122U207';

export interface EmulatorOptions {
  /** Time a PN532 command may take before the reader gives up with 63 00 (default 1000 ms). */
  pn532TimeoutMs?: number;
}

export class Acr122uEmulator {
  readonly sim: pn532.Pn532Simulator;
  /** Every pseudo-APDU received, in order. */
  readonly apdus: number[][] = [];
  /** Answers to give instead of the real ones, next first (fault injection). */
  readonly overrides: number[][] = [];
  /** LED state byte (bit 0 red, bit 1 green) after the last LED command. */
  ledState = 0;
  /** LED/buzzer commands received. */
  readonly ledCommands: number[][] = [];
  private readonly host: Serial;
  private readonly decoder = new pn532.FrameDecoder();
  private waiting: { code: number; cb: (answer: number[]) => void; timer: number } | undefined;
  private readonly pn532TimeoutMs: number;

  constructor(
    private readonly clock: Clock,
    opts: EmulatorOptions = {},
  ) {
    this.pn532TimeoutMs = opts.pn532TimeoutMs ?? 1000;
    // The ACR122U's MCU talks to its PN532 over HSU and keeps it awake.
    this.sim = new pn532.Pn532Simulator({ clock, awake: true });
    const pair = pn532.serialPair(clock);
    this.sim.attachSerial(pair.b);
    this.host = pair.a;
    this.host.onData((bytes) => {
      for (const ev of this.decoder.push(bytes)) this.onChip(ev);
    });
  }

  /** One pseudo-APDU; `cb` gets the answer (data ‖ SW1 SW2) on a later tick. */
  apdu(apdu: number[], cb: (answer: number[]) => void): void {
    this.apdus.push(apdu.slice());
    const reply = (answer: number[]) => this.clock.setTimeout(() => cb(answer), 0);
    if (this.overrides.length > 0) return void reply(this.overrides.shift() as number[]);
    const [cla, ins, p1, p2] = apdu;
    if (apdu.length < 5 || cla !== 0xff) return void reply([0x6e, 0x00]); // class not supported
    if (ins === 0x00 && p1 === 0x48 && p2 === 0x00) {
      return void reply([...FIRMWARE_ASCII].map((c) => c.charCodeAt(0)));
    }
    if (ins === 0x00 && p1 === 0x40) {
      if (apdu[4] !== 0x04 || apdu.length !== 9) return void reply([0x63, 0x00]);
      this.ledCommands.push(apdu.slice());
      if (p2 & 0x04) this.ledState = (this.ledState & ~0x01) | (p2 & 0x01);
      if (p2 & 0x08) this.ledState = (this.ledState & ~0x02) | (p2 & 0x02);
      return void reply([0x90, this.ledState]);
    }
    if (ins === 0x00 && p1 === 0x00 && p2 === 0x00) {
      const lc = apdu[4];
      const body = apdu.slice(5);
      // Lc must count exactly the bytes that follow, starting with the D4 of a host frame.
      if (lc !== body.length || lc < 2 || body[0] !== pn532.TFI_HOST || this.waiting)
        return void reply([0x63, 0x00]);
      const code = body[1];
      const timer = this.clock.setTimeout(() => {
        this.waiting = undefined;
        cb([0x63, 0x00]); // the PN532 did not answer in time
      }, this.pn532TimeoutMs);
      this.waiting = { code, cb, timer };
      this.host.write(pn532.commandFrame(code, body.slice(2)));
      return;
    }
    reply([0x6a, 0x81]); // function not supported
  }

  private onChip(ev: pn532.DecoderEvent): void {
    const w = this.waiting;
    if (w === undefined || ev.type === 'ack' || ev.type === 'nack') return;
    this.waiting = undefined;
    this.clock.clearTimeout(w.timer);
    if (ev.type === 'response' && ev.command === w.code + 1)
      w.cb([pn532.TFI_CHIP, ev.command, ...ev.params, 0x90, 0x00]);
    else w.cb([0x63, 0x00]); // error frame or garbage from the chip
  }
}

export interface FakeReaderOptions {
  name?: string;
  /** SCardControl escape allowed (CCID ifdDriverOptions 0x0001); default true. */
  escape?: boolean;
  /** Card connections in T=0: answers come as 61 xx and need GET RESPONSE (default T=1). */
  t0?: boolean;
  /** Round-trip latency of each PC/SC call in ms (default 2). */
  latencyMs?: number;
}

const SCARD = { SHARED: 2, DIRECT: 3, T0: 1, T1: 2, LEAVE: 0 };
const err = (text: string) => new Error(text);

/** A pcsclite CardReader in front of the emulator: a card "is present" when the simulator has one in its field. */
export class FakeReader implements PcscReader {
  readonly name: string;
  readonly SCARD_SHARE_SHARED = SCARD.SHARED;
  readonly SCARD_SHARE_DIRECT = SCARD.DIRECT;
  readonly SCARD_PROTOCOL_T0 = SCARD.T0;
  readonly SCARD_PROTOCOL_T1 = SCARD.T1;
  readonly SCARD_LEAVE_CARD = SCARD.LEAVE;
  /** Calls in order: 'connect-shared', 'connect-direct', 'transmit', 'control', 'disconnect'. */
  readonly calls: string[] = [];
  connected: 'no' | 'card' | 'direct' = 'no';
  /** The card the current card connection was made to (a transmit fails once it left). */
  private card: pn532.SimCard | undefined;
  private pending: number[] = [];
  /** Round-trip time of each PC/SC call (tests change it to simulate a slow USB answer). */
  latencyMs: number;

  /** pcsclite's close() of a reader joins its status thread and can block for good: must never run. */
  close(): void {
    throw new Error('pcsclite reader close() called: it can block the event loop for good');
  }

  constructor(
    readonly emu: Acr122uEmulator,
    private readonly clock: Clock,
    private readonly o: FakeReaderOptions = {},
  ) {
    this.name = o.name ?? 'ACS ACR122U PICC Interface 00 00';
    this.latencyMs = o.latencyMs ?? 2;
  }

  private later(fn: () => void): void {
    this.clock.setTimeout(fn, this.latencyMs);
  }

  connect(
    options: { share_mode: number; protocol: number },
    cb: (e: Error | undefined, protocol: number) => void,
  ) {
    const direct = options.share_mode === SCARD.DIRECT;
    this.calls.push(direct ? 'connect-direct' : 'connect-shared');
    this.later(() => {
      if (this.connected !== 'no') return cb(err('SCardConnect error: Sharing violation.(0x8010000B)'), 0);
      if (direct) {
        this.connected = 'direct';
        return cb(undefined, 0);
      }
      const card = this.emu.sim.fieldCard();
      if (card === undefined) return cb(err('SCardConnect error: No smart card inserted.(0x8010000C)'), 0);
      this.connected = 'card';
      this.card = card;
      cb(undefined, this.o.t0 ? SCARD.T0 : SCARD.T1);
    });
  }

  disconnect(_disposition: number, cb: (e: Error | undefined) => void) {
    this.calls.push('disconnect');
    this.later(() => {
      this.connected = 'no';
      this.card = undefined;
      cb(undefined);
    });
  }

  transmit(data: Buffer, _resLen: number, _protocol: number, cb: (e: Error | undefined, d: Buffer) => void) {
    this.calls.push('transmit');
    this.later(() => {
      if (this.connected !== 'card')
        return cb(err('SCardTransmit error: Card Reader not connected'), Buffer.alloc(0));
      if (this.emu.sim.fieldCard() !== this.card) {
        return cb(err('SCardTransmit error: Card was removed.(0x80100069)'), Buffer.alloc(0));
      }
      const apdu = [...data];
      if (this.o.t0 && apdu[1] === 0xc0) {
        const out = this.pending.slice(0, apdu[4]);
        this.pending = [];
        return cb(undefined, Buffer.from(out));
      }
      this.emu.apdu(apdu, (answer) => {
        if (!this.o.t0) return cb(undefined, Buffer.from(answer));
        this.pending = answer;
        cb(undefined, Buffer.from([0x61, answer.length]));
      });
    });
  }

  control(data: Buffer, code: number, _resLen: number, cb: (e: Error | undefined, d: Buffer) => void) {
    this.calls.push('control');
    this.later(() => {
      if (this.connected === 'no')
        return cb(err('SCardControl error: Card Reader not connected'), Buffer.alloc(0));
      if (code !== 0x42000000 + 3500 || this.o.escape === false) {
        return cb(err('SCardControl error: Feature not supported.(0x8010001F)'), Buffer.alloc(0));
      }
      this.emu.apdu([...data], (answer) => cb(undefined, Buffer.from(answer)));
    });
  }
}
