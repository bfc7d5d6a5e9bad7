/** Storage module tb-fr: the French display texts (provisioning `lang` "fr", the default). */
import { FR } from '../../../src/terminal/texts.js';

export const api = FR;
espruinoModule.exports = api;
