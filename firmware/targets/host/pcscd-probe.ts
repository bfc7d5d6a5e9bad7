/**
 * Asks pcscd for a PC/SC context from a throwaway child process before the terminal loads
 * `pcsclite` itself. pcsclite establishes its context synchronously on the main thread with no
 * time limit: a pcscd whose socket accepts but which never answers (a stuck daemon) would block
 * the terminal's event loop for good at start, Ctrl-C included. A child can be killed instead.
 */
import { spawn } from 'node:child_process';

/** 'up': pcscd gave a context; 'failed': the child said why not (module, daemon absent); 'silent': no answer in time. */
export type PcscdProbe = { kind: 'up' } | { kind: 'failed'; detail: string } | { kind: 'silent' };

// CommonJS for `node -e`; argv[1] is the resolved pcsclite path. Calling the factory runs
// SCardEstablishContext (and a zero-timeout SCardGetStatusChange) before it returns; exiting in
// the same tick keeps pcsclite from starting its reader watch (scheduled on the next tick).
const CHILD = `
const say = (line) => { require('fs').writeSync(1, line + '\\n'); process.exit(0); };
try { require(process.argv[1])(); say('up'); }
catch (e) { say('failed ' + String(e && e.message).replace(/\\s+/g, ' ')); }
`;

export function pcscdSilentMessage(timeoutMs: number): string {
  return (
    `pcscd does not answer (no PC/SC context within ${timeoutMs / 1000} s): ` +
    'restart it with `systemctl restart pcscd`.'
  );
}

/** Runs the probe against the `pcsclite` module at `modulePath`; the child inherits the environment (PCSCLITE_CSOCK_NAME). */
export function probePcscd(modulePath: string, timeoutMs: number): Promise<PcscdProbe> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', CHILD, modulePath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let settled = false;
    const finish = (p: PcscdProbe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // The answer is all we need: a child stuck in native code (or in its exit) must not linger.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      resolve(p);
    };
    const timer = setTimeout(() => finish({ kind: 'silent' }), timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const line = out.slice(0, nl);
      finish(line === 'up' ? { kind: 'up' } : { kind: 'failed', detail: line.replace(/^failed /, '') });
    });
    child.stderr.on('data', (d) => {
      if (err.length < 2000) err += d;
    });
    child.on('error', (e) => finish({ kind: 'failed', detail: e.message }));
    child.on('close', (code, signal) =>
      finish({ kind: 'failed', detail: `probe exited (${signal ?? code}) without an answer: ${err.trim()}` }),
    );
  });
}
