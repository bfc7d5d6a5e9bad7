/**
 * Reads the SUN URL of an NTAG 424 DNA in exactly three exchanges (select application, select
 * file, read binary), over whatever carries APDUs (PN532 InDataExchange on the terminal).
 */
import { READ_BINARY, SELECT_NDEF_APP, SELECT_NDEF_FILE } from './apdu.js';
import { parseUriRecord } from './ndef.js';
import { parseSunUrl, type SunUrl } from './ntag424.js';

export type Exchange = (
  this: void,
  apdu: number[],
  cb: (this: void, ok: boolean, response: number[]) => void,
) => void;

function statusOk(resp: number[]): boolean {
  return resp.length >= 2 && resp[resp.length - 2] === 0x90 && resp[resp.length - 1] === 0x00;
}

export function readSunUrl(exchange: Exchange, done: (this: void, result: SunUrl) => void): void {
  exchange(SELECT_NDEF_APP, (ok1, r1) => {
    if (!ok1 || !statusOk(r1)) return done({ ok: false, reason: 'select-app-failed' });
    exchange(SELECT_NDEF_FILE, (ok2, r2) => {
      if (!ok2 || !statusOk(r2)) return done({ ok: false, reason: 'select-file-failed' });
      exchange(READ_BINARY, (ok3, r3) => {
        if (!ok3 || !statusOk(r3) || r3.length < 4) return done({ ok: false, reason: 'read-failed' });
        const nlen = r3[0] * 256 + r3[1];
        if (nlen + 4 > r3.length) return done({ ok: false, reason: 'bad-ndef' });
        const url = parseUriRecord(r3.slice(2, 2 + nlen));
        if (url === undefined) return done({ ok: false, reason: 'bad-ndef' });
        done(parseSunUrl(url));
      });
    });
  });
}
