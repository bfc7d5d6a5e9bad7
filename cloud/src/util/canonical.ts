// Canonical JSON (object keys sorted, no whitespace) and its SHA-256: the body hash that
// idempotency compares.
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export const sha256 = (data: string | Uint8Array): Buffer => createHash('sha256').update(data).digest();

export const bodyHash = (value: unknown): Buffer => sha256(canonicalJson(value));
