/**
 * The Storage modules of the Espruino build, beside the main file (dist/espruino/terminal.js):
 * code that not every terminal runs, uploaded to Storage under these names (the flash tool does
 * it from dist/espruino/modules.json; by hand: `npx espruino --storage tb-pn532:dist/espruino/tb-pn532.js …`)
 * and loaded with Espruino's `require(name)` only when the configuration needs it:
 * - tb-pn532: the PN532 reader (driver, HSU/I2C/SPI transports, card poller, NTAG 424 SUN read);
 * - tb-rc522: the MFRC522 reader instead (provisioning `reader: "rc522"`), on the SPI pins;
 * - tb-selftest: the maintenance self-test (`tbSelftest`, run by the flash tool);
 * - tb-sha256: SHA-256 in JavaScript, only for an Espruino build without `require('crypto').SHA256`;
 * - tb-fr, tb-en: the display texts of the configured language (texts.ts).
 * Only the types are imported here: a module's code never ends up in the main file.
 */
import type * as EnModule from './modules/en.js';
import type * as FrModule from './modules/fr.js';
import type * as Pn532Module from './modules/pn532.js';
import type * as Rc522Module from './modules/rc522.js';
import type * as SelftestModule from './modules/selftest.js';
import type * as Sha256Module from './modules/sha256.js';

export interface TbModules {
  fr: typeof FrModule.api;
  en: typeof EnModule.api;
  pn532: typeof Pn532Module.api;
  rc522: typeof Rc522Module.api;
  selftest: typeof SelftestModule.api;
  sha256: typeof Sha256Module.api;
}

/**
 * `require("tb-" + name)`: Espruino finds the Storage file of that name and runs it once (later
 * calls get the cached exports). Built from a variable so the Espruino IDE/CLI, which scans for
 * `require("…")` literals to fetch modules from the web, does not look for these.
 */
export function tbModule<K extends keyof TbModules>(name: K): TbModules[K] {
  return espruinoRequire('tb-' + name) as TbModules[K];
}
