// The real terminal firmware (host target: state machine + PN532 driver over a serial port to the
// simulated chip) against a gateway: a card on the reader becomes a signed tap after at most 3
// PN532 round trips, and the holder sees the answer and the new balance on the screen.

import { pn532 } from '@tibillet/firmware';
import { createHostTerminal, type HostTerminal } from '@tibillet/firmware/host';
import type { Gateway } from '@tibillet/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyOf, sleep, startGateway } from '../../gateway/test/helpers.js';

const CARD = '04A1B2C3D4E5F6';

describe('host terminal with the simulated PN532 ↔ gateway', () => {
  let gw: Gateway;
  let till: HostTerminal;
  let top: HostTerminal;
  const screens: string[][] = [];
  const until = async (what: string, pred: () => boolean, ms = 15_000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${what}; screens: ${JSON.stringify(screens.slice(-3))}`);
      await sleep(20);
    }
  };

  beforeAll(async () => {
    gw = await startGateway(['till-1', 'top-1']);
    const mqttUrl = `mqtt://127.0.0.1:${gw.brokerPort}`;
    const common = {
      mqttUrl,
      venue: 'bar',
      reader: 'sim' as const,
      lang: 'en' as const,
      resultTimeoutMs: 10_000,
    };
    till = await createHostTerminal({
      ...common,
      deviceId: 'till-1',
      keyHex: keyOf('till-1'),
      onScreen: (e) => e.kind === 'display' && screens.push(e.value as string[]),
    });
    top = await createHostTerminal({ ...common, deviceId: 'top-1', keyHex: keyOf('top-1') });
    await until(
      'both terminals configured',
      () => till.terminal.mode() === 'cashier' && top.terminal.mode() === 'topup',
    );
  });
  afterAll(async () => {
    await till?.close();
    await top?.close();
    await gw?.close();
  });

  it('hello carries the PN532 firmware version read over the serial link', async () => {
    await until('hello', () =>
      gw.ctx.devices.list().some((d) => d.deviceId === 'till-1' && d.reader === 'PN532 1.6'),
    );
  });

  it('menu on the terminal, tap, approved with the new balance on screen; ≤ 3 PN532 round trips after presence', async () => {
    gw.ctx.book.apply(gw.ctx.book.get(CARD), [{ asset: 'EUR', amount: 1000 }], 1);
    till.terminal.onButton('ok'); // first menu item (beer, 350) into the cart
    expect(screens.at(-1)?.join(' ')).toMatch(/Total/);
    const sim = till.sim as pn532.Pn532Simulator;
    const tapsBefore = (await gw.metrics.taps.get()).values.reduce((a, v) => a + v.value, 0);
    sim.placeCard(pn532.uidCard([0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6]));
    const mark = sim.commands.length;
    await until('tap at the gateway', () => gw.ctx.journal.count() > 0);
    // Commands the chip saw from presence to the tap: the detecting InListPassiveTarget only (UID card).
    const afterPresence = sim.commands.slice(mark);
    const firstDetect = afterPresence.indexOf(pn532.CMD.InListPassiveTarget);
    expect(firstDetect).toBeGreaterThanOrEqual(0);
    expect(afterPresence.slice(0, firstDetect + 1).length).toBeLessThanOrEqual(3);
    await until('approved on screen', () => screens.some((s) => s.join(' ').includes('Approved')));
    const shown = screens.find((s) => s.join(' ').includes('Approved')) as string[];
    expect(shown.join(' ')).toMatch(/3[.,]50/);
    expect(shown.join(' ')).toMatch(/6[.,]50/);
    sim.removeCard();
    expect((await gw.metrics.taps.get()).values.reduce((a, v) => a + v.value, 0)).toBe(tapsBefore + 1);
    expect(gw.ctx.book.available(gw.ctx.book.get(CARD), 'EUR')).toBe(650);
  });

  it('the card held on the reader pays once; a second tap after removal pays again', async () => {
    await sleep(300); // the previous test's card must have been seen leaving the field
    const n = gw.ctx.journal.count();
    till.terminal.onButton('ok');
    const sim = till.sim as pn532.Pn532Simulator;
    sim.placeCard(pn532.uidCard([0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6]));
    await until('one tap', () => gw.ctx.journal.count() === n + 1);
    await sleep(600); // still on the reader: nothing more
    expect(gw.ctx.journal.count()).toBe(n + 1);
    sim.removeCard();
    await sleep(300);
    till.terminal.onButton('ok');
    sim.placeCard(pn532.uidCard([0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6]));
    await until('second tap', () => gw.ctx.journal.count() === n + 2);
    sim.removeCard();
  });
});
