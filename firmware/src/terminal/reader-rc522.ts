/**
 * Connects the MFRC522 driver to the terminal: the same `ReaderEvent`s as the PN532 path
 * (reader-adapter.ts), from a polling loop: init the chip ('reader-ready' with "RC522 <version>",
 * or 'reader-error' with the reason, retried every `retryMs`), then one WUPA + cascade select +
 * HLTA per `intervalMs`. One tap = one 'card'; 'removed' after `removeAfterMisses` polls without
 * it. `errorsBeforeReset` chip timeouts in a row (chip unplugged or hung) report a 'reader-error'
 * and re-initialise the chip. The RC522 reads UIDs only: no SUN data (NTAG 424 taps carry their
 * UID, the gateway decides).
 */
import type { Clock } from '../hal/types.js';
import { upperHex } from '../pn532/target.js';
import { type Rc522Driver, rc522VersionName } from '../rc522/driver.js';
import type { ReaderEvent } from './machine.js';
import type { ReaderHandle } from './reader-adapter.js';

export interface Rc522ReaderOptions {
  /** Pause between polls (default 50 ms). */
  intervalMs?: number;
  /** Consecutive misses before 'removed' (default 2). */
  removeAfterMisses?: number;
  /** Consecutive chip timeouts before 'reader-error' and a re-initialisation (default 3). */
  errorsBeforeReset?: number;
  /** Pause before initialising the chip again after a failure (default 2000 ms). */
  retryMs?: number;
}

export function startRc522Reader(
  driver: Rc522Driver,
  clock: Clock,
  emit: (this: void, ev: ReaderEvent) => void,
  options?: Rc522ReaderOptions,
): ReaderHandle {
  const o = options || {};
  const intervalMs = o.intervalMs === undefined ? 50 : o.intervalMs;
  const removeAfter = o.removeAfterMisses === undefined ? 2 : o.removeAfterMisses;
  const errorsBeforeReset = o.errorsBeforeReset === undefined ? 3 : o.errorsBeforeReset;
  const retryMs = o.retryMs === undefined ? 2000 : o.retryMs;
  let running = false;
  let ready = false;
  let busy = false;
  let timer = -1;
  let card = '';
  let misses = 0;
  let errors = 0;
  /** A reader-error was emitted and the chip has not come back since. */
  let reported = false;

  const schedule = (ms: number): void => {
    if (!running) return;
    if (timer >= 0) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = -1;
      tick();
    }, ms);
  };
  const error = (code: string): void => {
    if (card !== '') {
      card = '';
      emit({ type: 'removed' });
    }
    if (!reported) emit({ type: 'reader-error', code });
    reported = true;
  };
  const tick = (): void => {
    if (busy) return;
    busy = true;
    if (!ready) {
      driver.init((r) => {
        busy = false;
        if (!r.ok) {
          error(r.reason);
          schedule(retryMs);
          return;
        }
        ready = true;
        reported = false;
        errors = 0;
        emit({ type: 'reader-ready', version: 'RC522 ' + rc522VersionName(r.value) });
        schedule(0);
      });
      return;
    }
    driver.readCard((r) => {
      busy = false;
      if (!r.ok && r.reason === 'rc522-timeout') {
        errors++;
        if (errors >= errorsBeforeReset) {
          ready = false;
          error(r.reason);
          schedule(retryMs);
          return;
        }
      } else errors = 0;
      if (r.ok && r.value !== undefined) {
        misses = 0;
        const uid = upperHex(r.value.uid);
        if (uid !== card) {
          if (card !== '') emit({ type: 'removed' });
          card = uid;
          emit({ type: 'card', uid });
        }
      } else if (card !== '' && ++misses >= removeAfter) {
        card = '';
        misses = 0;
        emit({ type: 'removed' });
      }
      schedule(intervalMs);
    });
  };
  const handle: ReaderHandle = {
    start: () => {
      if (running) return;
      running = true;
      schedule(0);
    },
    stop: () => {
      running = false;
      if (timer >= 0) clock.clearTimeout(timer);
      timer = -1;
    },
  };
  handle.start();
  return handle;
}
