// tickets.verifyPerSecond (offline door check of a signed ticket token) against
// tickets.rawVerifyPerSecond (a bare Ed25519 verify of the same signature), same run.
import { randomUUID } from 'node:crypto';
import { BODY_LEN, signTicket, ticketKeyId, verifyTicket } from '../src/ticketing/token.js';
import { generateKeyPair, verify } from '../src/transparency/ed25519.js';

export async function run(): Promise<Record<string, number>> {
  const kp = generateKeyPair();
  const keyId = ticketKeyId(kp.publicKey);
  const keys = new Map([[keyId, kp.publicKey]]);
  const token = signTicket(
    {
      keyId,
      eventId: randomUUID(),
      ticketId: randomUUID(),
      categoryNo: 1,
      audience: 'full',
      validFrom: 1_800_000_000,
      validUntil: 1_800_086_400,
    },
    kp.secretKey,
  );
  const raw = Buffer.from(token, 'base64url');
  const msg = Buffer.concat([Buffer.from('tibillet/ticket/v1\n'), raw.subarray(0, BODY_LEN)]);
  const sig = raw.subarray(BODY_LEN);
  if (!verify(sig, msg, kp.publicKey) || !verifyTicket(token, keys).ok)
    throw new Error('bench token does not verify');
  const rate = (fn: () => void) => {
    for (let i = 0; i < 200; i++) fn();
    const n = 3000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    return n / ((performance.now() - t0) / 1000);
  };
  const rawVerify = rate(() => verify(sig, msg, kp.publicKey));
  const tickets = rate(() => verifyTicket(token, keys));
  return {
    'tickets.rawVerifyPerSecond': Math.round(rawVerify),
    'tickets.verifyPerSecond': Math.round(tickets),
    'tickets.verifyVsRaw': tickets / rawVerify,
  };
}
