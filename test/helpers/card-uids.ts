/** `n` card UIDs (7 bytes, hex): `prefix` (10 hex digits) followed by a 4-digit counter. */
export const cardUids = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i.toString(16).padStart(4, '0').toUpperCase()}`);
