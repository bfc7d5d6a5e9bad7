// A throwaway PostgreSQL cluster for fault tests: initdb into a temp dir, started with pg_ctl on a
// free port (socket in that dir), restarted or stopped by the test, removed afterwards. It never
// touches the machine's shared cluster on 5432. The Debian binaries live in
// /usr/lib/postgresql/<version>/bin; as root they run as the `postgres` user (runuser).
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './gateway-process.js';

const run = promisify(execFile);

/** The newest Debian PostgreSQL bin dir, or undefined when none is installed. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : undefined;
}

export interface PgCluster {
  url: string;
  port: number;
  dir: string;
  /** `pg_ctl restart -m <mode>` (immediate = crash + WAL recovery on start). */
  restart(mode?: 'immediate' | 'fast'): Promise<void>;
  stop(): Promise<void>;
  /** The server log (for failure messages). */
  log(): string;
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = postgresBin();
  if (!bin) throw new Error('no PostgreSQL binaries in /usr/lib/postgresql/*/bin');
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'tb-pg-'));
  const data = join(dir, 'data');
  if (asRoot) {
    const ids = (await run('id', ['-u', 'postgres'])).stdout.trim();
    const gid = (await run('id', ['-g', 'postgres'])).stdout.trim();
    chownSync(dir, Number(ids), Number(gid));
  }
  const pg = (tool: string, args: string[], timeout = 60_000) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { timeout, cwd: dir })
      : run(join(bin, tool), args, { timeout, cwd: dir });
  await pg('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  ]);
  const port = await freePort();
  // Small and quiet: a few connections, no autovacuum noise, the socket in our own dir.
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=40 -c shared_buffers=16MB -c autovacuum=off`;
  const logFile = join(dir, 'server.log');
  const ctl = (args: string[]) =>
    pg('pg_ctl', ['-D', data, '-o', opts, '-l', logFile, '-w', '-t', '60', ...args]);
  await ctl(['start']);
  let stopped = false;
  // If the test process dies without stop(), do not leave a server running.
  const onExit = () => {
    if (stopped) return;
    const args = ['-D', data, '-m', 'immediate', '-W', 'stop'];
    try {
      if (asRoot)
        execFileSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args], { stdio: 'ignore' });
      else execFileSync(join(bin, 'pg_ctl'), args, { stdio: 'ignore' });
    } catch {}
  };
  process.once('exit', onExit);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    restart: async (mode = 'immediate') => {
      await ctl(['restart', '-m', mode]);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
  };
}
