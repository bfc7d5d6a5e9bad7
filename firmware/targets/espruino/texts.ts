/**
 * Display texts for the Espruino build: the build routes the core's imports of
 * src/terminal/texts.js here, so only the configured language's table is loaded, from its Storage
 * module (tb-fr or tb-en), on first use. Formatting and beep patterns are the core's own.
 */
import type { Lang } from '../../src/terminal/texts.js';
import { tbModule } from './modules.js';

export { BEEP_DECLINED, BEEP_ERROR, BEEP_OK, type Lang, money } from '../../src/terminal/texts.js';

let loaded = '';
let table: { [key: string]: string } = {};

/** As src/terminal/texts.ts's `text`: a key without a text (or no language module) shows as itself. */
export function text(lang: Lang, key: string): string {
  if (loaded !== lang) {
    loaded = lang;
    try {
      table = tbModule(lang === 'en' ? 'en' : 'fr');
    } catch {
      table = {};
      print('tibillet: Storage module tb-' + lang + ' missing: flash it');
    }
  }
  const t = table[key];
  return t !== undefined ? t : key;
}
