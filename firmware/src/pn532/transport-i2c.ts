/**
 * I2C transport (PN532 at 7-bit address 0x24). Every read transaction starts with a status
 * byte whose bit 0 is the ready flag (UM0701 §6.2.4): a 1-byte read polls, a longer read
 * fetches the frame after it. The PN532 stretches SCL, so reads are kept short and never
 * retried in a loop here: the polling timer comes back later instead.
 */
import type { Clock, I2C } from '../hal/types.js';
import { type PolledOptions, PolledTransport } from './transport-polled.js';

export const I2C_ADDRESS = 0x24;
export const I2C_READY = 0x01;

export function i2cTransport(
  i2c: I2C,
  clock: Clock,
  opts?: PolledOptions & { address?: number },
): PolledTransport {
  const addr = opts && opts.address !== undefined ? opts.address : I2C_ADDRESS;
  return new PolledTransport(
    {
      write: (frame) => i2c.writeTo(addr, frame),
      ready: () => {
        const r = i2c.readFrom(addr, 1);
        return r.length > 0 && (r[0] & I2C_READY) !== 0;
      },
      read: (n) => {
        const r = i2c.readFrom(addr, n + 1);
        // The status byte leads every read; not ready means no frame after it.
        if (r.length === 0 || (r[0] & I2C_READY) === 0) return [];
        return r.slice(1);
      },
    },
    clock,
    opts,
  );
}
