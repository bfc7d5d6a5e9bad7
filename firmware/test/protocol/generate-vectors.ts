// Writes firmware/test/vectors/protocol-{sign,verify}.json. Run once with
// `npx tsx firmware/test/protocol/generate-vectors.ts`; the vectors are then committed and every
// target and the gateway check themselves against them (vectors.test.ts re-derives them independently).
import { writeFileSync } from 'node:fs';
import { protocol } from '@tibillet/firmware';
import type { Message } from '../../src/protocol/messages.js';

const key = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const otherKey = 'ff'.repeat(32);
const messages: { name: string; message: Message }[] = [
  {
    name: 'hello',
    message: {
      v: 1,
      k: 'hello',
      d: 'dev-1',
      n: 1,
      b: { fw: '0.1.0', board: 'esp32-devkitc', reader: 'PN532 1.6', mem: 11234, reset: 'power-on' },
    },
  },
  {
    name: 'hello-corrupt-storage',
    message: {
      v: 1,
      k: 'hello',
      d: 'dev-1',
      n: 65,
      b: { fw: '0.1.0', board: 'pico-w', reader: 'PN532 1.6', mem: 9000, reset: 'watchdog', corrupt: true },
    },
  },
  {
    name: 'heartbeat',
    message: { v: 1, k: 'heartbeat', d: 'dev-1', n: 2, t: 1764000000, b: { up: 3600, rssi: -67, q: 0 } },
  },
  {
    name: 'tap-amount',
    message: {
      v: 1,
      k: 'tap',
      d: 'dev-1',
      n: 3,
      b: { tx: 'dev-1-3', uid: '04DE5F1EACC040', mode: 'cashier', amt: 450, ref: 'pos1-42' },
    },
  },
  {
    name: 'tap-cart',
    message: {
      v: 1,
      k: 'tap',
      d: 'bar_2',
      n: 17,
      b: {
        tx: 'bar_2-17',
        uid: 'A1B2C3D4',
        mode: 'cashier',
        cart: [
          { sku: 'beer-33', qty: 2, price: 350 },
          { sku: 'crepe', qty: 1, price: 400 },
        ],
      },
    },
  },
  {
    name: 'tap-sun-encrypted',
    message: {
      v: 1,
      k: 'tap',
      d: 'door-1',
      n: 4,
      b: {
        tx: 'door-1-4',
        uid: '04DE5F1EACC040',
        mode: 'door',
        sun: { picc: 'EF963FF7828658A599F3041510671E88', cmac: '94EED9EE65337086' },
      },
    },
  },
  {
    name: 'tap-sun-plain-offline',
    message: {
      v: 1,
      k: 'tap',
      d: 'dev-1',
      n: 5,
      b: {
        tx: 'dev-1-5',
        uid: '041E3C8A2D6B80',
        mode: 'balance',
        sun: { uid: '041E3C8A2D6B80', ctr: '000006', cmac: '4B00064004B0B3D3' },
        off: true,
        at: 1200,
      },
    },
  },
  {
    name: 'log-unicode',
    message: {
      v: 1,
      k: 'log',
      d: 'dev-1',
      n: 6,
      b: {
        lvl: 'warn',
        code: 'pn532-timeout',
        text: 'lecteur muet — vérifier les interrupteurs "HSU" \\ 😀\n',
      },
    },
  },
  {
    name: 'result-approved',
    message: {
      v: 1,
      k: 'result',
      d: 'dev-1',
      n: 1,
      b: {
        tx: 'dev-1-3',
        ok: true,
        amt: 450,
        bal: [
          { a: 'EUR', v: 1550 },
          { a: 'GIFT:bar', v: 0 },
        ],
        lines: ['Payé 4,50 €', 'Solde 15,50 €'],
      },
    },
  },
  {
    name: 'result-declined',
    message: {
      v: 1,
      k: 'result',
      d: 'dev-1',
      n: 2,
      b: { tx: 'dev-1-4', ok: false, reason: 'insufficient-funds', bal: [{ a: 'EUR', v: 120 }] },
    },
  },
  {
    name: 'config',
    message: {
      v: 1,
      k: 'config',
      d: 'dev-1',
      n: 3,
      b: {
        venue: 'Le Tiers-Lieu',
        mode: 'cashier',
        cur: 'EUR',
        menu: [{ sku: 'beer-33', label: 'Bière 33cl', price: 350, mprice: 300 }],
        offq: 20,
        hb: 30,
      },
    },
  },
  {
    name: 'charge',
    message: {
      v: 1,
      k: 'charge',
      d: 'dev-1',
      n: 4,
      b: { ref: 'pos1-42', amt: 1150, lines: ['3 articles', '11,50 €'] },
    },
  },
  {
    name: 'display',
    message: {
      v: 1,
      k: 'display',
      d: 'dev-1',
      n: 5,
      b: { lines: ['Fermé'], beep: [100, 50, 100], led: 'blue' },
    },
  },
];

