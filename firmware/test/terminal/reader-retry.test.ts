// A PN532 that does not answer at boot (powered after the board, a loose wire): the terminal shows
// the reader error once, keeps trying, and becomes ready by itself when the chip answers.
import { describe, expect, it } from 'vitest';
import * as pn532 from '../../src/pn532/index.js';
import type { ReaderEvent } from '../../src/terminal/machine.js';
import { startReader, WAKE_RETRY_MS } from '../../src/terminal/reader-adapter.js';

describe('PN532 reader start', () => {
  it('no answer at boot: reader-error once, retried, then ready and reading cards', () => {
    const r = pn532.simulatedReader({ bus: 'hsu' });
    r.sim.faults.deafFrames = 1_000_000; // every frame lost, as with a chip without power
    const events: ReaderEvent[] = [];
    startReader(r.driver, r.clock, (ev) => events.push(ev), { intervalMs: 40 });
    r.clock.advance(5 * WAKE_RETRY_MS);
    expect(events).toEqual([{ type: 'reader-error', code: expect.any(String) }]);
    const framesWhileDead = r.driver.framesSent;
    r.clock.advance(WAKE_RETRY_MS + 100);
    expect(r.driver.framesSent).toBeGreaterThan(framesWhileDead); // still trying

    r.sim.faults.deafFrames = 0; // the chip answers now
    r.clock.advance(WAKE_RETRY_MS + 500);
    expect(events.slice(1)).toEqual([{ type: 'reader-ready', version: 'PN532 1.6' }]);
    r.sim.placeCard(pn532.uidCard([0x04, 0xa2, 0x4b, 0x92, 0x6f, 0x61, 0x80]));
    r.clock.advance(300);
    expect(events.slice(2)).toEqual([{ type: 'card', uid: '04A24B926F6180' }]);
  });

  it('a chip that answers at once is ready without any error', () => {
    const r = pn532.simulatedReader({ bus: 'hsu' });
    const events: ReaderEvent[] = [];
    startReader(r.driver, r.clock, (ev) => events.push(ev), { intervalMs: 40 });
    r.clock.advance(500);
    expect(events).toEqual([{ type: 'reader-ready', version: 'PN532 1.6' }]);
  });
});
