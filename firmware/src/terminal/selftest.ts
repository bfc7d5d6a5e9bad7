/**
 * Maintenance self-test, run by the technician (`tibillet-flash selftest`) before doors open:
 * the PN532 answers with its firmware version, a card is read within the wait, the display,
 * buzzer and LED are driven, Wi-Fi and MQTT are up. Pure: HAL calls and the driver only.
 * Report shape (the flash tool's contract): {pn532, card, display, buzzer, led, wifi, mqtt},
 * each {ok, detail?}.
 */
import type { Hal } from '../hal/types.js';
import type { Pn532Driver } from '../pn532/driver.js';
import type { ReaderHandle } from './reader-adapter.js';

export interface Check {
  ok: boolean;
  detail?: string;
}

export interface SelftestReport {
  pn532: Check;
  card: Check;
  display: Check;
  buzzer: Check;
  led: Check;
  wifi: Check;
  mqtt: Check;
}

export interface SelftestOptions {
  /** How long to wait for the technician's card, ms. */
  cardWaitMs: number;
  /** How long to wait for the MQTT connection, ms. */
  mqttWaitMs: number;
  /** Wi-Fi state where the board has one (undefined: wired or host, reported ok). */
  wifiConnected?: () => boolean;
}

function attempt(fn: () => void): Check {
  try {
    fn();
    return { ok: true };
  } catch (e) {
    return { ok: false, detail: String(e) };
  }
}

export function runSelftest(
  hal: Hal,
  driver: Pn532Driver,
  opts: SelftestOptions,
  done: (this: void, r: SelftestReport) => void,
): void {
  const report: SelftestReport = {
    pn532: {
      ok: false,
      detail: 'no PN532 answer: check the wiring and DIP switches (HSU: both off)',
    },
    card: { ok: false, detail: 'no card presented' },
    display: attempt(() => hal.display.show(['SELF-TEST', 'Present a card'])),
    buzzer: attempt(() => hal.buzzer.beep([80, 80, 80])),
    led: attempt(() => {
      hal.led.set('green', []);
      hal.led.set('red', []);
      hal.led.set('off', []);
    }),
    wifi:
      opts.wifiConnected === undefined
        ? { ok: true, detail: 'no Wi-Fi on this board' }
        : { ok: opts.wifiConnected() },
    mqtt: { ok: false, detail: 'not connected' },
  };
  if (!report.wifi.ok) report.wifi.detail = 'not connected: check the SSID and password';
  const started = hal.clock.now();

  const finish = () => {
    const wait = function (this: void) {
      if (hal.mqtt.isConnected()) report.mqtt = { ok: true };
      if (report.mqtt.ok || hal.clock.now() - started >= opts.mqttWaitMs) {
        hal.display.show([
          'SELF-TEST',
          report.pn532.ok && report.card.ok && report.mqtt.ok ? 'OK' : 'FAILED',
        ]);
        done(report);
        return;
      }
      hal.clock.setTimeout(wait, 100);
    };
    wait();
  };

  const pollCard = function (this: void) {
    driver.inListPassiveTarget((r) => {
      if (r.ok && r.value !== undefined) {
        report.card = { ok: true, detail: r.value.uid };
        finish();
      } else if (hal.clock.now() - started >= opts.cardWaitMs) finish();
      else hal.clock.setTimeout(pollCard, 100);
    }, 300);
  };

  driver.wakeUp((woke) => {
    if (!woke.ok) {
      report.pn532.detail = report.pn532.detail + ' (' + woke.reason + ')';
      finish();
      return;
    }
    driver.getFirmwareVersion((fw) => {
      if (!fw.ok) {
        finish();
        return;
      }
      report.pn532 = { ok: true, detail: 'PN532 ' + fw.value.ver + '.' + fw.value.rev };
      pollCard();
    });
  });
}

/**
 * The self-test on a running terminal (the flash tool's `tbSelftest`/`tbselftest`): the reader
 * loop pauses so the technician's card is not taken for a tap, and resumes once the card has left.
 */
export function runSelftestPaused(
  hal: Hal,
  driver: Pn532Driver,
  reader: ReaderHandle,
  opts: SelftestOptions,
  done: (this: void, r: SelftestReport) => void,
): void {
  reader.stop();
  runSelftest(hal, driver, opts, (r) => {
    const resume = function (this: void) {
      driver.inListPassiveTarget((c) => {
        if (c.ok && c.value !== undefined) hal.clock.setTimeout(resume, 300);
        else reader.start();
      }, 300);
    };
    resume();
    done(r);
  });
}
