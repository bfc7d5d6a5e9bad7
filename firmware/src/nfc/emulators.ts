/**
 * Card emulators for the PN532 simulator: an NTAG21x answering its native commands, and an
 * NTAG 424 DNA answering the ISO 7816 APDUs with a fresh SUN mirror (counter + 1) at every tap.
 */
import type { Crypto } from '../hal/types.js';
import type { SimCard } from '../pn532/simulator.js';
import { toHex } from '../util/bytes.js';
import {
  READ_BINARY,
  SELECT_NDEF_APP,
  SELECT_NDEF_FILE,
  SW_NOT_FOUND,
  SW_NOT_SUPPORTED,
  SW_OK,
  SW_WRONG_STATE,
  sameApdu,
} from './apdu.js';
import { uriRecord } from './ndef.js';
import { CMD_FAST_READ, CMD_GET_VERSION, CMD_READ, CMD_READ_SIG } from './ntag21x.js';
import { generateSun } from './ntag424.js';

const NTAG_VERSION: { [model: string]: number[] } = {
  NTAG213: [0x00, 0x04, 0x04, 0x02, 0x01, 0x00, 0x0f, 0x03],
  NTAG215: [0x00, 0x04, 0x04, 0x02, 0x01, 0x00, 0x11, 0x03],
  NTAG216: [0x00, 0x04, 0x04, 0x02, 0x01, 0x00, 0x13, 0x03],
};

export class Ntag21xCard implements SimCard {
  atqa = [0x00, 0x44];
  sak = 0x00;
  constructor(
    public uid: number[],
    public pages: number[][],
    public model: string = 'NTAG213',
    public signature: number[] = [],
  ) {}

  private page(p: number): number[] {
    return p < this.pages.length ? this.pages[p] : [0, 0, 0, 0];
  }

  exchange(data: number[]): number[] | number {
    const cmd = data[0];
    if (cmd === CMD_GET_VERSION) return NTAG_VERSION[this.model].slice(0);
    if (cmd === CMD_READ && data.length === 2) {
      const out: number[] = [];
      for (let p = data[1]; p < data[1] + 4; p++) {
        const pg = this.page(p);
        for (let i = 0; i < 4; i++) out.push(pg[i]);
      }
      return out;
    }
    if (cmd === CMD_FAST_READ && data.length === 3 && data[2] >= data[1]) {
      const out: number[] = [];
      for (let p = data[1]; p <= data[2]; p++) {
        const pg = this.page(p);
        for (let i = 0; i < 4; i++) out.push(pg[i]);
      }
      return out;
    }
    if (cmd === CMD_READ_SIG) {
      const sig = this.signature.slice(0);
      while (sig.length < 32) sig.push(0);
      return sig;
    }
    return 0x01; // NAK: the PN532 reports a timeout
  }
}

export interface Ntag424Options {
  uid: number[];
  metaReadKey: number[];
  fileReadKey: number[];
  /** URL before the SUN parameters, e.g. 'https://t.tibillet.coop/' */
  baseUrl: string;
  counter: number;
  aes: Pick<Crypto, 'aes128EcbEncrypt'>;
  random: (n: number) => number[];
}

export class Ntag424Card implements SimCard {
  atqa = [0x03, 0x44];
  sak = 0x20;
  ats = [0x06, 0x77, 0x77, 0x71, 0x02, 0x80];
  uid: number[];
  /** SDMReadCtr: incremented at each read of the NDEF file, as the chip does. */
  counter: number;
  private selected = 0; // 0 none, 1 application, 2 NDEF file

  constructor(private readonly opts: Ntag424Options) {
    this.uid = opts.uid.slice(0);
    this.counter = opts.counter;
  }

  onSelect(): void {
    this.selected = 0;
  }

  exchange(apdu: number[]): number[] | number {
    if (sameApdu(apdu, SELECT_NDEF_APP)) {
      this.selected = 1;
      return SW_OK.slice(0);
    }
    if (sameApdu(apdu, SELECT_NDEF_FILE)) {
      if (this.selected < 1) return SW_NOT_FOUND.slice(0);
      this.selected = 2;
      return SW_OK.slice(0);
    }
    if (sameApdu(apdu, READ_BINARY)) {
      if (this.selected !== 2) return SW_WRONG_STATE.slice(0);
      this.counter++;
      const sun = generateSun(
        {
          uid: this.uid,
          counter: this.counter,
          metaReadKey: this.opts.metaReadKey,
          fileReadKey: this.opts.fileReadKey,
          random: this.opts.random(5),
        },
        { aes128EcbEncrypt: this.opts.aes.aes128EcbEncrypt, aes128EcbDecrypt: () => [] },
      );
      const msg = uriRecord(this.opts.baseUrl + '?picc_data=' + sun.piccData + '&cmac=' + sun.cmac);
      const out = [Math.floor(msg.length / 256), msg.length % 256];
      for (let i = 0; i < msg.length; i++) out.push(msg[i]);
      out.push(0x90, 0x00);
      return out;
    }
    return SW_NOT_SUPPORTED.slice(0);
  }

  describe(): string {
    return 'NTAG 424 DNA ' + toHex(this.uid).toUpperCase();
  }
}
