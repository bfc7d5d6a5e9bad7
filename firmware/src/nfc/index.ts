/** NFC cards: ISO 14443-A ids, NTAG21x, NTAG 424 DNA SUN, NDEF, and emulators for the simulator. */
export * from './iso14443a.js';
export * as ntag21x from './ntag21x.js';
export * as ntag424 from './ntag424.js';
export { aesCmac } from './cmac.js';
export { parseUriRecord, uriRecord, findNdefTlv } from './ndef.js';
export { readSunUrl, type Exchange } from './reader424.js';
export { Ntag21xCard, Ntag424Card, type Ntag424Options } from './emulators.js';
export * from './apdu.js';
