/**
 * The test side of vpcd-card-process.ts: starts the virtual card in a child node and drives it
 * over IPC (connect to vpcd's port, leave it, place or remove the tag in the PN532's field, read
 * what pcscd sent). Every request has a time limit and the child is always stoppable.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type CardCommand =
  | { op: 'connect'; port: number }
  | { op: 'disconnect' }
  | { op: 'place'; uid: number[] }
  | { op: 'remove' }
  | { op: 'state' };
export type CardRequest = { id: number } & CardCommand;

export interface CardState {
  /** A vpcd connection is open (the card is in the virtual reader). */
  connected: boolean;
  /** Controls received on this connection (0 off, 1 on, 2 reset, 4 ATR), in order. */
  controls: number[];
  /** APDUs received through pcscd on this connection, in order. */
  apdus: number[][];
}

/** id 0 unasked: the child is up. */
export interface CardReply {
  id: number;
  error?: string;
  state?: CardState;
}

export interface VirtualCardProcess {
  /** Puts the card in vpcd's reader (rejects while vpcd does not listen yet). */
  connect(port: number): Promise<void>;
  /** Takes the card out of the reader: vpcd sees its connection close. */
  disconnect(): Promise<void>;
  place(uid: number[]): Promise<void>;
  remove(): Promise<void>;
  state(): Promise<CardState>;
  /** Ends the child (SIGTERM, then SIGKILL); resolves once it has exited. */
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('./vpcd-card-process.ts', import.meta.url));

/** Waits (bounded) for `child` to exit; false if it is still there after `ms`. */
export function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startVirtualCardProcess(
  timeoutMs = 5000,
  startMs = 20_000,
): Promise<VirtualCardProcess> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', ENTRY], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + d).slice(-2000);
  });
  const pending = new Map<number, (r: CardReply) => void>();
  let gone: string | undefined;
  child.on('message', (r: CardReply) => {
    pending.get(r.id)?.(r);
    pending.delete(r.id);
  });
  child.on('exit', (code, signal) => {
    gone = `virtual card process exited (${code ?? signal}): ${stderr}`;
    for (const [id, cb] of pending) cb({ id, error: gone });
    pending.clear();
  });
  let next = 1;
  const ask = (what: string, ms: number, req?: CardCommand) =>
    new Promise<CardReply>((resolve, reject) => {
      if (gone !== undefined) return reject(new Error(gone));
      const id = req === undefined ? 0 : next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`virtual card: no answer to ${what} within ${ms} ms; stderr: ${stderr}`));
      }, ms);
      pending.set(id, (r) => {
        clearTimeout(timer);
        if (r.error !== undefined) reject(new Error(`virtual card: ${what}: ${r.error}`));
        else resolve(r);
      });
      if (req !== undefined) child.send({ ...req, id });
    });
  const stop = async () => {
    child.kill('SIGTERM');
    if (!(await exited(child, 3000))) {
      child.kill('SIGKILL');
      await exited(child, 3000);
    }
  };
  try {
    await ask('start', startMs);
  } catch (e) {
    await stop();
    throw e;
  }
  const run = async (req: CardCommand) => ask(req.op, timeoutMs, req);
  return {
    connect: async (port) => void (await run({ op: 'connect', port })),
    disconnect: async () => void (await run({ op: 'disconnect' })),
    place: async (uid) => void (await run({ op: 'place', uid })),
    remove: async () => void (await run({ op: 'remove' })),
    state: async () => (await run({ op: 'state' })).state as CardState,
    stop,
  };
}
