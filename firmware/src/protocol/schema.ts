/**
 * A tiny portable validator for message bodies: a table of field specs per kind, checked
 * without exceptions. Keeps the protocol's shape in one place (messages.ts) as data, so every
 * target validates exactly the same way.
 */
import type { Json } from '../util/json.js';

export type FieldType = 'str' | 'id' | 'hex' | 'int' | 'bool' | 'enum' | 'strs' | 'ints' | 'obj' | 'objs';

export interface FieldSpec {
  name: string;
  type: FieldType;
  required: boolean;
  /** str/hex/id: max length; arrays: max items. */
  max?: number;
  /** int: inclusive bounds. */
  min?: number;
  maxValue?: number;
  /** enum: allowed values. */
  values?: string[];
  /** obj/objs: nested fields (obj without fields: any object). */
  fields?: FieldSpec[];
}

function isHex(s: string): boolean {
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

function checkValue(spec: FieldSpec, v: Json): boolean {
  const t = spec.type;
  if (t === 'str') return typeof v === 'string' && v.length <= (spec.max ?? 64);
  if (t === 'id') return typeof v === 'string' && isId(v, spec.max ?? 32);
  if (t === 'hex') return typeof v === 'string' && v.length > 0 && v.length <= (spec.max ?? 64) && isHex(v);
  if (t === 'bool') return typeof v === 'boolean';
  if (t === 'int')
    return (
      typeof v === 'number' &&
      Math.floor(v) === v &&
      v >= (spec.min ?? 0) &&
      v <= (spec.maxValue ?? 9007199254740991)
    );
  if (t === 'enum') return typeof v === 'string' && (spec.values ?? []).indexOf(v) >= 0;
  if (t === 'obj')
    return (
      isRecord(v) &&
      (spec.fields === undefined || validateFields(spec.fields, v as { [key: string]: Json }) === '')
    );
  if (!Array.isArray(v)) return false;
  const arr = v as Json[];
  if (arr.length > (spec.max ?? 16)) return false;
  for (let i = 0; i < arr.length; i++) {
    const item = arr[i];
    if (t === 'strs' && !(typeof item === 'string' && item.length <= 64)) return false;
    if (
      t === 'ints' &&
      !(typeof item === 'number' && Math.floor(item) === item && item >= 0 && item <= 65535)
    )
      return false;
    if (
      t === 'objs' &&
      !(isRecord(item) && validateFields(spec.fields ?? [], item as { [key: string]: Json }) === '')
    )
      return false;
  }
  return true;
}

/**
 * Returns '' when `obj` matches `fields` exactly (no unknown keys), else the name of the first
 * offending field.
 */
export function validateFields(fields: FieldSpec[], obj: { [key: string]: Json }): string {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const v = obj[f.name];
    if (v === undefined) {
      if (f.required) return f.name;
      continue;
    }
    if (!checkValue(f, v)) return f.name;
  }
  for (const k in obj) {
    let known = false;
    for (let i = 0; i < fields.length; i++) if (fields[i].name === k) known = true;
    if (!known) return k;
  }
  return '';
}
