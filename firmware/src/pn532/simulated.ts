/**
 * A driver wired to a simulator for deterministic tests and demos: a VirtualClock (advance it
 * with `clock.advance(ms)` or `clock.runUntil(pred, maxMs)`), the simulated chip, the chosen
 * transport, and the watchdog's reset hook wired to the simulator's RSTPDN (hardReset).
 */
import { type DriverOptions, Pn532Driver } from './driver.js';
import { Pn532Simulator, type SimOptions } from './simulator.js';
import type { Pn532Transport } from './transport.js';
import { HsuTransport } from './transport-hsu.js';
import { i2cTransport } from './transport-i2c.js';
import { spiTransport } from './transport-spi.js';
import { VirtualClock } from './virtual-clock.js';

export interface SimulatedReader {
  clock: VirtualClock;
  sim: Pn532Simulator;
  transport: Pn532Transport;
  driver: Pn532Driver;
}

export interface SimulatedOptions {
  /** 'hsu' (default), 'i2c' or 'spi'. */
  bus?: string;
  clock?: VirtualClock;
  sim?: Partial<SimOptions>;
  driver?: Partial<DriverOptions>;
}

export function simulatedReader(opts?: SimulatedOptions): SimulatedReader {
  const o = opts || {};
  const clock = o.clock || new VirtualClock();
  const so = o.sim || {};
  const sim = new Pn532Simulator({
    clock,
    firmware: so.firmware,
    responseDelayMs: so.responseDelayMs,
    searchMs: so.searchMs,
    rfTimeoutMs: so.rfTimeoutMs,
    awake: so.awake,
  });
  let transport: Pn532Transport;
  if (o.bus === 'i2c') transport = i2cTransport(sim.i2c(), clock);
  else if (o.bus === 'spi') transport = spiTransport(sim.spi(), clock);
  else transport = new HsuTransport(sim.hsu());
  const d = o.driver || {};
  const driver = new Pn532Driver({
    clock,
    transport,
    ackTimeoutMs: d.ackTimeoutMs,
    responseTimeoutMs: d.responseTimeoutMs,
    retries: d.retries,
    watchdogErrors: d.watchdogErrors,
    maxQueue: d.maxQueue,
    reset:
      d.reset ||
      ((done: () => void) => {
        sim.hardReset();
        clock.setTimeout(done, 2); // boot time after RSTPDN goes high
      }),
  });
  return { clock, sim, transport, driver };
}
