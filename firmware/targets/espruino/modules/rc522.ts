/**
 * Storage module tb-rc522: the MFRC522 reader (provisioning `reader: "rc522"`), wired to the
 * reader header's SPI pins (the board profile's `pn532.spi`: SCK, MISO, MOSI, SS → SDA) and
 * its reset line (`pn532.rstpdn` → NRSTPD). UID taps only (see src/terminal/reader-rc522.ts).
 */
import type { Clock } from '../../../src/hal/types.js';
import { Rc522Driver } from '../../../src/rc522/driver.js';
import type { ReaderEvent } from '../../../src/terminal/machine.js';
import type { ReaderHandle } from '../../../src/terminal/reader-adapter.js';
import { startRc522Reader } from '../../../src/terminal/reader-rc522.js';
import { type BoardProfile, espruinoPin } from '../boards.js';
import { espruinoSpi } from '../hal.js';

function start(board: BoardProfile, clock: Clock, emit: (this: void, ev: ReaderEvent) => void): ReaderHandle {
  const rst = espruinoPin(board.pn532.rstpdn);
  digitalWrite(rst, 1);
  const driver = new Rc522Driver({
    spi: espruinoSpi(board),
    clock,
    reset: (done) => {
      digitalWrite(rst, 0);
      clock.setTimeout(() => {
        digitalWrite(rst, 1);
        clock.setTimeout(done, 50); // the oscillator restarts after NRSTPD rises (~38 ms, data sheet §8.8.2)
      }, 10);
    },
  });
  return startRc522Reader(driver, clock, emit);
}

export const api = { start };
espruinoModule.exports = api;
