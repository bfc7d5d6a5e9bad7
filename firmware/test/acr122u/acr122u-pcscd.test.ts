/**
 * End to end through real PC/SC: the optional `pcsclite` native module → a pcscd of our own
 * (foreground, socket-activated on a temporary socket, its own reader.conf.d) → vsmartcard's
 * vpcd driver → a virtual ACR122U card over TCP whose PN532 is the simulator. The host terminal's
 * ACR122U code (openAcr122u, PcscLink, Acr122uTransport) and the unchanged PN532 driver and
 * reader loop run on top, on real time.
 * The virtual card runs in a child process (vpcd-card-process.ts): pcsclite blocks this test's
 * event loop in calls that wait for pcscd (SCardEstablishContext; a reader's status-change
 * callback taking the reader mutex that a pending SCardTransmit holds), and pcscd may be waiting
 * for the card at that moment; a card answering from this event loop made both wait for good
 * (caught with gdb: 5 runs in 14 on a loaded 2-CPU machine; none in 49 since).
 * vpcd implements no SCardControl, so the escape path meets a real "Feature not supported" here
 * (the escape path itself is covered with the PC/SC double in acr122u.test.ts).
 * Needs: apt-get install pcscd vsmartcard-vpcd libpcsclite-dev (and systemd for
 * systemd-socket-activate), and the pcsclite npm module built; skipped with the reason otherwise.
 * Runs wherever those are installed (CI installs them); TB_PCSCD_E2E=0 turns it off.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, pn532, terminal } from '@tibillet/firmware';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAcr122u } from '../../targets/host/acr122u.js';
import { Acr122uTransport } from '../../targets/host/acr122u-transport.js';
import { FIRMWARE_ASCII } from './emulator.js';
import { exited, startVirtualCardProcess, type VirtualCardProcess } from './vpcd-card-child.js';

const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const UID = [0x04, 0xde, 0x5f, 0x1e, 0xac, 0xc0, 0x40];

function which(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

function missing(): string | undefined {
  if (process.env.TB_PCSCD_E2E === '0') return 'turned off (TB_PCSCD_E2E=0)';
  if (!which('pcscd')) return 'pcscd not installed (apt-get install pcscd)';
  if (!existsSync(VPCD_DRIVER)) return 'vpcd not installed (apt-get install vsmartcard-vpcd)';
  if (!which('systemd-socket-activate'))
    return 'systemd-socket-activate not installed (apt-get install systemd)';
  try {
    createRequire(import.meta.url)('pcsclite');
  } catch (e) {
    return `npm module pcsclite not built (apt-get install libpcsclite-dev, then npm install): ${(e as Error).message}`;
  }
  if (existsSync('/run/pcscd/pcscd.comm'))
    return 'a system pcscd is running (a second daemon would clean its /run/pcscd)';
  return undefined;
}

const skip = missing();
if (skip !== undefined) console.warn(`ACR122U end-to-end test through pcscd skipped: ${skip}`);

/** A TCP port p with p + 1 free as well (vpcd opens two slots). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const p = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    if (p >= 65535) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer()
        .once('error', () => resolve(false))
        .listen(p + 1, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return p;
  }
}

async function waitFor(what: string, done: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Signals `child` and waits (bounded) for it to exit; false if it is still there. */
function stopped(child: ChildProcess, signal: NodeJS.Signals, ms = 5000): Promise<boolean> {
  const gone = exited(child, ms);
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  return gone;
}

const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (cb, ms) => setTimeout(cb, ms) as unknown as number,
  clearTimeout: (id) => clearTimeout(id as unknown as NodeJS.Timeout),
};

