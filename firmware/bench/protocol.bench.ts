// firmware.protocolVerifyPerSecond (node:crypto HMAC) and firmware.protocolFuzzInputs: the number
// of random or mutated payloads protocol.verify survived without throwing (the issue asks ≥ 1e6).
import { randomBytes } from 'node:crypto';
import { protocol } from '@tibillet/firmware';
import { nodeCrypto } from '@tibillet/firmware/host';

export async function run(): Promise<Record<string, number>> {
  protocol.setCrypto({ hmacSha256: nodeCrypto.hmacSha256 });
  const key = randomBytes(32).toString('hex');
  const payloads: string[] = [];
  for (let i = 0; i < 1000; i++) {
    payloads.push(
      protocol.sign(
        {
          v: 1,
          k: 'tap',
          d: 'dev-1',
          n: i + 1,
          b: { tx: `dev-1-${i}`, uid: '04DE5F1EACC040', mode: 'cashier', amt: 450 },
        },
        key,
      ),
    );
  }
  const n = 100_000;
  let t = performance.now();
  for (let i = 0; i < n; i++)
    if (!protocol.verify(payloads[i % 1000], key, 0).ok) throw new Error('verify failed');
  const verifyPerSecond = n / ((performance.now() - t) / 1000);

  const fuzz = 1_000_000;
  const base = payloads[0];
  let survived = 0;
  t = performance.now();
  for (let i = 0; i < fuzz; i++) {
    let input: string;
    const r = i % 4;
    if (r === 0) input = randomBytes(i % 64).toString('latin1');
    else {
      const pos = (i * 7919) % base.length;
      const ch = String.fromCharCode((i * 31) % 128);
      input =
        r === 1
          ? base.slice(0, pos) + ch + base.slice(pos + 1)
          : r === 2
            ? base.slice(0, pos)
            : base.slice(0, pos) + ch + base.slice(pos);
    }
    try {
      protocol.verify(input, key, -1);
      survived++;
    } catch (e) {
      throw new Error(`verify threw on input ${JSON.stringify(input)}: ${e}`);
    }
  }
  process.stderr.write(`protocol fuzz: ${fuzz} inputs in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  return {
    'firmware.protocolVerifyPerSecond': Math.round(verifyPerSecond),
    'firmware.protocolFuzzInputs': survived,
  };
}
