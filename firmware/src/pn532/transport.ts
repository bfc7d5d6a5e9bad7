/**
 * What the driver needs from the wire, whatever the interface (HSU, I2C, SPI). The driver only
 * ever hands over complete frames and receives raw bytes, which it feeds to its FrameDecoder.
 */
export interface Pn532Transport {
  /** Sends one complete frame: a command, or an ACK (abort) / NACK (resend please). */
  send(frame: number[]): void;
  /** Registers the receive callback; bytes from the chip arrive in any chunking. */
  onReceive(cb: (this: void, bytes: number[]) => void): void;
  /**
   * The chip is (again) asleep: power-on, hard reset or PowerDown. HSU prefixes its wake-up
   * preamble to the next frame; I2C and SPI wake the chip by addressing it.
   */
  setAsleep(): void;
  /** No answer is expected any more (command done, failed or aborted): polled transports stop polling. */
  idle(): void;
}
