/**
 * Wire protocol v1: the message kinds terminals and the gateway exchange, as types (for
 * TypeScript callers) and as field tables (what every target validates). docs/protocol.md is
 * the prose version; both must change together.
 */
import type { FieldSpec } from './schema.js';

export const PROTOCOL_VERSION = 1;
/** Payload size limit in bytes, checked before parsing. */
export const MAX_PAYLOAD = 2048;
/** Nesting limit of the JSON parser (envelope → body → cart → line is 4). */
export const MAX_DEPTH = 5;

export type Mode = 'cashier' | 'topup' | 'balance' | 'door' | 'maintenance' | 'selfpour';
export const MODES: Mode[] = ['cashier', 'topup', 'balance', 'door', 'maintenance', 'selfpour'];

export interface CartLine {
  sku: string;
  qty: number;
  /** Unit price the terminal showed, minor units: the gateway refuses a stale one. */
  price: number;
}

/** NTAG 424 DNA SUN data read from the card's NDEF URL: encrypted (picc) or plain (uid+ctr). */
export interface SunData {
  picc?: string;
  uid?: string;
  ctr?: string;
  cmac: string;
}

export interface HelloBody {
  fw: string;
  board: string;
  reader: string;
  mem: number;
  reset: string;
  /** Storage failed its checksum at boot and was reset to a safe state. */
  corrupt?: boolean;
}
export interface HeartbeatBody {
  up: number;
  rssi?: number;
  q: number;
}
export interface TapBody {
  /** Local transaction id, unique per device: the idempotency key of the whole chain. */
  tx: string;
  uid: string;
  mode: Mode;
  amt?: number;
  cart?: CartLine[];
  /** POS charge reference this tap pays (cashier mode, amount pushed by the POS). */
  ref?: string;
  sun?: SunData;
  /** Queued while offline; `at` is the terminal clock (s since boot + offset) at the tap. */
  off?: boolean;
  at?: number;
}
/**
 * Self-service tap: what was poured after a 'selfpour' tap was authorized (result with `ml`).
 * Same `tx` as the tap; the gateway charges `amt` once per tx and answers with a result.
 */
export interface PourBody {
  tx: string;
  /** Volume poured, ml (flow-meter pulses * 1000 / pulses per litre, rounded down). */
  ml: number;
  /** Amount to charge, minor units: min(A, round(ml * A / M)) with A, M the authorized amt and ml. */
  amt: number;
  /** Why the valve closed: the authorized volume was reached, the card left, or nothing flowed. */
  end: 'limit' | 'removed' | 'idle';
}
export interface LogBody {
  lvl: 'debug' | 'info' | 'warn' | 'error';
  code: string;
  text?: string;
}
export interface Balance {
  a: string;
  v: number;
}
export interface ResultBody {
  tx: string;
  ok: boolean;
  reason?: string;
  /** Amount charged (or credited) in minor units; for a selfpour tap, the authorized maximum. */
  amt?: number;
  /** Selfpour tap: the volume `amt` buys, ml; the terminal opens the valve for at most this. */
  ml?: number;
  bal?: Balance[];
  lines?: string[];
}
export interface MenuItem {
  sku: string;
  label: string;
  price: number;
  mprice?: number;
}
export interface ConfigBody {
  venue: string;
  mode: Mode;
  cur: string;
  menu?: MenuItem[];
  /** Max taps queued while offline (0 = refuse taps offline). */
  offq?: number;
  /** Heartbeat period, seconds. */
  hb?: number;
  /** Selfpour: flow-meter pulses per litre, calibrated per tap (default 450, a YF-S201). */
  ppl?: number;
}
export interface ChargeBody {
  ref: string;
  amt: number;
  cart?: CartLine[];
  lines?: string[];
}
export interface DisplayBody {
  lines: string[];
  beep?: number[];
  led?: 'green' | 'red' | 'blue' | 'off';
}

export interface BodyByKind {
  hello: HelloBody;
  heartbeat: HeartbeatBody;
  tap: TapBody;
  log: LogBody;
  pour: PourBody;
  result: ResultBody;
  config: ConfigBody;
  charge: ChargeBody;
  display: DisplayBody;
}
export type Kind = keyof BodyByKind;
export type Direction = 'up' | 'down';

export const UP_KINDS: string[] = ['hello', 'heartbeat', 'tap', 'log', 'pour'];
export const DOWN_KINDS: string[] = ['result', 'config', 'charge', 'display'];

/** The signed envelope. `m` is added by sign() and checked by verify(). */
export interface Message<K extends Kind = Kind> {
  v: number;
  k: K;
  /** Device id. */
  d: string;
  /** Per-device, per-direction monotonic counter (replay protection). */
  n: number;
  /** Sender's wall clock, epoch seconds, when it has one. */
  t?: number;
  b: BodyByKind[K];
}
export interface SignedMessage<K extends Kind = Kind> extends Message<K> {
  m: string;
}

