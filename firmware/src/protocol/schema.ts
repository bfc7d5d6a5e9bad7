/**
 * A tiny portable validator for message bodies: a field table per kind, as text (messages.ts
 * says how it reads), checked without exceptions. Keeps the protocol's shape in one place
 * (messages.ts) as data, so every target validates exactly the same way.
 */
import type { Json } from '../util/json.js';
import { SUB_FIELDS } from './messages.js';

const MAX_SAFE = 9007199254740991;

/** An even number of hex digits (either case). */
export function isHex(s: string): boolean {
  if (s.length % 2 !== 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Ids (venue, device, tx, sku): 1..max characters of [A-Za-z0-9_-]. */
export function isId(s: string, max: number): boolean {
  if (s.length < 1 || s.length > max) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
    if (!ok) return false;
  }
  return true;
}

function isRecord(v: Json): boolean {
  return typeof v === 'object' && !Array.isArray(v);
}

/** A table's decimal number ('' → `dflt`). */
function num(s: string, dflt: number): number {
  if (s === '') return dflt;
  const neg = s.charAt(0) === '-';
  let n = 0;
  for (let i = neg ? 1 : 0; i < s.length; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return neg ? -n : n;
}

function isInt(v: Json, min: number, max: number): boolean {
  return typeof v === 'number' && Math.floor(v) === v && v >= min && v <= max;
}

/** `v` against type `t` with its arguments `a` (see messages.ts). */
function checkValue(t: string, a: string, v: Json): boolean {
  if (t === 'b') return typeof v === 'boolean';
  if (t === 'i') {
    const tilde = a.indexOf('~');
    return tilde < 0
      ? isInt(v, num(a, 0), MAX_SAFE)
      : isInt(v, num(a.substring(0, tilde), 0), num(a.substring(tilde + 1), 0));
  }
  if (t === 'e')
    return typeof v === 'string' && v.indexOf('|') < 0 && ('|' + a + '|').indexOf('|' + v + '|') >= 0;
  let j = 0;
  while (j < a.length && a.charCodeAt(j) < 58) j++; // the leading digits: a length or a count
  const max = num(a.substring(0, j), 0);
  const sub = a.substring(j);
  if (t === 's') return typeof v === 'string' && v.length <= max;
  if (t === 'd') return typeof v === 'string' && isId(v, max);
  if (t === 'x') return typeof v === 'string' && v.length > 0 && v.length <= max && isHex(v);
  if (t === 'o')
    return (
      isRecord(v) && (sub === '' || validateFields(SUB_FIELDS[sub], v as { [key: string]: Json }) === '')
    );
  if (!Array.isArray(v)) return false;
  const arr = v as Json[];
  if (arr.length > max) return false;
  for (let i = 0; i < arr.length; i++) {
    const item = arr[i];
    if (
      t === 'S'
        ? !(typeof item === 'string' && item.length <= 64)
        : t === 'I'
          ? !isInt(item, 0, 65535)
          : !(isRecord(item) && validateFields(SUB_FIELDS[sub], item as { [key: string]: Json }) === '')
    )
      return false;
  }
  return true;
}

/**
 * Returns '' when `obj` matches the field table `fields` exactly (no unknown keys), else the name
 * of the first offending field.
 */
export function validateFields(fields: string, obj: { [key: string]: Json }): string {
  let start = 0;
  while (start < fields.length) {
    let end = fields.indexOf(' ', start);
    if (end < 0) end = fields.length;
    const colon = fields.indexOf(':', start);
    const optional = fields.charAt(colon - 1) === '?';
    const name = fields.substring(start, optional ? colon - 1 : colon);
    const v = obj[name];
    if (
      v === undefined ? !optional : !checkValue(fields.charAt(colon + 1), fields.substring(colon + 2, end), v)
    )
      return name;
    start = end + 1;
  }
  // A key is known when the table has ` key:` or ` key?:` (field names are ids: no ':' or ' ').
  const spaced = ' ' + fields;
  for (const k in obj) {
    if (!isId(k, 16) || (spaced.indexOf(' ' + k + ':') < 0 && spaced.indexOf(' ' + k + '?:') < 0)) return k;
  }
  return '';
}
