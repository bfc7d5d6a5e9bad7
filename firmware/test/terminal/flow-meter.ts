// A simulated self-service tap for tests: a gpio whose valve output gates a hall-effect flow
// meter. While the valve is open the meter sends `hz` pulses a second (rising + falling edge on
// the flow pin); once it closes, `overrun` more pulses come (the column still in the meter).
import type { Clock, Gpio } from '@tibillet/firmware';

export interface TapRig {
  gpio: Gpio;
  /** Valve writes, in order (true = open). */
  valve: boolean[];
  isOpen(): boolean;
  /** Pulses sent so far. */
  pulses(): number;
  /** Flow while open, pulses per second (0: the customer does not pour). */
  setFlow(hz: number): void;
}

export function tapRig(clock: Clock, valvePin: string, flowPin: string, hz: number, overrun = 2): TapRig {
  const watchers: Record<string, (high: boolean) => void> = {};
  const valve: boolean[] = [];
  let open = false;
  let flow = hz;
  let sent = 0;
  let timer = -1;
  const pulse = () => {
    watchers[flowPin]?.(true);
    watchers[flowPin]?.(false);
    sent++;
  };
  const run = () => {
    timer = -1;
    if (!open || flow <= 0) return;
    pulse();
    timer = clock.setTimeout(run, 1000 / flow);
  };
  return {
    gpio: {
      write(pin, high) {
        if (pin !== valvePin) return;
        valve.push(high);
        if (high && !open) {
          open = true;
          if (flow > 0) timer = clock.setTimeout(run, 1000 / flow);
        } else if (!high && open) {
          open = false;
          if (timer >= 0) clock.clearTimeout(timer);
          timer = -1;
          for (let i = 0; i < overrun && flow > 0; i++) clock.setTimeout(pulse, 20 * (i + 1));
        }
      },
      watch(pin, cb, debounceMs) {
        if (pin === flowPin && debounceMs !== 0)
          throw new Error('a flow meter needs watch(…, 0): no debounce');
        watchers[pin] = cb;
      },
    },
    valve,
    isOpen: () => open,
    pulses: () => sent,
    setFlow(hz2) {
      flow = hz2;
    },
  };
}
