/**
 * Storage module tb-pn532: the PN532 reader on its configured bus (HSU on the board's UART, I2C
 * on I2C2, SPI on SPI1), reset through RSTPDN, and the card loop of src/terminal/reader-adapter.ts
 * (UID taps, NTAG 424 SUN read).
 */
import type { Clock, Serial } from '../../../src/hal/types.js';
import { Pn532Driver } from '../../../src/pn532/driver.js';
import type { Pn532Transport } from '../../../src/pn532/transport.js';
import { HsuTransport } from '../../../src/pn532/transport-hsu.js';
import { i2cTransport } from '../../../src/pn532/transport-i2c.js';
import { spiTransport } from '../../../src/pn532/transport-spi.js';
import type { ReaderEvent } from '../../../src/terminal/machine.js';
import { type ReaderHandle, startReader } from '../../../src/terminal/reader-adapter.js';
import { type BoardProfile, espruinoPin } from '../boards.js';
import { espruinoI2C, espruinoSerial, espruinoSpi } from '../hal.js';

export interface Pn532Reader {
  reader: ReaderHandle;
  driver: Pn532Driver;
}

function start(
  board: BoardProfile,
  bus: string | undefined,
  clock: Clock,
  emit: (this: void, ev: ReaderEvent) => void,
): Pn532Reader {
  let transport: Pn532Transport;
  if (bus === 'i2c') {
    const b = board.pn532.i2c;
    transport = i2cTransport(espruinoI2C(I2C2, b.scl, b.sda, 100000), clock, { address: b.address });
  } else if (bus === 'spi') transport = spiTransport(espruinoSpi(board), clock);
  else {
    const serial: Serial = espruinoSerial(board);
    transport = new HsuTransport(serial);
  }
  const rst = espruinoPin(board.pn532.rstpdn);
  digitalWrite(rst, 1);
  const driver = new Pn532Driver({
    clock,
    transport,
    reset: (done) => {
      digitalWrite(rst, 0);
      clock.setTimeout(() => {
        digitalWrite(rst, 1);
        clock.setTimeout(done, 10);
      }, 10);
    },
  });
  return { reader: startReader(driver, clock, emit, { intervalMs: 40 }), driver };
}

export const api = { start };
espruinoModule.exports = api;
