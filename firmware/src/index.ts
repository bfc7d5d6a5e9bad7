/** @tibillet/firmware: the portable terminal core. Targets import from here. */
export type * from './hal/types.js';
export * as nfc from './nfc/index.js';
export * as ntag424 from './nfc/ntag424.js';
export * as pn532 from './pn532/index.js';
export * as protocol from './protocol/index.js';
export * as rc522 from './rc522/index.js';
export * as terminal from './terminal/index.js';
export * as bytes from './util/bytes.js';
export const FIRMWARE_VERSION = '0.1.0';
