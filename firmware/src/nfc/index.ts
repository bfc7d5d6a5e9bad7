/** NFC cards: ISO 14443-A ids, NTAG21x, NTAG 424 DNA SUN, NDEF, and emulators for the simulator. */

export * from './apdu.js';
export { aesCmac } from './cmac.js';
export { Ntag21xCard, Ntag424Card, type Ntag424Options } from './emulators.js';
export * from './iso14443a.js';
export { findNdefTlv, parseUriRecord, uriRecord } from './ndef.js';
export * as ntag21x from './ntag21x.js';
export * as ntag424 from './ntag424.js';
export { type Exchange, readSunUrl } from './reader424.js';
