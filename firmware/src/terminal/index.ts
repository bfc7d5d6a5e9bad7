/** The terminal: state machine, offline queue, reader glue, texts. */
export { type ReaderEvent, Terminal, type TerminalConfig } from './machine.js';
export { OfflineQueue } from './offline-queue.js';
export { type ReaderHandle, startReader } from './reader-adapter.js';
export { type Rc522ReaderOptions, startRc522Reader } from './reader-rc522.js';
export {
  type Check,
  runSelftest,
  runSelftestPaused,
  type SelftestOptions,
  type SelftestReport,
} from './selftest.js';
export { BEEP_DECLINED, BEEP_ERROR, BEEP_OK, type Lang, money, text } from './texts.js';
