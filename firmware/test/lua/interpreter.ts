/** The Lua interpreters the NodeMCU builds are tested on, and where each one's bundle is. */
import { spawnSync } from 'node:child_process';

export const LUA_BUNDLE = {
  'lua5.1': 'dist/nodemcu/terminal.lua',
  'lua5.3': 'dist/nodemcu/lua53/terminal.lua',
} as const;

const INSTALL = 'install it with: apt-get install -y lua5.1 lua-bitop lua5.3';

/** Fails (never skips) when the interpreter or, for 5.1, LuaBitOp is missing. */
export function requireInterpreter(bin: string, needsBit: boolean): void {
  const probe = spawnSync(bin, ['-e', needsBit ? 'require("bit")' : 'print(_VERSION)'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (probe.error) throw new Error(`${bin} not found on PATH: ${INSTALL}`);
  if (probe.status !== 0)
    throw new Error(`${bin} cannot load the bit module (LuaBitOp): ${INSTALL}\n${probe.stderr}`);
}