const cartLine: FieldSpec[] = [
  { name: 'sku', type: 'id', required: true, max: 32 },
  { name: 'qty', type: 'int', required: true, min: 1, maxValue: 999 },
  { name: 'price', type: 'int', required: true, min: 0, maxValue: 10000000 },
];
const amount = (name: string, required: boolean): FieldSpec => ({
  name,
  type: 'int',
  required,
  min: 0,
  maxValue: 100000000,
});
const lines: FieldSpec = { name: 'lines', type: 'strs', required: false, max: 4 };
/** Volumes, ml (100 l at most). */
const volume = (required: boolean): FieldSpec => ({ name: 'ml', type: 'int', required, maxValue: 100000 });

/** Body field tables, per kind. */
export const BODY_FIELDS: { [kind: string]: FieldSpec[] } = {
  hello: [
    { name: 'fw', type: 'str', required: true, max: 32 },
    { name: 'board', type: 'str', required: true, max: 32 },
    { name: 'reader', type: 'str', required: true, max: 32 },
    { name: 'mem', type: 'int', required: true },
    { name: 'reset', type: 'str', required: true, max: 32 },
    { name: 'corrupt', type: 'bool', required: false },
  ],
  heartbeat: [
    { name: 'up', type: 'int', required: true },
    { name: 'rssi', type: 'int', required: false, min: -127, maxValue: 0 },
    { name: 'q', type: 'int', required: true, maxValue: 10000 },
  ],
  tap: [
    { name: 'tx', type: 'id', required: true, max: 64 },
    { name: 'uid', type: 'hex', required: true, max: 20 },
    { name: 'mode', type: 'enum', required: true, values: MODES },
    amount('amt', false),
    { name: 'cart', type: 'objs', required: false, max: 32, fields: cartLine },
    { name: 'ref', type: 'id', required: false, max: 64 },
    {
      name: 'sun',
      type: 'obj',
      required: false,
      fields: [
        { name: 'picc', type: 'hex', required: false, max: 64 },
        { name: 'uid', type: 'hex', required: false, max: 20 },
        { name: 'ctr', type: 'hex', required: false, max: 6 },
        { name: 'cmac', type: 'hex', required: true, max: 16 },
      ],
    },
    { name: 'off', type: 'bool', required: false },
    { name: 'at', type: 'int', required: false },
  ],
  pour: [
    { name: 'tx', type: 'id', required: true, max: 64 },
    volume(true),
    amount('amt', true),
    { name: 'end', type: 'enum', required: true, values: ['limit', 'removed', 'idle'] },
  ],
  log: [
    { name: 'lvl', type: 'enum', required: true, values: ['debug', 'info', 'warn', 'error'] },
    { name: 'code', type: 'id', required: true, max: 32 },
    { name: 'text', type: 'str', required: false, max: 200 },
  ],
  result: [
    { name: 'tx', type: 'id', required: true, max: 64 },
    { name: 'ok', type: 'bool', required: true },
    { name: 'reason', type: 'id', required: false, max: 32 },
    amount('amt', false),
    volume(false),
    {
      name: 'bal',
      type: 'objs',
      required: false,
      max: 8,
      fields: [
        { name: 'a', type: 'str', required: true, max: 32 },
        { name: 'v', type: 'int', required: true, min: -100000000, maxValue: 100000000 },
      ],
    },
    lines,
  ],
  config: [
    { name: 'venue', type: 'str', required: true, max: 32 },
    { name: 'mode', type: 'enum', required: true, values: MODES },
    { name: 'cur', type: 'str', required: true, max: 8 },
    {
      name: 'menu',
      type: 'objs',
      required: false,
      max: 24,
      fields: [
        { name: 'sku', type: 'id', required: true, max: 32 },
        { name: 'label', type: 'str', required: true, max: 16 },
        { name: 'price', type: 'int', required: true, maxValue: 10000000 },
        { name: 'mprice', type: 'int', required: false, maxValue: 10000000 },
      ],
    },
    { name: 'offq', type: 'int', required: false, maxValue: 1000 },
    { name: 'hb', type: 'int', required: false, min: 5, maxValue: 3600 },
    { name: 'ppl', type: 'int', required: false, min: 1, maxValue: 100000 },
  ],
  charge: [
    { name: 'ref', type: 'id', required: true, max: 64 },
    amount('amt', true),
    { name: 'cart', type: 'objs', required: false, max: 32, fields: cartLine },
    lines,
  ],
  display: [
    { name: 'lines', type: 'strs', required: true, max: 4 },
    { name: 'beep', type: 'ints', required: false, max: 8 },
    { name: 'led', type: 'enum', required: false, values: ['green', 'red', 'blue', 'off'] },
  ],
};
