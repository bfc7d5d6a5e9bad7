// An independent reference for the canonical encoding and MAC, used only to check the vectors
// and the portable implementation: JSON.stringify over deep-sorted keys + node:crypto HMAC.
import { createHmac } from 'node:crypto';

export function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortDeep((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export const referenceCanonical = (v: unknown): string => JSON.stringify(sortDeep(v));

export function referenceMac(keyHex: string, message: Record<string, unknown>): string {
  const { m: _m, ...unsigned } = message;
  return createHmac('sha256', Buffer.from(keyHex, 'hex'))
    .update(referenceCanonical(unsigned), 'utf8')
    .digest('hex');
}
