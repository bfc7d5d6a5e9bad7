// Body hashes of a sync batch, computed once per item. Byte-identical to util/canonical.ts
// (`canonicalJson`, keys sorted by UTF-16 code units, undefined members dropped, no whitespace):
// the batch's canonical JSON is assembled from the items' canonical strings instead of being
// re-serialised, so a 5,000-item batch is canonicalised once, not twice.
import { createHash, hash } from 'node:crypto';

const quoted = new Map<string, string>();
const quote = (k: string): string => {
  let q = quoted.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quoted.size < 1024) quoted.set(k, q);
  }
  return q;
};

/** Same output as `canonicalJson` (util/canonical.ts), with fewer intermediate arrays. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let s = '[';
    for (let i = 0; i < value.length; i++) s += (i ? ',' : '') + canonical(value[i]);
    return `${s}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    s += (first ? '' : ',') + quote(k) + ':' + canonical(v);
    first = false;
  }
  return `${s}}`;
}

/** Every member a sync item may have (docs/sync-api.md), in canonical (sorted) order. */
const ITEM_KEYS = [
  'at',
  'cardUid',
  'cashierId',
  'deviceId',
  'funding',
  'id',
  'legs',
  'offline',
  'reason',
  'type',
  'voids',
];
const ITEM_INDEX = new Map(ITEM_KEYS.map((k, i) => [k, i]));
const ITEM_KEY_PREFIX = ITEM_KEYS.map((k) => `${JSON.stringify(k)}:`);

/** JSON of a primitive exactly as JSON.stringify writes it; null when not a primitive. */
function primitive(v: unknown): string | null {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return v === null ? 'null' : null;
  }
}

/**
 * `canonical(item)` for the usual shape of a sync item (plain object, known members, legs of
 * {asset, amount}), without sorting keys at run time; anything else goes through `canonical`.
 */
export function canonicalItem(item: unknown): string {
  if (
    item === null ||
    typeof item !== 'object' ||
    Array.isArray(item) ||
    Object.getPrototypeOf(item) !== Object.prototype
  )
    return canonical(item);
  const obj = item as Record<string, unknown>;
  // Only own enumerable members count (as for Object.keys); remember which ones are there.
  let present = 0;
  for (const k in obj) {
    const i = ITEM_INDEX.get(k);
    if (i === undefined || !Object.hasOwn(obj, k)) return canonical(item);
    present |= 1 << i;
  }
  let s = '{';
  let first = true;
  for (let i = 0; i < ITEM_KEYS.length; i++) {
    if (!(present & (1 << i))) continue;
    const v = obj[ITEM_KEYS[i]];
    if (v === undefined) continue;
    let json = primitive(v);
    if (json === null) json = i === 6 ? canonicalLegs(v) : canonical(v);
    s += (first ? '' : ',') + ITEM_KEY_PREFIX[i] + json;
    first = false;
  }
  return `${s}}`;
}

function canonicalLegs(v: unknown): string {
  if (!Array.isArray(v)) return canonical(v);
  let s = '[';
  for (let i = 0; i < v.length; i++) {
    const l = v[i] as Record<string, unknown> | null;
    let json: string | null = null;
    if (l !== null && typeof l === 'object' && Object.getPrototypeOf(l) === Object.prototype) {
      let has = 0;
      for (const k in l) {
        if (k === 'amount' && Object.hasOwn(l, k)) has |= 1;
        else if (k === 'asset' && Object.hasOwn(l, k)) has |= 2;
        else {
          has = -1;
          break;
        }
      }
      if (has >= 0) {
        const amount = !(has & 1) || l.amount === undefined ? '' : primitive(l.amount);
        const asset = !(has & 2) || l.asset === undefined ? '' : primitive(l.asset);
        if (amount !== null && asset !== null)
          json = `{${amount ? `"amount":${amount}` : ''}${amount && asset ? ',' : ''}${asset ? `"asset":${asset}` : ''}}`;
      }
    }
    s += (i ? ',' : '') + (json ?? canonical(l));
  }
  return `${s}]`;
}

export const sha256 = (data: string | Uint8Array): Buffer => hash('sha256', data, 'buffer');
/** SHA-256 as hex: no Buffer (and no ArrayBuffer for the GC to track) per item. */
export const sha256Hex = (data: string | Uint8Array): string => hash('sha256', data, 'hex');

/**
 * Body hashes of a batch and of each of its items: `bodyHash(batch)` and `items.map(bodyHash)`
 * (util/canonical.ts; the items' as hex), computed from one serialisation of the items.
 */
export function batchHashes(batch: { items: unknown[] } & Record<string, unknown>): {
  batch: Buffer;
  items: string[];
} {
  // The batch hash is streamed: the canonical JSON around the items, and each item's canonical
  // string once (hashed on its own too), without joining a batch-sized string.
  const whole = createHash('sha256');
  const items: string[] = new Array(batch.items.length);
  const keys = Object.keys(batch).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const v = batch[k];
    if (v === undefined) continue;
    s += (first ? '' : ',') + quote(k) + ':';
    first = false;
    if (k !== 'items') {
      s += canonical(v);
      continue;
    }
    whole.update(s);
    s = '';
    whole.update('[');
    for (let i = 0; i < batch.items.length; i++) {
      const c = canonicalItem(batch.items[i]);
      items[i] = sha256Hex(c);
      whole.update(i ? `,${c}` : c);
    }
    whole.update(']');
  }
  whole.update(`${s}}`);
  return { batch: whole.digest(), items };
}
