/** Storage module tb-en: the English display texts (provisioning `lang: "en"`). */
import { EN } from '../../../src/terminal/texts.js';

export const api = EN;
espruinoModule.exports = api;
