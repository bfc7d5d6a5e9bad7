/**
 * NTAG 424 DNA SUN check (NXP AN12196): the card's MAC over its UID and read counter proves the
 * tap came from the genuine chip; a counter not above the last one seen is a replay or a clone.
 */
import { ntag424 } from '@tibillet/firmware';

type SunData = import('@tibillet/firmware').protocol.SunData;

import type { CardKeys } from '../venue-config.js';

export type SunCheck = { ok: true; counter: number } | { ok: false; reason: 'bad-sun' | 'card-cloned' };

export function checkSun(
  uid: string,
  sun: SunData | undefined,
  keys: CardKeys,
  lastCounter: number,
): SunCheck {
  if (!sun) return { ok: false, reason: 'bad-sun' };
  let r: ntag424.SunResult;
  if (sun.picc)
    r = ntag424.verifySun({
      piccData: sun.picc,
      cmac: sun.cmac,
      metaReadKey: keys.metaReadKey,
      fileReadKey: keys.fileReadKey,
    });
  else if (sun.uid && sun.ctr)
    r = ntag424.verifySunPlain({
      uid: sun.uid,
      counter: sun.ctr,
      cmac: sun.cmac,
      fileReadKey: keys.fileReadKey,
    });
  else return { ok: false, reason: 'bad-sun' };
  if (!r.ok || r.uid !== uid.toUpperCase()) return { ok: false, reason: 'bad-sun' };
  if (r.counter <= Math.max(lastCounter, keys.lastCounter)) return { ok: false, reason: 'card-cloned' };
  return { ok: true, counter: r.counter };
}
