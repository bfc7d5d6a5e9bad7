/**
 * Wire protocol v1: the message kinds terminals and the gateway exchange, as types (for
 * TypeScript callers) and as field tables (what every target validates). docs/protocol.md is
 * the prose version; both must change together.
 */
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
  /** Queued while offline; 'at' is the terminal clock (s since boot + offset) at the tap. */
  off?: boolean;
  at?: number;
}
/**
 * Self-service tap: what was poured after a 'selfpour' tap was authorized (result with 'ml').
 * Same 'tx' as the tap; the gateway charges 'amt' once per tx and answers with a result.
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
  /** Selfpour tap: the volume 'amt' buys, ml; the terminal opens the valve for at most this. */
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

/** The signed envelope. 'm' is added by sign() and checked by verify(). */
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

/**
 * Field tables, one string per kind (schema.ts reads them): space-separated fields
 * 'name:<type><args>', 'name?:' when optional. Types: 's' string of at most N characters ('s32'),
 * 'd' id (1..N of [A-Za-z0-9_-]), 'x' hex (1..N digits, even count), 'b' boolean,
 * 'i' integer 'i<min>~<max>' (min 0 and max 2^53 - 1 when left out: 'i', 'i~999', 'i-127~0'),
 * 'e' one of 'e<a>|<b>|…', 'S' array of at most N strings (64 characters each), 'I' array of at
 * most N integers 0..65535, 'o' object with the fields of SUB_FIELDS[name] ('osun'; any object:
 * 'o'), 'O' array of at most N of them ('O32line').
 */
const MODE_VALUES = 'ecashier|topup|balance|door|maintenance|selfpour';
const AMOUNT = 'i~100000000';
const VOLUME = 'i~100000'; // ml, 100 l at most

/** Body field tables, per kind. */
export const BODY_FIELDS: { [kind: string]: string } = {
  hello: 'fw:s32 board:s32 reader:s32 mem:i reset:s32 corrupt?:b',
  heartbeat: 'up:i rssi?:i-127~0 q:i~10000',
  tap:
    'tx:d64 uid:x20 mode:' +
    MODE_VALUES +
    ' amt?:' +
    AMOUNT +
    ' cart?:O32line ref?:d64 sun?:osun off?:b at?:i',
  pour: 'tx:d64 ml:' + VOLUME + ' amt:' + AMOUNT + ' end:elimit|removed|idle',
  log: 'lvl:edebug|info|warn|error code:d32 text?:s200',
  result: 'tx:d64 ok:b reason?:d32 amt?:' + AMOUNT + ' ml?:' + VOLUME + ' bal?:O8bal lines?:S4',
  config: 'venue:s32 mode:' + MODE_VALUES + ' cur:s8 menu?:O24item offq?:i~1000 hb?:i5~3600 ppl?:i1~100000',
  charge: 'ref:d64 amt:' + AMOUNT + ' cart?:O32line lines?:S4',
  display: 'lines:S4 beep?:I8 led?:egreen|red|blue|off',
};

/** The nested objects' field tables ('o'/'O' fields name them). */
export const SUB_FIELDS: { [name: string]: string } = {
  line: 'sku:d32 qty:i1~999 price:i~10000000',
  sun: 'picc?:x64 uid?:x20 ctr?:x6 cmac:x16',
  bal: 'a:s32 v:i-100000000~100000000',
  item: 'sku:d32 label:s16 price:i~10000000 mprice?:i~10000000',
};
