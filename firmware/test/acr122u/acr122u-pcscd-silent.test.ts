/**
 * A pcscd that accepts connections and never answers (a stuck daemon): pcsclite's
 * SCardEstablishContext would block the event loop for good, so openAcr122u asks pcscd from a
 * child process first (pcscd-probe.ts) and rejects with a pcscd error within the limit, the
 * event loop free all along. The fake daemon is a unix socket server in this process, reached
 * through PCSCLITE_CSOCK_NAME (inherited by the probe's child). An absent daemon keeps its error.
 * Needs the pcsclite npm module built; skipped with the reason otherwise.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAcr122u, PCSCD_MISSING } from '../../targets/host/acr122u.js';

function missing(): string | undefined {
  try {
    createRequire(import.meta.url)('pcsclite');
  } catch (e) {
    return `npm module pcsclite not built (apt-get install libpcsclite-dev, then npm install): ${(e as Error).message}`;
  }
  return undefined;
}

const skip = missing();
if (skip !== undefined) console.warn(`ACR122U stuck-pcscd test skipped: ${skip}`);

/** Runs `f` with PCSCLITE_CSOCK_NAME set to `socket`, restored afterwards. */
async function withSocket<T>(socket: string, f: () => Promise<T>): Promise<T> {
  const before = process.env.PCSCLITE_CSOCK_NAME;
  process.env.PCSCLITE_CSOCK_NAME = socket;
  try {
    return await f();
  } finally {
    if (before === undefined) delete process.env.PCSCLITE_CSOCK_NAME;
    else process.env.PCSCLITE_CSOCK_NAME = before;
  }
}

describe.skipIf(skip !== undefined)(
  `openAcr122u and a pcscd that never answers${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let dir = '';
    let server: Server | undefined;
    const open = new Set<Socket>();
    let accepted = 0;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tb-pcscd-silent-'));
      server = createServer((s) => {
        accepted++;
        open.add(s);
        s.on('close', () => open.delete(s));
        s.on('error', () => {});
        // reads whatever libpcsclite sends and never answers
        s.resume();
      });
      await new Promise<void>((resolve, reject) =>
        server?.once('error', reject).listen(join(dir, 'pcscd.comm'), () => resolve()),
      );
    });

    afterAll(async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('rejects with a pcscd error within the limit, the event loop running meanwhile, and leaves no probe behind', async () => {
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 50);
      const t0 = performance.now();
      try {
        await expect(
          withSocket(join(dir, 'pcscd.comm'), () => openAcr122u({ pcscdTimeoutMs: 1500, waitMs: 500 })),
        ).rejects.toThrow(
          'pcscd does not answer (no PC/SC context within 1.5 s): restart it with `systemctl restart pcscd`.',
        );
      } finally {
        clearInterval(ticker);
      }
      const elapsed = performance.now() - t0;
      expect(elapsed).toBeGreaterThanOrEqual(1400);
      expect(elapsed).toBeLessThan(4000);
      // 30 ticks of 50 ms fit in 1.5 s: a blocked loop would have seen none.
      expect(ticks).toBeGreaterThanOrEqual(10);
      // The probe did reach the fake daemon, and its killed child's connection is gone.
      expect(accepted).toBe(1);
      const until = Date.now() + 3000;
      while (open.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(open.size).toBe(0);
    });

    it('keeps the absent-daemon error when nothing listens on the socket path', async () => {
      const t0 = performance.now();
      await expect(
        withSocket(join(dir, 'nobody.comm'), () => openAcr122u({ pcscdTimeoutMs: 1500, waitMs: 500 })),
      ).rejects.toThrow(PCSCD_MISSING);
      expect(performance.now() - t0).toBeLessThan(1500);
    });

    it('tibillet-terminal --pcscd-timeout: the technician sets the limit; out-of-range values are refused', async () => {
      const cli = fileURLToPath(new URL('../../dist/host/terminal.js', import.meta.url));
      const run = (...args: string[]) =>
        new Promise<{ code: number | null; stderr: string; ms: number }>((resolve) => {
          const t0 = performance.now();
          // Asynchronous: the fake daemon lives in this process's event loop.
          execFile(
            process.execPath,
            [cli, '--device', 'dev-1', '--key', '00'.repeat(16), '--reader', 'acr122u', ...args],
            { env: { ...process.env, PCSCLITE_CSOCK_NAME: join(dir, 'pcscd.comm') }, timeout: 20_000 },
            (err, _stdout, stderr) =>
              resolve({
                code: err ? ((err as { code?: number }).code ?? null) : 0,
                stderr,
                ms: performance.now() - t0,
              }),
          );
        });
      const stuck = await run('--pcscd-timeout', '700');
      expect(stuck.code).toBe(1);
      expect(stuck.stderr).toContain('pcscd does not answer (no PC/SC context within 0.7 s)');
      expect(stuck.ms).toBeLessThan(15_000);
      const bad = await run('--pcscd-timeout', '5');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("option '--pcscd-timeout <ms>' argument '5' is invalid");
      expect(bad.stderr).toContain('milliseconds, 100 to 999999');
    });
  },
);
