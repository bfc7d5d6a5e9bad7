/**
 * Connects the PN532 driver and card poller to the terminal: initialises the chip, turns
 * `cardPresent`/`cardRemoved` into reader events, and for ISO-DEP cards (NTAG 424 DNA, SAK bit
 * 0x20) reads the SUN URL first (three exchanges), so a tap message leaves after at most three
 * PN532 round trips past the detecting InListPassiveTarget.
 */
import type { Clock } from '../hal/types.js';
import { readSunUrl } from '../nfc/reader424.js';
import type { Pn532Driver } from '../pn532/driver.js';
import { CardPoller, type PollerOptions } from '../pn532/poller.js';
import type { SunData } from '../protocol/messages.js';
import type { ReaderEvent } from './machine.js';

/**
 * The reader interface the terminal sees, whatever the chip: a loop started by `startReader`
 * (PN532) or `startRc522Reader` (MFRC522) that emits the same `ReaderEvent`s, and can be paused
 * (the maintenance self-test does, so the technician's card is not taken for a tap).
 */
export interface ReaderHandle {
  start(): void;
  stop(): void;
}

export function startReader(
  driver: Pn532Driver,
  clock: Clock,
  emit: (this: void, ev: ReaderEvent) => void,
  options?: PollerOptions,
): CardPoller {
  const poller = new CardPoller(
    driver,
    clock,
    (ev) => {
      if (ev.type === 'cardRemoved') {
        emit({ type: 'removed' });
        return;
      }
      if ((ev.sak & 0x20) === 0) {
        emit({ type: 'card', uid: ev.uid });
        return;
      }
      readSunUrl(
        (apdu, cb) => driver.inDataExchange(ev.tg, apdu, (r) => cb(r.ok, r.ok ? r.value : [])),
        (url) => {
          let sun: SunData | undefined;
          if (url.ok && url.kind === 'encrypted') sun = { picc: url.piccData, cmac: url.cmac };
          else if (url.ok && url.kind === 'plain') sun = { uid: url.uid, ctr: url.counter, cmac: url.cmac };
          // A 424 whose URL cannot be read still taps with its UID: the gateway decides (bad-sun).
          emit(sun !== undefined ? { type: 'card', uid: ev.uid, sun } : { type: 'card', uid: ev.uid });
        },
      );
    },
    options,
  );
  // A PN532 that does not answer at boot (powered after the board, a loose wire) is woken again
  // every WAKE_RETRY_MS: the terminal shows the reader error once and recovers by itself.
  let reported = false;
  const wake = (): void => {
    driver.wakeUp((woke) => {
      if (!woke.ok) {
        if (!reported) emit({ type: 'reader-error', code: woke.reason });
        reported = true;
        clock.setTimeout(wake, WAKE_RETRY_MS);
        return;
      }
      driver.getFirmwareVersion((fw) => {
        if (fw.ok) emit({ type: 'reader-ready', version: 'PN532 ' + fw.value.ver + '.' + fw.value.rev });
        poller.start();
      });
    });
  };
  wake();
  return poller;
}

/** Delay between two wake-up attempts of a PN532 that did not answer. */
export const WAKE_RETRY_MS = 2000;
