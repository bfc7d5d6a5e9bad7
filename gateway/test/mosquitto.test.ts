// The same venue on an external Mosquitto: the machine's broker (127.0.0.1:1883, anonymous: the
// gateway's own MAC checks still refuse forgeries), and a Mosquitto started here with the files
// `mosquitto-config` writes, which must enforce the per-device credentials and topic ACLs.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMosquittoConfig } from '../src/broker/mosquitto-config.js';
import type { Gateway } from '../src/gateway.js';
import { device, keyOf, sleep, startGateway, tmp, venueConfig } from './helpers.js';

const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));
const CARD = '04B0B0B0B0B0B0';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startMosquitto(conf: string, port: number): Promise<ChildProcess> {
  if (!MOSQUITTO) throw new Error('mosquitto is not installed (apt-get install mosquitto)');
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(true)); // port taken: mosquitto is listening
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
    });
    if (up) return child;
    await sleep(50);
  }
  throw new Error('mosquitto did not start');
}

describe('gateway on the machine Mosquitto (127.0.0.1:1883)', () => {
  const venue = `v${randomBytes(4).toString('hex')}`;
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway(['till-1', 'top-1'], {
      venueId: venue,
      mqttUrl: 'mqtt://127.0.0.1:1883',
      venue: { ...venueConfig(['till-1', 'top-1']), venueId: venue },
    });
  });
  afterAll(() => gw?.close());

  it('taps are authorized and answered through the external broker; a forged tap is refused', async () => {
    const url = 'mqtt://127.0.0.1:1883';
    const top = await device(url, 'top-1', { venue });
    const till = await device(url, 'till-1', { venue });
    expect(await top.pay(CARD, { mode: 'topup', amt: 1000 })).toMatchObject({
      ok: true,
      bal: [{ a: 'EUR', v: 1000 }],
    });
    expect(await till.pay(CARD, { cart: [{ sku: 'beer', qty: 1, price: 350 }] })).toMatchObject({
      ok: true,
      bal: [{ a: 'EUR', v: 650 }],
    });
    const count = gw.ctx.journal.count();
    till.raw(
      `tb/v1/${venue}/dev/till-1/up/tap`,
      till
        .sign('tap', { tx: `till-1-${till.n}`, uid: CARD, mode: 'cashier', cart: [] })
        .replace(/"m":"[0-9a-f]{4}/, '"m":"0000'),
    );
    await sleep(200);
    expect(gw.ctx.journal.count()).toBe(count);
    await till.close();
    await top.close();
  });
});

describe('Mosquitto with the generated password and ACL files', () => {
  const dir = tmp();
  let port: number;
  let broker: ChildProcess;
  let gw: Gateway;
  beforeAll(async () => {
    port = await freePort();
    const cfg = venueConfig(['till-1', 'till-2', 'top-1', 'gone-1']);
    cfg.devices = cfg.devices.map((d) => (d.deviceId === 'gone-1' ? { ...d, revoked: true } : d));
    const files = writeMosquittoConfig({
      dir,
      venue: 'bar',
      devices: cfg.devices,
      gatewayPassword: 'gw-secret-123',
      port,
      user: process.getuid?.() === 0 ? 'root' : undefined,
    });
    broker = await startMosquitto(files.confFile, port);
    gw = await startGateway([], {
      mqttUrl: `mqtt://127.0.0.1:${port}`,
      mqttPassword: 'gw-secret-123',
      venue: cfg,
    });
  });
  afterAll(async () => {
    await gw?.close();
    broker?.kill();
  });

  it('devices log in with their key-derived password; unknown, revoked and wrong passwords are refused', async () => {
    const url = `mqtt://127.0.0.1:${port}`;
    const ok = await device(url, 'till-1');
    await ok.close();
    await expect(device(url, 'ghost')).rejects.toThrow();
    await expect(device(url, 'gone-1')).rejects.toThrow();
    await expect(device(url, 'till-2', { password: 'nope' })).rejects.toThrow();
    expect(keyOf('till-1')).not.toBe(keyOf('till-2'));
  });

  it("a device's taps work; it cannot publish as another device nor read another's results", async () => {
    const url = `mqtt://127.0.0.1:${port}`;
    const top = await device(url, 'top-1');
    const till = await device(url, 'till-1');
    const spy = await device(url, 'till-2');
    const overheard: string[] = [];
    await spy.client.subscribeAsync('tb/v1/bar/dev/till-1/down/+', { qos: 1 }).catch(() => {});
    spy.client.on('message', (t) => overheard.push(t));
    expect(await top.pay(CARD, { mode: 'topup', amt: 1000 })).toMatchObject({ ok: true });
    expect(await till.pay(CARD, { cart: [{ sku: 'soda', qty: 1, price: 200 }] })).toMatchObject({
      ok: true,
      bal: [{ a: 'EUR', v: 800 }],
    });
    const count = gw.ctx.journal.count();
    const refusedByGateway = async () =>
      (await gw.metrics.rejected.get()).values.reduce((a, v) => a + v.value, 0);
    const refusedBefore = await refusedByGateway();
    // till-2 signs as till-1 would not be possible (no key); it replays till-1's topic with its own valid message.
    spy.raw(
      'tb/v1/bar/dev/till-1/up/tap',
      spy.sign('tap', {
        tx: 'till-1-77777',
        uid: CARD,
        mode: 'cashier',
        cart: [{ sku: 'soda', qty: 1, price: 200 }],
      }),
    );
    await sleep(300);
    expect(gw.ctx.journal.count()).toBe(count);
    expect(await refusedByGateway()).toBe(refusedBefore); // the broker dropped it: it never reached the gateway
    expect(overheard.filter((t) => t.includes('/till-1/'))).toEqual([]);
    for (const d of [top, till, spy]) await d.close();
  });
});