// Added later (self-service tap mode): appended after the original vectors, which stay byte-identical.
const addedMessages: { name: string; message: Message }[] = [
  {
    name: 'config-selfpour',
    message: {
      v: 1,
      k: 'config',
      d: 'tap-1',
      n: 7,
      b: { venue: 'Le Tiers-Lieu', mode: 'selfpour', cur: 'EUR', ppl: 450, hb: 30 },
    },
  },
  {
    name: 'tap-selfpour',
    message: {
      v: 1,
      k: 'tap',
      d: 'tap-1',
      n: 8,
      b: { tx: 'tap-1-8', uid: '04DE5F1EACC040', mode: 'selfpour' },
    },
  },
  {
    name: 'result-selfpour-authorized',
    message: {
      v: 1,
      k: 'result',
      d: 'tap-1',
      n: 9,
      b: { tx: 'tap-1-8', ok: true, amt: 500, ml: 330, bal: [{ a: 'EUR', v: 2000 }] },
    },
  },
  {
    name: 'pour-limit',
    message: { v: 1, k: 'pour', d: 'tap-1', n: 9, b: { tx: 'tap-1-8', ml: 335, amt: 500, end: 'limit' } },
  },
  {
    name: 'pour-removed',
    message: { v: 1, k: 'pour', d: 'tap-1', n: 10, b: { tx: 'tap-1-11', ml: 104, amt: 158, end: 'removed' } },
  },
  {
    name: 'pour-idle-nothing',
    message: { v: 1, k: 'pour', d: 'tap-1', n: 11, b: { tx: 'tap-1-12', ml: 0, amt: 0, end: 'idle' } },
  },
  {
    name: 'result-pour-charged',
    message: {
      v: 1,
      k: 'result',
      d: 'tap-1',
      n: 10,
      b: { tx: 'tap-1-8', ok: true, amt: 500, bal: [{ a: 'EUR', v: 1500 }] },
    },
  },
];

