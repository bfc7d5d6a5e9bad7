/** Storage module tb-selftest: the maintenance self-test (src/terminal/selftest.ts), loaded when `tbSelftest` is called. */
import { runSelftestPaused } from '../../../src/terminal/selftest.js';

export const api = { run: runSelftestPaused };
espruinoModule.exports = api;