describe.skipIf(skip !== undefined)(
  `ACR122U through pcscd and vpcd${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let dir = '';
    let daemon: ChildProcess | undefined;
    let daemonLog = '';
    let port = 0;
    let card: VirtualCardProcess | undefined;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tb-pcscd-'));
      port = await freePortPair();
      const hexPort = `0x${port.toString(16).toUpperCase()}`;
      const conf = join(dir, 'reader.conf.d');
      execFileSync('mkdir', ['-p', conf]);
      writeFileSync(
        join(conf, 'vpcd'),
        `FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:${hexPort}\nLIBPATH      ${VPCD_DRIVER}\nCHANNELID    ${hexPort}\n`,
      );
      const socket = join(dir, 'pcscd.comm');
      // pcscd 1.9 has its socket path compiled in; systemd socket activation hands it ours instead.
      daemon = spawn('systemd-socket-activate', ['-l', socket, 'pcscd', '--foreground', '--config', conf], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      daemon.stdout?.on('data', (d) => {
        daemonLog += d;
      });
      daemon.stderr?.on('data', (d) => {
        daemonLog += d;
      });
      process.env.PCSCLITE_CSOCK_NAME = socket; // read by libpcsclite when pcsclite establishes its context
      card = await startVirtualCardProcess();
      // vpcd accepts one card connection per slot: probing with a connect would take the slot, so
      // wait for the socket file, then connect the card for good (retrying until vpcd listens).
      await waitFor('pcscd socket', () => existsSync(socket));
      // systemd-socket-activate starts the daemon on the first connection: knock once.
      await new Promise<void>((resolve) => {
        const knock = netConnect(socket).once('connect', () => {
          knock.destroy();
          resolve();
        });
        knock.once('error', () => resolve());
      });
      await waitFor('vpcd listening', async () => {
        if (daemon?.exitCode !== null) throw new Error(`pcscd exited (${daemon?.exitCode}): ${daemonLog}`);
        try {
          await card?.connect(port);
          return true;
        } catch {
          return false;
        }
      });
    }, 60_000);

    afterAll(async () => {
      try {
        await card?.stop();
      } finally {
        if (daemon !== undefined && !(await stopped(daemon, 'SIGTERM'))) await stopped(daemon, 'SIGKILL');
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    });

    it('pcsclite → pcscd → vpcd: firmware string, PN532 commands by SCardTransmit, one tap and its removal', async () => {
      const logs: string[] = [];
      const acr = await openAcr122u({ name: 'Virtual PCD 00 00', waitMs: 8000, log: (l) => logs.push(l) });
      try {
        expect(acr.readerName).toBe('Virtual PCD 00 00');
        const vcard = card as VirtualCardProcess;
        await waitFor('card power-on', async () => (await vcard.state()).controls.includes(0x04));
        // pcsclite reports the card to this process a little after vpcd powered it (later still
        // under load); until then the link tries the escape path, which vpcd refuses.
        let fw = '';
        await waitFor('the firmware through the card', async () => {
          fw = await acr.firmware();
          return fw === FIRMWARE_ASCII;
        });
        expect(fw).toBe(FIRMWARE_ASCII);
        const driver = new pn532.Pn532Driver({
          clock: realClock,
          transport: new Acr122uTransport(acr.link, realClock, (l) => logs.push(l)),
        });
        const events: terminal.ReaderEvent[] = [];
        const poller = terminal.startReader(driver, realClock, (ev) => events.push(ev), { intervalMs: 40 });
        await waitFor('reader-ready', () => events.length > 0);
        expect(events[0]).toEqual({ type: 'reader-ready', version: 'PN532 1.6' });
        await vcard.place(UID);
        await waitFor('the tap', () => events.some((e) => e.type === 'card'));
        await vcard.remove();
        await waitFor('the removal', () => events.some((e) => e.type === 'removed'));
        poller.stop();
        expect(events.slice(1)).toEqual([{ type: 'card', uid: '04DE5F1EACC040' }, { type: 'removed' }]);
        // The bytes pcscd carried: Direct Transmit pseudo-APDUs, exactly as sent.
        const sent = (await vcard.state()).apdus;
        expect(sent[0]).toEqual([0xff, 0x00, 0x48, 0x00, 0x00]);
        expect(sent[1]).toEqual([0xff, 0x00, 0x00, 0x00, 0x05, 0xd4, 0x14, 0x01, 0x14, 0x01]);
        expect(sent.some((a) => a[5] === 0xd4 && a[6] === 0x4a)).toBe(true); // InListPassiveTarget
        expect(acr.link.mode).toBe('card');
        expect(acr.link.counts.transmit).toBeGreaterThanOrEqual(5);
        // At most the first exchange found the card not yet powered and met vpcd's refusal of escape.
        expect(logs.filter((l) => !l.includes('SCardControl escape refused'))).toEqual([]);
      } finally {
        await acr.close();
      }
    }, 30_000);

    it('the card leaves the virtual reader: real PC/SC errors, vpcd refuses escape, a clear error; back: it works again', async () => {
      const logs: string[] = [];
      const acr = await openAcr122u({ name: 'Virtual PCD 00 00', waitMs: 8000, log: (l) => logs.push(l) });
      const vcard = card as VirtualCardProcess;
      try {
        const firmware = () =>
          new Promise<string | undefined>((resolve) =>
            acr.link.exchange([0xff, 0x00, 0x48, 0x00, 0x00], (err) => resolve(err)),
          );
        // As above: the card reaches this process's reader state a little after vpcd has it.
        await waitFor('the card seen', async () => (await firmware()) === undefined);
        expect(await firmware()).toBeUndefined();
        await vcard.disconnect();
        // On the way out the link may first meet the card leaving (a transient PC/SC error); then
        // every exchange gets the escape refusal, worded for the user.
        const refused =
          /Virtual PCD 00 00: SCardControl\(IOCTL_CCID_ESCAPE\) refused .*0x8010001F.*ifdDriverOptions 0x0001/i;
        await waitFor('vpcd to notice', async () => refused.test((await firmware()) ?? ''));
        const err = await firmware();
        expect(err).toMatch(refused);
        expect(acr.link.mode).toBe('direct');
        await vcard.connect(port);
        await waitFor('the card back', async () => (await firmware()) === undefined);
        expect(acr.link.mode).toBe('card');
      } finally {
        await acr.close();
      }
    }, 30_000);

    it('keeps pcscd quiet about it', () => {
      expect(daemonLog).not.toMatch(/segfault|Aborted/i);
    });
  },
);
