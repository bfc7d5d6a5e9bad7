// `npm start`: the venue-in-a-box demo comes up, taps flow from simulated terminals into the
// ledger, Ctrl-C stops it cleanly, and a restart keeps the data (no second seeding).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePortRun } from '../faults/gateway-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function start(args: string[]): {
  child: ChildProcess;
  output: () => string;
  waitFor: (re: RegExp, ms: number) => Promise<void>;
} {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(ROOT, 'scripts/start.ts'), ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return {
    child,
    output: () => out,
    waitFor: (re, ms) =>
      new Promise((resolve, reject) => {
        const t0 = Date.now();
        const timer = setInterval(() => {
          if (re.test(out)) {
            clearInterval(timer);
            resolve();
          } else if (Date.now() - t0 > ms || child.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`no ${re} within ${ms} ms; output:\n${out}`));
          }
        }, 100);
      }),
  };
}

describe('npm start (venue-in-a-box)', () => {
  const running: ChildProcess[] = [];
  // A failed step must not leave a demo (cloud, gateways, terminals) running after the test.
  afterEach(() => {
    for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('starts, taps reach the ledger, stops on Ctrl-C, restarts with the same data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tb-demo-'));
    // The demo runs two venues: their HTTP and broker ports are the given ones and the next ones.
    const [cloudPort, httpPort, mqttPort] = [
      await freePortRun(1),
      await freePortRun(2),
      await freePortRun(2),
    ];
    const args = [
      '--data-dir',
      dataDir,
      '--cloud-port',
      String(cloudPort),
      '--http-port',
      String(httpPort),
      '--mqtt-port',
      String(mqttPort),
      '--tap-rate',
      '120',
      '--terminals',
      '2',
    ];
    const first = start(args);
    running.push(first.child);
    await first.waitFor(/is running/, 60_000);
    expect(first.output()).toMatch(/first run: seeding/);
    // Taps flow: approvals at the gateway, transfers in the cloud's public log.
    let approved = 0;
    for (let i = 0; i < 60 && approved === 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      approved = Number(/tibillet_gateway_approvals_total\{offline="false"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    }
    expect(approved).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${httpPort}/status`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${cloudPort}/agenda`)).text()).toContain(
      'Les Oiseaux de Nuit',
    );
    const wallet = /Wallet page \(volunteer\)\s+(http\S+)/.exec(first.output())?.[1] as string;
    const walletPage = await (await fetch(`${wallet}?lang=en`)).text();
    expect(walletPage).toMatch(/4 h<\/b> TIME/); // the volunteer's time credit
    expect(await (await fetch(`http://127.0.0.1:${cloudPort}/log?lang=en`)).text()).toContain(
      'Latest signed checkpoint',
    );
    const cp = (await (await fetch(`http://127.0.0.1:${cloudPort}/v1/log/checkpoint`)).json()) as {
      treeSize: number;
    };
    expect(cp.treeSize).toBeGreaterThan(50); // seeded top-ups and the volunteer's time credit at least
    first.child.kill('SIGINT');
    await first.waitFor(/stopped; data kept/, 20_000);

    const second = start(args);
    running.push(second.child);
    await second.waitFor(/is running/, 60_000);
    expect(second.output()).not.toMatch(/first run/);
    const cp2 = (await (await fetch(`http://127.0.0.1:${cloudPort}/v1/log/checkpoint`)).json()) as {
      treeSize: number;
    };
    expect(cp2.treeSize).toBeGreaterThanOrEqual(cp.treeSize);
    second.child.kill('SIGINT');
    await second.waitFor(/stopped; data kept/, 20_000);
  }, 150_000);
});
