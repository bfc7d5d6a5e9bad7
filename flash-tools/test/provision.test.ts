import { protocol } from '@tibillet/firmware';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { provisionBoard } from '../src/provision.js';
import { openBoard } from '../src/repl/open.js';
import { capture } from './helpers.js';
import { type FakeRegistry, startRegistry } from './registry-server.js';
import { SimBoards } from './sim-board.js';

let registry: FakeRegistry;
beforeEach(async () => {
  registry = await startRegistry();
});
afterEach(async () => {
  await registry.close();
});

const input = {
  deviceId: 'T-001',
  venueId: 'lazone',
  wifiSsid: 'venue-staff',
  wifiPass: 'correct horse',
  mqttUrl: 'mqtt://gateway.local:1883',
};

describe('provision', () => {
  for (const kind of ['espruino', 'nodemcu'] as const) {
    it(`${kind}: writes the record to storage and registers the same fresh key in the cloud`, async () => {
      const sims = new SimBoards();
      const sim = sims.add({ kind });
      const board = await openBoard(sim.path, { binding: sims.binding });
      const r = await provisionBoard(board, input, {
        registry: { cloud: registry.url, apiKey: 'gw-test-key' },
        firmware: '0.1.0-test',
      });
      await board.close();
      const stored = sim.json('tb.prov') as Record<string, unknown>;
      expect(stored).toEqual({
        venue: 'lazone',
        device: 'T-001',
        key: r.keyHex,
        ssid: 'venue-staff',
        pass: 'correct horse',
        mqtt: 'gateway.local:1883',
      });
      // canonical JSON, sorted keys, as the firmware's own tbProvision writes it
      expect(sim.file('tb.prov')?.toString()).toBe(protocol.encodeCanonical(stored as never));
      expect(Object.keys(JSON.parse(sim.file('tb.prov')?.toString() as string))).toEqual([
        'device',
        'key',
        'mqtt',
        'pass',
        'ssid',
        'venue',
      ]);
      expect(r.keyHex).toMatch(/^[0-9a-f]{32}$/);
      expect(registry.calls).toHaveLength(1);
      expect(registry.calls[0]).toEqual({
        method: 'POST',
        url: '/v1/devices',
        auth: 'Bearer gw-test-key',
        body: { deviceId: 'T-001', venueId: 'lazone', board: kind, firmware: '0.1.0-test', keyHex: r.keyHex },
      });
      // the gateway derives the same MQTT password from the registered key as the board from its stored key
      expect(protocol.mqttPassword(registry.devices.get('T-001')?.keyHex as string)).toBe(
        protocol.mqttPassword(stored.key as string),
      );
    });
  }

  it('gives every device a different key', async () => {
    const sims = new SimBoards();
    const keys = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const sim = sims.add({ kind: 'espruino' });
      const board = await openBoard(sim.path, { binding: sims.binding });
      keys.add((await provisionBoard(board, { ...input, deviceId: `T-${i}` }, { firmware: 'x' })).keyHex);
      await board.close();
    }
    expect(keys.size).toBe(3);
  });

  it('CLI never prints the key unless --show-key', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'espruino' });
    const args = [
      'provision',
      sim.path,
      '--device',
      'T-009',
      '--venue',
      'lazone',
      '--wifi-ssid',
      'staff',
      '--wifi-pass',
      'password1',
      '--mqtt',
      'mqtt://gw:1883',
      '--cloud',
      registry.url,
      '--api-key',
      'gw-test-key',
    ];
    const c = capture();
    expect((await runCli(args, { ...c.deps, binding: sims.binding })).code).toBe(0);
    const key = (sim.json('tb.prov') as { key: string }).key;
    expect(c.out.join('\n')).toContain('provisioned T-009 for venue lazone');
    expect(c.out.join('\n') + c.err.join('\n')).not.toContain(key);

    const c2 = capture();
    const sim2 = sims.add({ kind: 'nodemcu' });
    args[1] = sim2.path;
    args[3] = 'T-010';
    expect(
      (await runCli(['--json', ...args, '--show-key'], { ...c2.deps, binding: sims.binding })).code,
    ).toBe(0);
    const key2 = (sim2.json('tb.prov') as { key: string }).key;
    expect(JSON.parse(c2.out.join('\n'))).toMatchObject({
      deviceId: 'T-010',
      registered: true,
      keyHex: key2,
    });
  });

  it('a device id already registered stops before the board is touched', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'espruino' });
    registry.devices.set('T-001', { venueId: 'lazone', keyHex: '00'.repeat(16), revoked: false });
    const board = await openBoard(sim.path, { binding: sims.binding });
    await expect(
      provisionBoard(board, input, {
        registry: { cloud: registry.url, apiKey: 'gw-test-key' },
        firmware: 'x',
      }),
    ).rejects.toThrow(
      'device T-001 is already registered in the cloud: revoke it first (tibillet-flash revoke T-001) or use another device id',
    );
    await board.close();
    expect(sim.file('tb.prov')).toBeUndefined();
  });

  it('a failed write to the board revokes the key it had just registered', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'nodemcu', corruptChunk: 0 });
    const board = await openBoard(sim.path, { binding: sims.binding });
    const err = await provisionBoard(board, input, {
      registry: { cloud: registry.url, apiKey: 'gw-test-key' },
      firmware: 'x',
    }).catch((e: Error) => e);
    await board.close();
    expect(err).toMatchObject({ code: 'verify-failed' });
    expect((err as Error).message).toMatch(/its cloud registration was revoked$/);
    expect(registry.devices.get('T-001')?.revoked).toBe(true);
    expect(sim.file('tb.prov')).toBeUndefined();
  });

  it('rejects bad input and a wrong API key clearly', async () => {
    const sims = new SimBoards();
    const sim = sims.add({ kind: 'espruino' });
    const board = await openBoard(sim.path, { binding: sims.binding });
    await expect(provisionBoard(board, { ...input, wifiPass: 'short' }, { firmware: 'x' })).rejects.toThrow(
      /8–63 characters/,
    );
    await expect(
      provisionBoard(board, { ...input, mqttUrl: 'mqtts://x' }, { firmware: 'x' }),
    ).rejects.toThrow(/plain MQTT/);
    await expect(provisionBoard(board, { ...input, mqttUrl: 'gw:99999' }, { firmware: 'x' })).rejects.toThrow(
      /port out of range/,
    );
    await expect(provisionBoard(board, { ...input, deviceId: 'bad id' }, { firmware: 'x' })).rejects.toThrow(
      /device id/,
    );
    await expect(
      provisionBoard(board, input, { registry: { cloud: registry.url, apiKey: 'nope' }, firmware: 'x' }),
    ).rejects.toThrow(/refused the API key \(401\)/);
    await board.close();
    expect(sim.file('tb.prov')).toBeUndefined();
  });

  it('register and revoke through the CLI', async () => {
    const c = capture();
    const env = { TIBILLET_CLOUD: registry.url, TIBILLET_API_KEY: 'gw-test-key' };
    expect(
      (
        await runCli(
          ['register', 'T-100', '--venue', 'lazone', '--board', 'espruino', '--key-hex', 'ab'.repeat(16)],
          { ...c.deps, env },
        )
      ).code,
    ).toBe(0);
    expect(registry.devices.get('T-100')).toEqual({
      venueId: 'lazone',
      keyHex: 'ab'.repeat(16),
      revoked: false,
    });
    expect((await runCli(['revoke', 'T-100', 'T-404'], { ...c.deps, env })).code).toBe(1);
    expect(registry.devices.get('T-100')?.revoked).toBe(true);
    expect(c.out.join('\n')).toContain('T-100: revoked\nT-404: NOT revoked: the cloud has no device T-404');
  });
});

describe('provision record', () => {
  it('normalises the MQTT address to host:port and records the optional profile', async () => {
    const { mqttHostPort, provisionRecord } = await import('../src/provision.js');
    expect(mqttHostPort('mqtt://192.168.1.10:1883')).toBe('192.168.1.10:1883');
    expect(mqttHostPort('gateway.local')).toBe('gateway.local:1883');
    expect(mqttHostPort('gw:1884')).toBe('gw:1884');
    expect(
      provisionRecord({ ...input, profile: 'esp32-devkitc', bus: 'hsu', lang: 'fr' }, 'ab'.repeat(16)),
    ).toMatchObject({ board: 'esp32-devkitc', bus: 'hsu', lang: 'fr' });
  });
});