const signOf = ({ name, message }: { name: string; message: Message }) => ({
  name,
  keyHex: key,
  message,
  payload: protocol.sign(message, key),
});
const signOriginal = messages.map(signOf);
const signAdded = addedMessages.map(signOf);
const sign = [...signOriginal, ...signAdded];
const base = sign[3].payload;
const pourBase = signAdded[3].payload;
const swap = (s: string, from: string, to: string) => s.replace(from, to);
/** Each signed vector verifies against the counter just below its own. */
const okOf = (v: (typeof sign)[number]) => ({
  name: `ok-${v.name}`,
  keyHex: key,
  lastCounter: v.message.n - 1,
  payload: v.payload,
  expect: { ok: true },
});
const verify = [
  ...signOriginal.map(okOf),
  {
    name: 'replay-same-counter',
    keyHex: key,
    lastCounter: 3,
    payload: base,
    expect: { ok: false, reason: 'replay' },
  },
  {
    name: 'replay-old-counter',
    keyHex: key,
    lastCounter: 100,
    payload: base,
    expect: { ok: false, reason: 'replay' },
  },
  {
    name: 'wrong-key',
    keyHex: otherKey,
    lastCounter: -1,
    payload: base,
    expect: { ok: false, reason: 'bad-mac' },
  },
  {
    name: 'amount-tampered',
    keyHex: key,
    lastCounter: -1,
    payload: swap(base, '"amt":450', '"amt":45'),
    expect: { ok: false, reason: 'bad-mac' },
  },
  {
    name: 'mac-truncated',
    keyHex: key,
    lastCounter: -1,
    payload: swap(
      base,
      /"m":"([0-9a-f]{62})[0-9a-f]{2}"/.exec(base)![0],
      `"m":"${/"m":"([0-9a-f]{62})/.exec(base)![1]}"`,
    ),
    expect: { ok: false, reason: 'bad-mac' },
  },
  {
    name: 'not-json',
    keyHex: key,
    lastCounter: -1,
    payload: base.slice(0, -1),
    expect: { ok: false, reason: 'bad-json' },
  },
  {
    name: 'float-amount',
    keyHex: key,
    lastCounter: -1,
    payload: swap(base, '"amt":450', '"amt":4.5'),
    expect: { ok: false, reason: 'bad-json' },
  },
  {
    name: 'duplicate-key',
    keyHex: key,
    lastCounter: -1,
    payload: swap(base, '"amt":450', '"amt":450,"amt":1'),
    expect: { ok: false, reason: 'bad-json' },
  },
  {
    name: 'version-2',
    keyHex: key,
    lastCounter: -1,
    payload: swap(base, '"v":1', '"v":2'),
    expect: { ok: false, reason: 'bad-version' },
  },
  {
    name: 'unknown-kind',
    keyHex: key,
    lastCounter: -1,
    payload: swap(base, '"k":"tap"', '"k":"pay"'),
    expect: { ok: false, reason: 'bad-field' },
  },
  {
    name: 'negative-amount',
    keyHex: key,
    lastCounter: -1,
    payload: swap(base, '"amt":450', '"amt":-450'),
    expect: { ok: false, reason: 'bad-field' },
  },
  {
    name: 'unknown-body-field',
    keyHex: key,
    lastCounter: -1,
    payload: swap(base, '"amt":450', '"amt":450,"zz":1'),
    expect: { ok: false, reason: 'bad-field' },
  },
  {
    name: 'bad-device-id',
    keyHex: key,
    lastCounter: -1,
    payload: swap(base, '"d":"dev-1"', '"d":"dev/1"'),
    expect: { ok: false, reason: 'bad-field' },
  },
  {
    name: 'too-large',
    keyHex: key,
    lastCounter: -1,
    payload: swap(base, '"amt":450', `"amt":450,"pad":"${'x'.repeat(2100)}"`),
    expect: { ok: false, reason: 'too-large' },
  },
  // added with the pour kind
  ...signAdded.map(okOf),
  {
    name: 'pour-replay',
    keyHex: key,
    lastCounter: 9,
    payload: pourBase,
    expect: { ok: false, reason: 'replay' },
  },
  {
    name: 'pour-volume-tampered',
    keyHex: key,
    lastCounter: -1,
    payload: swap(pourBase, '"ml":335', '"ml":33'),
    expect: { ok: false, reason: 'bad-mac' },
  },
  {
    name: 'pour-bad-end',
    keyHex: key,
    lastCounter: -1,
    payload: swap(pourBase, '"end":"limit"', '"end":"spill"'),
    expect: { ok: false, reason: 'bad-field' },
  },
  {
    name: 'pour-negative-volume',
    keyHex: key,
    lastCounter: -1,
    payload: swap(pourBase, '"ml":335', '"ml":-335'),
    expect: { ok: false, reason: 'bad-field' },
  },
  {
    name: 'pour-missing-amount',
    keyHex: key,
    lastCounter: -1,
    payload: swap(pourBase, '"amt":500,', ''),
    expect: { ok: false, reason: 'bad-field' },
  },
  {
    name: 'pour-volume-over-100l',
    keyHex: key,
    lastCounter: -1,
    payload: swap(pourBase, '"ml":335', '"ml":100001'),
    expect: { ok: false, reason: 'bad-field' },
  },
];
const dir = new URL('../vectors/', import.meta.url);
writeFileSync(new URL('protocol-sign.json', dir), `${JSON.stringify(sign, null, 1)}\n`);
writeFileSync(new URL('protocol-verify.json', dir), `${JSON.stringify(verify, null, 1)}\n`);
console.log(`wrote ${sign.length} sign and ${verify.length} verify vectors`);
