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
  // Interleaved rounds (the order swapped each round), so that the machine speeding up or slowing
  // down during the run weighs on both sides alike; the ratio is the median of the rounds' ratios.
  const timed = (fn: () => void, n: number): number => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    return performance.now() - t0;
  };
  const rawOnce = () => verify(sig, msg, kp.publicKey);
  const ticketOnce = () => verifyTicket(token, keys);
  timed(rawOnce, 500);
  timed(ticketOnce, 500);
  const N = 1000;
  let rawMs = 0;
  let ticketMs = 0;
  const ratios: number[] = [];
  for (let round = 0; round < 15; round++) {
    let raw: number;
    let t: number;
    if (round % 2) {
      raw = timed(rawOnce, N);
      t = timed(ticketOnce, N);
    } else {
      t = timed(ticketOnce, N);
      raw = timed(rawOnce, N);
    }
    rawMs += raw;
    ticketMs += t;
    ratios.push(raw / t);
  }
  ratios.sort((a, b) => a - b);
  const rawVerify = (15 * N * 1000) / rawMs;
  const tickets = (15 * N * 1000) / ticketMs;
  return {
    'tickets.rawVerifyPerSecond': Math.round(rawVerify),
    'tickets.verifyPerSecond': Math.round(tickets),
    'tickets.verifyVsRaw': Number(ratios[7].toFixed(3)),
  };
}
