/** The terminal: state machine, offline queue, reader glue, texts. */
export { Terminal, type ReaderEvent, type TerminalConfig } from './machine.js';
export { OfflineQueue } from './offline-queue.js';
export { type ReaderHandle, startReader } from './reader-adapter.js';
export { type Rc522ReaderOptions, startRc522Reader } from './reader-rc522.js';
export { text, money, type Lang, BEEP_OK, BEEP_DECLINED, BEEP_ERROR } from './texts.js';
export { runSelftest, runSelftestPaused, type SelftestReport, type SelftestOptions, type Check } from './selftest.js';
