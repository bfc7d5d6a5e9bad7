/** The terminal: state machine, offline queue, reader glue, texts. */
export { Terminal, type ReaderEvent, type TerminalConfig } from './machine.js';
export { OfflineQueue } from './offline-queue.js';
export { startReader } from './reader-adapter.js';
export { text, money, type Lang, BEEP_OK, BEEP_DECLINED, BEEP_ERROR } from './texts.js';
export { runSelftest, type SelftestReport, type SelftestOptions, type Check } from './selftest.js';
