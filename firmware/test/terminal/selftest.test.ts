// The maintenance self-test on the simulated PN532: a passing run, a silent reader, no card.

import { pn532, terminal } from '@tibillet/firmware';
import { describe, expect, it } from 'vitest';
import { fakeHal } from './fake-hal.js';

function setup() {
  const f = fakeHal();
  const r = pn532.simulatedReader({ clock: f.clock });
  return { f, r };
}

describe('self-test', () => {
  it('passes with a reader, a card and MQTT; reports the PN532 version and the card UID', () => {
    const { f, r } = setup();
    f.connect();
    let report: terminal.SelftestReport | undefined;
    terminal.runSelftest(f.hal, r.driver, { cardWaitMs: 3000, mqttWaitMs: 1000 }, (rep) => (report = rep));
    f.clock.advance(200);
    r.sim.placeCard(pn532.uidCard([0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]));
    f.clock.runUntil(() => report !== undefined, 5000);
    expect(report).toMatchObject({
      pn532: { ok: true, detail: 'PN532 1.6' },
      card: { ok: true, detail: '04112233445566' },
      display: { ok: true },
      buzzer: { ok: true },
      led: { ok: true },
      mqtt: { ok: true },
    });
    expect(f.lastScreen()).toEqual(['SELF-TEST', 'OK']);
    expect(f.beeps.length).toBeGreaterThan(0);
  });

  it('a silent PN532 fails with the DIP-switch hint; no card and no broker are reported, not hung', () => {
    const { f, r } = setup();
    r.sim.faults.hung = true;
    let report: terminal.SelftestReport | undefined;
    terminal.runSelftest(
      f.hal,
      r.driver,
      { cardWaitMs: 1000, mqttWaitMs: 500, wifiConnected: () => false },
      (rep) => (report = rep),
    );
    f.clock.runUntil(() => report !== undefined, 20_000);
    expect(report?.pn532.ok).toBe(false);
    expect(report?.pn532.detail).toMatch(/DIP switches/);
    expect(report?.card.ok).toBe(false);
    expect(report?.mqtt.ok).toBe(false);
    expect(report?.wifi).toEqual({ ok: false, detail: 'not connected: check the SSID and password' });
    expect(f.lastScreen()).toEqual(['SELF-TEST', 'FAILED']);
  });
});
