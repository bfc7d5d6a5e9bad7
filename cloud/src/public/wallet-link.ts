/**
 * The holder's wallet link, printed as a QR on a card without NTAG 424 (UID-only cards): an
 * unguessable capability URL, /wallet/<uid>/<sig>, sig = HMAC-SHA256(master key, uid) truncated
 * to 128 bits. Knowing a UID (any reader can read it) is not enough to see a wallet.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function walletSig(masterKey: Buffer, uid: string): string {
  return createHmac('sha256', masterKey)
    .update(`tibillet-wallet-link/v1\n${uid.toUpperCase()}`)
    .digest('hex')
    .slice(0, 32);
}

export function checkWalletSig(masterKey: Buffer, uid: string, sig: string): boolean {
  const want = Buffer.from(walletSig(masterKey, uid));
  const got = Buffer.from(sig.toLowerCase());
  return got.length === want.length && timingSafeEqual(got, want);
}

export const walletPath = (masterKey: Buffer, uid: string): string =>
  `/wallet/${uid.toUpperCase()}/${walletSig(masterKey, uid)}`;
