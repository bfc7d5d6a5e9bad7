/** Storage module tb-sha256: SHA-256 in JavaScript, for an Espruino build without require('crypto').SHA256. */
import { sha256 } from '../../../src/util/sha256.js';

export const api = { sha256 };
espruinoModule.exports = api;
