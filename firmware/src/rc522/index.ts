/** MFRC522 ("RC522") NFC reader on SPI: register map, driver, SPI-level simulator. */

export {
  type Rc522Callback,
  type Rc522Card,
  Rc522Driver,
  type Rc522Options,
  type Rc522Result,
  rc522VersionName,
} from './driver.js';
export * as registers from './registers.js';
export { crcA, spiAddress } from './registers.js';
export { type Rc522SimCard, type Rc522SimFaults, Rc522Simulator } from './simulator.js';
