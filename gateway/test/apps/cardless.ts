// Helpers for the card-less POS payments: a federation key the gateway trusts (as if pulled
// from the cloud's /v1/ticketing/keys), wallet codes signed with it, and the same code as the
// picture a phone shows, for Chromium's fake camera (a Y4M video file).
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signPayToken } from '@tibillet/cloud/pay-token';
import { ticketKeyId } from '@tibillet/cloud/ticket-token';
import type Database from 'better-sqlite3';
import QRCode from 'qrcode';

export interface Signer {
  keyId: string;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function newSigner(): Signer {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const secretKey = new Uint8Array(Buffer.from(jwk.d as string, 'base64url'));
  const publicKey = new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
  return { keyId: ticketKeyId(publicKey), secretKey, publicKey };
}

/** What the gateway's key pull stores. */
export function trust(db: Database.Database, s: Signer): void {
  db.prepare('INSERT INTO app_pay_keys (key_id, public_key) VALUES (?, ?)').run(
    s.keyId,
    Buffer.from(s.publicKey).toString('base64url'),
  );
}

export const walletCode = (s: Signer, uid: string, nowSeconds?: number) => signPayToken(uid, s, nowSeconds);

/**
 * A one-frame YUV4MPEG2 video of the QR code (black modules on white, 8 px each, centred in
 * 640×480): Chromium's --use-file-for-fake-video-capture plays it as the camera.
 */
export function qrVideo(dir: string, text: string): string {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const W = 640;
  const H = 480;
  const scale = 8;
  const x0 = Math.floor((W - n * scale) / 2);
  const y0 = Math.floor((H - n * scale) / 2);
  const y = Buffer.alloc(W * H, 235);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++)
      if (qr.modules.get(r, c))
        for (let dy = 0; dy < scale; dy++)
          y.fill(
            16,
            (y0 + r * scale + dy) * W + x0 + c * scale,
            (y0 + r * scale + dy) * W + x0 + (c + 1) * scale,
          );
  const chroma = Buffer.alloc((W / 2) * (H / 2) * 2, 128);
  const file = join(dir, 'wallet-qr.y4m');
  writeFileSync(
    file,
    Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\nFRAME\n`), y, chroma]),
  );
  return file;
}
