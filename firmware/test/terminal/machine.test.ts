import { protocol, terminal } from '@tibillet/firmware';
import { describe, expect, it } from 'vitest';
import { fakeHal } from './fake-hal.js';

const KEY = '4f'.repeat(32);
const cfg = {
  venue: 'bar',
  deviceId: 'dev-1',
  keyHex: KEY,
  board: 'host',
  firmware: '0.1.0',
  resultTimeoutMs: 3000,
};
let down = 100;
const downMsg = (k: 'result' | 'config' | 'charge' | 'display', b: unknown, key = KEY, n = ++down) =>
  protocol.sign({ v: 1, k, d: 'dev-1', n, b } as never, key);
const topic = (k: string) => `tb/v1/bar/dev/dev-1/down/${k}`;

function setup(storage?: Record<string, string>) {
  const f = fakeHal(storage);
  const t = new terminal.Terminal(f.hal, cfg);
  return { f, t };
}

function charge(f: ReturnType<typeof fakeHal>, amt: number, ref = 'pos-1') {
  f.deliver(topic('charge'), downMsg('charge', { ref, amt }));
}

/** A cashier terminal on `storage`, given a one-item menu and an offline queue, then cut off the broker. */
function offlineCashier(
  storage: Record<string, string>,
  venue: string,
  item: { sku: string; label: string; price: number },
) {
  const s = setup(storage);
  s.f.connect();
  s.f.deliver(
    topic('config'),
    downMsg('config', { venue, mode: 'cashier', cur: 'EUR', offq: 10, menu: [item] }),
  );
  s.f.disconnect();
  return s;
}

/** Each card orders the menu item and is taken away; returns the first screen line after each tap. */
function tapEach({ f, t }: ReturnType<typeof setup>, uids: string[]): string[] {
  return uids.map((uid) => {
    t.onButton('ok');
    t.onReader({ type: 'card', uid });
    const shown = f.lastScreen()[0];
    t.onReader({ type: 'removed' });
    return shown;
  });
}

