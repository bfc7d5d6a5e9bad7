/**
 * A virtual ACR122U "card" for vsmartcard's vpcd reader driver: pcscd loads libifdvpcd, which
 * listens on a TCP port; this client connects to it and answers what pcscd sends. Wire format
 * (vsmartcard docs): every message is a 2-byte big-endian length then the bytes; a 1-byte message
 * is a control: 00 power off, 01 power on, 02 reset, 04 get ATR (answered with the ATR);
 * anything longer is a command APDU, answered with the response APDU. The answers come from the
 * ACR122U emulator, whose PN532 is the simulator: the real pcsclite module → pcscd → vpcd → here.
 */
import { connect, type Socket } from 'node:net';
import type { Acr122uEmulator } from './emulator.js';

/**
 * The ATR pcscd sees from an ACR122U holding a contactless card (PC/SC part 3 "storage card"
 * ATR: 3B 8F 80 01 80 4F 0C RID A0 00 00 03 06, standard 03 = ISO 14443 A part 3,
 * card name 00 03 = MIFARE Ultralight/NTAG), T=1, with its TCK.
 */
export function acr122uAtr(): number[] {
  const atr = [
    0x3b, 0x8f, 0x80, 0x01, 0x80, 0x4f, 0x0c, 0xa0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00, 0x03, 0x00, 0x00,
    0x00, 0x00,
  ];
  let tck = 0;
  for (let i = 1; i < atr.length; i++) tck ^= atr[i];
  return [...atr, tck];
}

export interface VirtualCard {
  /** Controls received (0 off, 1 on, 2 reset, 4 ATR), in order. */
  controls: number[];
  /** APDUs received through pcscd, in order. */
  apdus: number[][];
  close(): Promise<void>;
}

export function connectVirtualCard(port: number, emu: Acr122uEmulator): Promise<VirtualCard> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(port, '127.0.0.1');
    const card: VirtualCard = {
      controls: [],
      apdus: [],
      close: () =>
        new Promise<void>((done) => {
          if (sock.destroyed) return done();
          sock.once('close', () => done());
          sock.end();
        }),
    };
    const send = (bytes: number[]) => {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(bytes.length);
      if (!sock.destroyed) sock.write(Buffer.concat([head, Buffer.from(bytes)]));
    };
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) break;
        const msg = [...buf.subarray(2, 2 + n)];
        buf = buf.subarray(2 + n);
        if (msg.length === 1) {
          card.controls.push(msg[0]);
          if (msg[0] === 0x04) send(acr122uAtr());
        } else {
          card.apdus.push(msg);
          emu.apdu(msg, send);
        }
      }
    });
    sock.once('connect', () => resolve(card));
    sock.once('error', reject);
  });
}
