/**
 * Self-service tap hardware: a solenoid valve (gpio output, high = open) and a hall-effect flow
 * meter (gpio input, one rising edge per pulse). `open(limit, …)` opens the valve until `limit`
 * pulses, `close(end)` (card removed) or `idleMs` without a pulse; pulses still arriving during
 * SETTLE_MS after the valve closed (the column in the meter) are counted, then `done` reports.
 * Closures rather than a class: the on-board bundles stay small.
 */
import type { Clock, Gpio } from '../hal/types.js';

export interface Pourer {
  /** Opens the valve; `tick(pulses)` every 500 ms while open; `done(pulses, end)` once, after closing. */
  open(
    limit: number,
    tick: (this: void, pulses: number) => void,
    done: (this: void, pulses: number, end: string) => void,
  ): void;
  /** Closes the valve now (no-op when closed); `end` is what `done` reports. */
  close(end: string): void;
  /** A pour is open or settling. */
  busy(): boolean;
}

const SETTLE_MS = 500;

export function pourer(gpio: Gpio, clock: Clock, valvePin: string, flowPin: string, idleMs: number): Pourer {
  let pulses = 0;
  let limit = 0;
  let last = 0;
  /** '' while open; then why it closed. */
  let end = '';
  let timer = -1;
  let busy = false;
  let onTick: (this: void, pulses: number) => void = () => {};
  let onDone: (this: void, pulses: number, end: string) => void = () => {};

  const close = (why: string): void => {
    if (!busy || end !== '') return;
    end = why;
    gpio.write(valvePin, false);
    clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      busy = false;
      onDone(pulses, end);
    }, SETTLE_MS);
  };
  const tick = (): void => {
    if (clock.now() - last >= idleMs) {
      close('idle');
      return;
    }
    onTick(pulses);
    timer = clock.setTimeout(tick, 500);
  };
  gpio.write(valvePin, false); // closed at boot, whatever happened before the reset
  gpio.watch(
    flowPin,
    (high) => {
      if (!high || !busy) return;
      pulses++;
      last = clock.now();
      if (pulses >= limit) close('limit');
    },
    0,
  );
  return {
    open: (max, t, d) => {
      pulses = 0;
      limit = max;
      last = clock.now();
      end = '';
      busy = true;
      onTick = t;
      onDone = d;
      gpio.write(valvePin, true);
      tick();
    },
    close: (why) => close(why),
    busy: () => busy,
  };
}