describe('terminal state machine', () => {
  it('boots: subscribes to its own down/ and the venue broadcast, says hello, shows the idle screen', () => {
    const { f } = setup();
    f.connect();
    expect(f.subscriptions).toEqual(['tb/v1/bar/dev/dev-1/down/+', 'tb/v1/bar/bcast/+']);
    expect(f.sent('hello', KEY)[0].b).toMatchObject({ fw: '0.1.0', board: 'host', corrupt: false });
    expect(f.lastScreen()).toEqual(['bar', 'Présentez la carte']);
  });

  it('a tap pays the charge pushed by the POS: one signed tap, then the approval with the new balance', () => {
    const { f, t } = setup();
    f.connect();
    charge(f, 450);
    expect(f.lastScreen()).toEqual(['4,50 €', 'Présentez la carte']);
    t.onReader({ type: 'card', uid: '04DE5F1EACC040' });
    const taps = f.sent('tap', KEY);
    expect(taps).toHaveLength(1);
    expect(taps[0].b).toEqual({
      tx: `dev-1-${taps[0].n}`,
      uid: '04DE5F1EACC040',
      mode: 'cashier',
      amt: 450,
      ref: 'pos-1',
    });
    expect(f.lastScreen()).toEqual(['Paiement...']);
    f.deliver(
      topic('result'),
      downMsg('result', {
        tx: (taps[0].b as { tx: string }).tx,
        ok: true,
        amt: 450,
        bal: [{ a: 'EUR', v: 1550 }],
      }),
    );
    expect(f.lastScreen()).toEqual(['Accepté 4,50 €', 'EUR 15,50 €']);
    expect(f.beeps.at(-1)).toEqual(terminal.BEEP_OK);
    expect(f.leds.at(-1)).toBe('green');
    f.clock.advance(3000);
    expect(f.lastScreen()).toEqual(['bar', 'Présentez la carte']);
  });

  it('a decline says why, in words, with the long beep', () => {
    const { f, t } = setup();
    f.connect();
    charge(f, 9000);
    t.onReader({ type: 'card', uid: 'A1B2C3D4' });
    const tx = (f.sent('tap', KEY)[0].b as { tx: string }).tx;
    f.deliver(
      topic('result'),
      downMsg('result', { tx, ok: false, reason: 'insufficient-funds', bal: [{ a: 'EUR', v: 120 }] }),
    );
    expect(f.lastScreen()).toEqual(['Refusé', 'Solde insuffisant', 'EUR 1,20 €']);
    expect(f.beeps.at(-1)).toEqual(terminal.BEEP_DECLINED);
  });

  it('door and membership refusals are worded in the terminal language, details below', () => {
    const { f, t } = setup();
    f.connect();
    charge(f, 100);
    t.onReader({ type: 'card', uid: 'A1B2C3D4' });
    const tx = (f.sent('tap', KEY)[0].b as { tx: string }).tx;
    f.deliver(
      topic('result'),
      downMsg('result', { tx, ok: false, reason: 'membership-expired', lines: ['since 2026-05-20'] }),
    );
    expect(f.lastScreen()).toEqual(['Refusé', 'Adhésion expirée', 'since 2026-05-20']);
    expect(terminal.text('en', 'already-scanned')).toBe('Already scanned');
  });

  it('one tap is one transaction: a card held on the reader is not charged again until it leaves', () => {
    const { f, t } = setup();
    f.connect();
    charge(f, 300);
    t.onReader({ type: 'card', uid: 'A1B2C3D4' });
    t.onReader({ type: 'card', uid: 'A1B2C3D4' });
    expect(f.sent('tap', KEY)).toHaveLength(1);
    const tx = (f.sent('tap', KEY)[0].b as { tx: string }).tx;
    f.deliver(topic('result'), downMsg('result', { tx, ok: true, amt: 300 }));
    t.onReader({ type: 'card', uid: 'A1B2C3D4' });
    expect(f.sent('tap', KEY)).toHaveLength(1);
    t.onReader({ type: 'removed' });
    charge(f, 200, 'pos-2');
    t.onReader({ type: 'card', uid: 'A1B2C3D4' });
    expect(f.sent('tap', KEY)).toHaveLength(2);
  });

  it('after a result timeout the same card re-sends the same tx id, so it is never charged twice', () => {
    const { f, t } = setup();
    f.connect();
    charge(f, 500);
    t.onReader({ type: 'card', uid: 'A1B2C3D4' });
    f.clock.advance(3000);
    expect(f.lastScreen()).toEqual(['Réseau lent, réessayez']);
    t.onReader({ type: 'removed' });
    t.onReader({ type: 'card', uid: 'A1B2C3D4' });
    const taps = f.sent('tap', KEY);
    expect(taps).toHaveLength(2);
    expect(taps[1].b).toEqual(taps[0].b);
    expect(taps[1].n).toBeGreaterThan(taps[0].n);
  });

  it('ignores forged and replayed results (and reports them), and messages for another device', () => {
    const { f, t } = setup();
    f.connect();
    charge(f, 500);
    t.onReader({ type: 'card', uid: 'A1B2C3D4' });
    const tx = (f.sent('tap', KEY)[0].b as { tx: string }).tx;
    f.deliver(topic('result'), downMsg('result', { tx, ok: true, amt: 500 }, 'aa'.repeat(32)));
    const replay = downMsg('result', { tx, ok: true, amt: 500 }, KEY, 5);
    f.deliver(topic('result'), replay);
    f.deliver('tb/v1/bar/dev/dev-2/down/result', downMsg('result', { tx, ok: true, amt: 500 }));
    expect(f.lastScreen()).toEqual(['Paiement...']);
    const logs = f.sent('log', KEY).map((m) => (m.b as { code: string }).code);
    expect(logs).toEqual(['down-bad-mac', 'down-replay']);
  });

  it('offline: queues taps in storage, survives a reboot, drains them in order, each kept until its result', () => {
    const storage: Record<string, string> = {};
    const first = offlineCashier(storage, 'Le Bar', { sku: 'beer', label: 'Bière', price: 350 });
    expect(tapEach(first, ['A1B2C3D4', 'B2B2C3D4', 'C3B2C3D4'])).toEqual(
      Array(3).fill('Enregistré hors ligne'),
    );
    expect(first.t.queued()).toBe(3);
    expect(first.f.sent('tap', KEY)).toHaveLength(0);

    const second = setup(storage); // power cut and reboot on the same flash
    expect(second.t.queued()).toBe(3);
    expect(second.f.lastScreen()).toEqual(['Le Bar', 'Hors ligne']);
    second.f.connect();
    // One at a time: the next queued tap leaves only when the gateway answered the previous one.
    expect(second.f.sent('tap', KEY)).toHaveLength(1);
    const first1 = (second.f.sent('tap', KEY)[0].b as { tx: string }).tx;
    second.f.disconnect();
    second.f.connect(); // link lost before the answer: the same tap again, still queued
    expect(second.f.sent('tap', KEY).map((m) => (m.b as { tx: string }).tx)).toEqual([first1, first1]);
    expect(second.t.queued()).toBe(3);
    for (let i = 0; i < 3; i++) {
      const sent = second.f.sent('tap', KEY);
      const tx = (sent[sent.length - 1].b as { tx: string }).tx;
      second.f.deliver(topic('result'), downMsg('result', { tx, ok: true, amt: 350 }));
      expect(second.t.queued()).toBe(2 - i);
    }
    const taps = second.f.sent('tap', KEY).slice(1);
    expect(taps.map((m) => (m.b as { uid: string }).uid)).toEqual(['A1B2C3D4', 'B2B2C3D4', 'C3B2C3D4']);
    for (const m of taps)
      expect(m.b).toMatchObject({ off: true, amt: 350, cart: [{ sku: 'beer', qty: 1, price: 350 }] });
    expect(new Set(taps.map((m) => (m.b as { tx: string }).tx)).size).toBe(3);
  });

  it('a record torn by a power cut is dropped, the others drained, and the hello reports it', () => {
    const storage: Record<string, string> = {};
    tapEach(offlineCashier(storage, 'V', { sku: 'tea', label: 'Thé', price: 150 }), ['A1B2C3D4', 'B2B2C3D4']);
    storage.q0 = storage.q0.slice(0, -5); // torn write
    const second = setup(storage);
    second.f.connect();
    expect(second.f.sent('tap', KEY).map((m) => (m.b as { uid: string }).uid)).toEqual(['B2B2C3D4']);
    expect(second.f.sent('hello', KEY)[0].b).toMatchObject({ corrupt: false });
    const third = setup({ ...storage, qm: 'garbage' });
    third.f.connect();
    expect(third.f.sent('hello', KEY)[0].b).toMatchObject({ corrupt: true });
  });

  it('refuses a tap with no amount in cashier mode, and offline when the venue allows no queue', () => {
    const { f, t } = setup();
    f.connect();
    t.onReader({ type: 'card', uid: 'A1B2C3D4' });
    expect(f.lastScreen()).toEqual(['Aucun montant']);
    expect(f.sent('tap', KEY)).toHaveLength(0);
    t.onReader({ type: 'removed' });
    charge(f, 100);
    f.disconnect();
    t.onReader({ type: 'card', uid: 'A1B2C3D4' });
    expect(f.lastScreen()).toEqual(['Hors ligne']);
  });
});
