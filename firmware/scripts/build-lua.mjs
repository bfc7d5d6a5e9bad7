// Builds the NodeMCU-Lua target with typescript-to-lua (one bundled file, minimal lualib):
//   dist/nodemcu/terminal.lua         luaTarget "JIT" + scripts/tstl-lua51.cjs: runs on Lua 5.1
//                                     (NodeMCU) with the `bit` module (LuaBitOp in tests);
//                                     tree-shaken and minified by scripts/lua-minify.mjs
//   dist/nodemcu/lua53/terminal.lua   luaTarget "5.3": native bitwise operators (compacted only:
//                                     the minifier's parser does not know 5.3 operators)
//   dist/nodemcu/init.lua             boot script with a safe delay (targets/nodemcu/init.lua)
// tstl writes output even when it reports errors, so its exit code is checked.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const fw = join(dirname(fileURLToPath(import.meta.url)), '..');
const dest = join(fw, 'dist', 'nodemcu');
// Built in a per-process staging directory, then renamed into place file by file, so test files
// that build concurrently (vitest workers) never read a half-written bundle.
const out = join(fw, 'dist', `.nodemcu-${process.pid}`);
const tstl = join(dirname(require.resolve('typescript-to-lua/package.json')), 'dist', 'tstl.js');
const project = join(fw, 'targets', 'nodemcu', 'tsconfig.json');

rmSync(out, { recursive: true, force: true });
function run(args, label) {
  try {
    execFileSync(process.execPath, [tstl, '-p', project, ...args], { stdio: 'inherit' });
  } catch {
    console.error(`nodemcu: typescript-to-lua failed (${label})`);
    process.exit(1);
  }
}
run(['--outDir', out], 'Lua 5.1 / NodeMCU');
run(['--luaTarget', '5.3', '--outDir', join(out, 'lua53')], 'Lua 5.3');

// Compaction for the ESP32's small flash and RAM: no indentation, no blank or comment-only lines.
// Safe because tstl escapes newlines inside string literals and emits no long strings.
for (const file of ['terminal.lua', 'lua53/terminal.lua']) {
  const text = readFileSync(join(out, file), 'utf8');
  if (/\[=*\[/.test(text.replace(/--\[\[[^\n]*\]\]/g, '').replace(/"(?:[^"\\\n]|\\.)*"/g, '""')))
    throw new Error(`nodemcu: ${file} has a long string or comment: cannot compact safely`);
  const compact = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^--(\[\[[^\n]*\]\])?$|^--[^[]/.test(l))
    .join('\n');
  writeFileSync(join(out, file), `${compact}\n`);
}
// The shipped (5.1) file: tree shaking, short private member and module names, luamin.
// TIBILLET_LUA_NO_MINIFY=1 keeps it readable (debugging only: it then misses its size budget).
if (!process.env.TIBILLET_LUA_NO_MINIFY) {
  const { minifyLuaBundle } = await import('./lua-minify.mjs');
  const { privateMemberNames } = await import('./private-names.mjs');
  const r = minifyLuaBundle(readFileSync(join(out, 'terminal.lua'), 'utf8'), {
    entry: 'targets.nodemcu.main',
    privateNames: privateMemberNames(project),
  });
  writeFileSync(join(out, 'terminal.lua'), r.code);
}
const lua51 = readFileSync(join(out, 'terminal.lua'), 'utf8');
// Lua 5.1 has no goto/labels and no native bitwise operators.
if (/\bgoto\b|::[A-Za-z_]\w*::/.test(lua51)) throw new Error('nodemcu: Lua 5.1 output contains goto');
if (
  /[^~=<>]~[^=]|<<|>>|\/\//.test(
    lua51.replace(/--\[\[[\s\S]*?\]\]|--[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, ''),
  )
)
  throw new Error('nodemcu: Lua 5.1 output contains a Lua 5.3 operator');
mkdirSync(out, { recursive: true });
copyFileSync(join(fw, 'targets', 'nodemcu', 'init.lua'), join(out, 'init.lua'));
mkdirSync(join(dest, 'lua53'), { recursive: true });
for (const f of ['terminal.lua', 'lua53/terminal.lua', 'init.lua']) renameSync(join(out, f), join(dest, f));
rmSync(out, { recursive: true, force: true });
const size = (p) => statSync(join(dest, p)).size;
console.log(
  `nodemcu: dist/nodemcu/terminal.lua ${size('terminal.lua')} bytes, lua53/terminal.lua ${size('lua53/terminal.lua')} bytes, init.lua ${size('init.lua')} bytes`,
);
