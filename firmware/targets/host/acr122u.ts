/**
 * Opens an ACR122U (or any PC/SC reader whose name matches) through pcsc-lite: loads the optional
 * native `pcsclite` module only now (so the host terminal runs without it unless asked for this
 * reader), waits for the reader to show up, and returns the APDU link to it.
 * Missing pieces are reported as what to install, not as a stack trace.
 */
import { createRequire } from 'node:module';
import { GET_FIRMWARE_APDU, parseFirmwareVersion } from './acr122u-apdu.js';
import { PcscLink, type PcscReader } from './pcsc-link.js';
import { pcscdSilentMessage, probePcscd } from './pcscd-probe.js';

/** The `pcsclite` module's factory and context, as far as this file uses them. */
export interface PcscContext {
  on(
    event: 'reader',
    cb: (reader: PcscReader & { on(ev: string, cb: (...a: unknown[]) => void): unknown }) => void,
  ): unknown;
  on(event: 'error', cb: (err: Error) => void): unknown;
  close(): void;
}
export type PcscFactory = () => PcscContext;

export interface Acr122uOptions {
  /** Part of the PC/SC reader name to use (default: the first name containing "ACR122"). */
  name?: string;
  /** How long to wait for the reader (default 5000 ms). */
  waitMs?: number;
  /** How long pcscd may take to give a PC/SC context, asked from a child process first (default 5000 ms). */
  pcscdTimeoutMs?: number;
  log?: (line: string) => void;
  /** Where `pcsclite` comes from (tests inject a double; default: the optional npm module, after the pcscd probe). */
  load?: () => Promise<PcscFactory>;
}

export interface Acr122u {
  readerName: string;
  link: PcscLink;
  /** The reader's own firmware ("ACR122U207"), or the reason it could not be read. */
  firmware(): Promise<string>;
  close(): Promise<void>;
}

/** `acr122u` or `acr122u:<part of the reader name>` → the name part ('' = default); undefined: not this reader. */
export function parseAcr122uSpec(spec: string): string | undefined {
  if (spec === 'acr122u') return '';
  if (spec.startsWith('acr122u:')) return spec.slice('acr122u:'.length);
  return undefined;
}

export const PCSCLITE_MISSING =
  "--reader acr122u needs the optional native module 'pcsclite', which is not installed or did not build. " +
  'On Debian: apt-get install libpcsclite-dev pcscd build-essential python3, then npm install pcsclite -w firmware.';

export const PCSCD_MISSING =
  'cannot reach the PC/SC daemon (pcscd). On Debian: apt-get install pcscd, then systemctl start pcscd.socket ' +
  '(or run pcscd -f). Also unload the kernel NFC driver that grabs the ACR122U: modprobe -r pn533_usb pn533 nfc.';

async function loadPcsclite(pcscdTimeoutMs: number): Promise<PcscFactory> {
  // A variable specifier: the type-check and the build must not need the optional module.
  const spec = 'pcsclite';
  let path: string | undefined;
  try {
    path = createRequire(import.meta.url).resolve(spec);
  } catch {
    // not installed: the import below says so
  }
  // Only a silent daemon stops here; any other answer leaves today's errors to the in-process path.
  if (path !== undefined && (await probePcscd(path, pcscdTimeoutMs)).kind === 'silent')
    throw new Error(pcscdSilentMessage(pcscdTimeoutMs));
  try {
    const mod = (await import(spec)) as { default?: PcscFactory } & PcscFactory;
    return typeof mod.default === 'function' ? mod.default : mod;
  } catch (e) {
    throw new Error(`${PCSCLITE_MISSING} (${(e as Error).message})`);
  }
}

/**
 * pcsclite's native objects are never closed nor collected, only left to the process's exit. Its
 * close() of a context or a reader (called by the module itself when a reader leaves the list,
 * e.g. an ACR122U unplugged) and their destructors (run when the object is garbage-collected)
 * signal the object's status thread and then join it with no time limit: when the signal lands
 * before the thread is back in SCardGetStatusChange (the reader's destructor even cancels the
 * wrong context), the join never returns and the event loop is blocked for good. Seen in CI (a
 * test worker blocked after a virtual card left its reader) and under load (Ctrl-C could no
 * longer stop the terminal). A reader's status thread ends by itself once pcscd reports the
 * reader unknown; a context's at exit.
 */
const kept: object[] = [];

/** Keeps `r` from collection and turns its blocking close() into a no-op (see above). */
function neverClose(r: object): void {
  kept.push(r);
  (r as { close?: () => void }).close = () => {};
}

export async function openAcr122u(o: Acr122uOptions = {}): Promise<Acr122u> {
  const log = o.log ?? (() => {});
  const factory = await (o.load ?? (() => loadPcsclite(o.pcscdTimeoutMs ?? 5000)))();
  let pcsc: PcscContext;
  try {
    pcsc = factory();
    kept.push(pcsc);
  } catch (e) {
    // SCardEstablishContext fails at once when no daemon listens (0x8010001D, service not available).
    throw new Error(`${PCSCD_MISSING} (${(e as Error).message})`);
  }
  const want = o.name ?? '';
  const matches = (name: string) => (want === '' ? /ACR122/i.test(name) : name.includes(want));
  const seen: string[] = [];
  let reader: PcscReader;
  let link: PcscLink | undefined;
  let done = false;
  try {
    reader = await new Promise<PcscReader>((resolve, reject) => {
      const timer = setTimeout(() => {
        const what = want === '' ? 'an ACR122U' : `a reader named like "${want}"`;
        reject(
          new Error(
            `no PC/SC reader found for ${what} within ${o.waitMs ?? 5000} ms (readers seen: ${seen.length ? seen.join(', ') : 'none'}). ` +
              'Is it plugged in, and is the kernel pn533_usb driver unloaded?',
          ),
        );
      }, o.waitMs ?? 5000);
      pcsc.on('error', (err) => {
        if (link !== undefined) return log(`acr122u: PC/SC: ${err.message}`);
        clearTimeout(timer);
        reject(new Error(`${PCSCD_MISSING} (${err.message})`));
      });
      pcsc.on('reader', (r) => {
        neverClose(r);
        if (done) return;
        seen.push(r.name);
        // A reader error (unplugged, daemon gone) is logged; the exchanges then fail with their own reason.
        r.on('error', (err) => log(`acr122u: ${r.name}: ${(err as Error).message}`));
        if (!matches(r.name)) return;
        if (link !== undefined) {
          // Unplugged and plugged again: same name, new reader object.
          log(`acr122u: ${r.name} is back`);
          link.replaceReader(r);
          return;
        }
        clearTimeout(timer);
        resolve(r);
      });
    });
  } catch (e) {
    done = true; // the listeners stay (the context is never closed): later events are ignored
    throw e;
  }
  const opened = new PcscLink(reader, log);
  link = opened;
  return {
    readerName: reader.name,
    link: opened,
    firmware: () =>
      new Promise((resolve) =>
        opened.exchange(GET_FIRMWARE_APDU, (err, answer) => {
          if (err !== undefined) return resolve(`unknown (${err})`);
          const r = parseFirmwareVersion(answer);
          resolve(r.ok ? r.value : `unknown (${r.detail})`);
        }),
      ),
    async close() {
      done = true;
      await opened.close();
    },
  };
}
