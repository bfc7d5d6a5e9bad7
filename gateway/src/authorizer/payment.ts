/** Splits an amount across a card's assets in the venue's priority order (pure). */
import type { Leg } from '../journal/journal.js';

export interface Split {
  legs: Leg[];
  /** What the balances could not cover. */
  missing: number;
}

export function splitPayment(
  amount: number,
  available: (asset: string) => number,
  priority: string[],
): Split {
  const legs: Leg[] = [];
  let rest = amount;
  for (const asset of priority) {
    if (rest === 0) break;
    const take = Math.min(rest, Math.max(0, available(asset)));
    if (take > 0) {
      legs.push({ asset, amount: take });
      rest -= take;
    }
  }
  return { legs, missing: rest };
}

/** Adds `extra` to the leg of `asset` (or appends one): the stand-in overdraft goes on the last asset. */
export function addToLeg(legs: Leg[], asset: string, extra: number): Leg[] {
  const out = legs.map((l) => ({ ...l }));
  const leg = out.find((l) => l.asset === asset);
  if (leg) leg.amount += extra;
  else out.push({ asset, amount: extra });
  return out;
}
