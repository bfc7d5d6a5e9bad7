/** PN532 NFC reader: frame codec, streaming decoder, driver, card poller, transports, simulator. */
export { reverseBits } from './bitrev.js';
export { type DecoderEvent, FrameDecoder, type InvalidReason } from './decoder.js';
export {
  type DriverEvent,
  type DriverOptions,
  type FirmwareVersion,
  type Pn532Callback,
  Pn532Driver,
  type Pn532Result,
} from './driver.js';
export {
  ACK_FRAME,
  buildFrame,
  CMD,
  commandFrame,
  ERROR_FRAME,
  findStartCode,
  frameLengthAt,
  HSU_WAKEUP,
  MAX_DATA_LENGTH,
  NACK_FRAME,
  responseFrame,
  TFI_CHIP,
  TFI_ERROR,
  TFI_HOST,
} from './frame.js';
export { type CardEvent, CardPoller, type PollerOptions } from './poller.js';
export { type SerialPair, serialPair } from './serial-pair.js';
export { type SimulatedOptions, type SimulatedReader, simulatedReader } from './simulated.js';
export { Pn532Simulator, type SimCard, type SimFaults, type SimOptions, uidCard } from './simulator.js';
export { statusCode, statusName } from './status.js';
export { parseTypeATarget, type TargetInfo, type TargetParse, upperHex } from './target.js';
export type { Pn532Transport } from './transport.js';
export { HSU_BAUD, HsuTransport } from './transport-hsu.js';
export { I2C_ADDRESS, I2C_READY, i2cTransport } from './transport-i2c.js';
export { type PolledBus, type PolledOptions, PolledTransport } from './transport-polled.js';
export { SPI_DR, SPI_DW, SPI_SR, spiTransport } from './transport-spi.js';
export { VirtualClock } from './virtual-clock.js';
