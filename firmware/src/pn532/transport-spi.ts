/**
 * SPI transport (mode 0, ~1 MHz, LSB-first). The HAL SPI shifts MSB-first, so every byte is
 * bit-reversed both ways. Each transaction starts with an operation byte (UM0701 §6.2.5):
 * DW 0x01 data write, SR 0x02 status read (bit 0 = ready), DR 0x03 data read.
 */
import type { Clock, SPI } from '../hal/types.js';
import { reverseAll, reverseBits } from './bitrev.js';
import { type PolledOptions, PolledTransport } from './transport-polled.js';

export const SPI_DW = 0x01;
export const SPI_SR = 0x02;
export const SPI_DR = 0x03;

export function spiTransport(spi: SPI, clock: Clock, opts?: PolledOptions): PolledTransport {
  return new PolledTransport(
    {
      write: (frame) => {
        const out = [reverseBits(SPI_DW)];
        for (let i = 0; i < frame.length; i++) out.push(reverseBits(frame[i]));
        spi.transfer(out);
      },
      ready: () => {
        const r = spi.transfer([reverseBits(SPI_SR), 0x00]);
        return r.length > 1 && (reverseBits(r[1]) & 0x01) !== 0;
      },
      read: (n) => {
        const out = [reverseBits(SPI_DR)];
        for (let i = 0; i < n; i++) out.push(0x00);
        const r = spi.transfer(out);
        return reverseAll(r.slice(1));
      },
    },
    clock,
    opts,
  );
}
