/**
 * Opens a board's REPL: probes which interpreter answers (Espruino or NodeMCU) with two lines
 * only one of them can run: `"@@E "+x` is JavaScript, `"@@N "..x` is Lua.
 */
import { FlashError } from '../errors.js';
import { type BindingInterface, type Link, openLink } from '../ports/link.js';
import type { BoardKind, BoardRepl } from './board.js';
import { EspruinoRepl } from './espruino.js';
import { NodemcuRepl } from './nodemcu.js';
import { ReplSession } from './session.js';

export const PROBE_ESPRUINO = '\x10print("@@E "+process.env.VERSION)\n';
export const PROBE_NODEMCU = 'print("@@N "..tostring(node.heap()))\n';

export interface OpenBoardOptions {
  binding?: BindingInterface;
  baudRate?: number;
  /** Only accept this interpreter. */
  expect?: BoardKind;
  probeTimeoutMs?: number;
  timeoutMs?: number;
  chunkSize?: number;
}

const NAMES: Record<BoardKind, string> = { espruino: 'Espruino', nodemcu: 'NodeMCU' };

export function noPromptMessage(path: string, baud: number, expect?: BoardKind): string {
  const what = expect ? NAMES[expect] : 'Espruino or NodeMCU';
  return `no ${what} prompt on ${path} at ${baud} baud: check the baud rate / that ${what} is flashed (hardware/README.md: installing the interpreter), and that no other program holds the port`;
}

/** Which interpreter answers on an open link, if any. */
export async function probeLink(
  link: Link,
  session: ReplSession,
  timeoutMs: number,
): Promise<{ kind: BoardKind; version: string } | undefined> {
  const answer = session.waitFor(['@@E ', '@@N '], timeoutMs);
  await link.write('\x03\r\n'); // Ctrl-C: abandon any half-typed line
  await link.write(PROBE_ESPRUINO);
  await link.write(PROBE_NODEMCU);
  const r = await answer;
  if (!r) return undefined;
  return r.tag === '@@E '
    ? { kind: 'espruino', version: r.rest.trim() }
    : { kind: 'nodemcu', version: r.rest.trim() };
}

export async function openBoard(path: string, o: OpenBoardOptions = {}): Promise<BoardRepl> {
  const baud = o.baudRate ?? 115200;
  const link = await openLink(path, { binding: o.binding, baudRate: baud });
  const session = new ReplSession(link);
  try {
    const found = await probeLink(link, session, o.probeTimeoutMs ?? 1500);
    if (!found) throw new FlashError('no-prompt', noPromptMessage(path, baud, o.expect));
    if (o.expect && found.kind !== o.expect) {
      throw new FlashError(
        'wrong-board',
        `${path} runs ${NAMES[found.kind]}, not ${NAMES[o.expect]}: use the matching --board or bundle`,
      );
    }
    // let the second probe's error message (from the interpreter that did not understand it) go by
    await new Promise((r) => setTimeout(r, 20));
    session.clear();
    const opts = { timeoutMs: o.timeoutMs, chunkSize: o.chunkSize };
    return found.kind === 'espruino'
      ? new EspruinoRepl(link, opts, session)
      : new NodemcuRepl(link, opts, session);
  } catch (e) {
    session.close();
    await link.close();
    throw e;
  }
}
