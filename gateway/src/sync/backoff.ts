/** Exponential backoff with "equal jitter": half the window fixed, half random, never a tight loop. */
export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.floor(cap / 2 + random() * (cap / 2));
}
