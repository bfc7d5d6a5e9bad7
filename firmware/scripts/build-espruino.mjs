// Builds firmware/dist/espruino/terminal.js: the portable core + the Espruino HAL, type-checked
// against ES5 + the Espruino API declarations, downlevelled to ES5 by tsc, bundled (tree-shaken)
// by esbuild (target es5), minified by terser (ES5 output; private class members renamed, see
// scripts/private-names.mjs), then parsed with acorn as ES5 so any newer syntax fails the build.
// The sources call Espruino's require as `espruinoRequire` (esbuild would wrap a `require` in a
// Proxy-based shim); it is renamed back here so the Espruino IDE/CLI sees `require("MQTT")` and
// uploads the modules with the code.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const fw = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = join(fw, 'dist', `.espruino-es5-${process.pid}`); // per process: tests build concurrently
const out = join(fw, 'dist', 'espruino');
rmSync(tmp, { recursive: true, force: true });
try {
  execFileSync(
    process.execPath,
    [
      require.resolve('typescript/bin/tsc'),
      '-p',
      join(fw, 'targets/espruino/tsconfig.json'),
      '--outDir',
      tmp,
    ],
    {
      stdio: 'inherit',
    },
  );
} catch {
  console.error('espruino: type-check against ES5 + espruino.d.ts failed');
  process.exit(1);
}
const version = JSON.parse(readFileSync(join(fw, 'package.json'), 'utf8')).version;
const esbuild = await import('esbuild');
mkdirSync(out, { recursive: true });
const result = await esbuild.build({
  entryPoints: [join(tmp, 'targets/espruino/main.js')],
  bundle: true,
  format: 'iife',
  target: 'es5',
  minify: false, // terser below minifies better (and renames private members)
  legalComments: 'none',
  charset: 'utf8', // raw UTF-8 literals: an Espruino without unicode support sees bytes, as Lua does
  define: { __FIRMWARE_VERSION__: JSON.stringify(version) },
  write: false,
  logLevel: 'warning',
});
const { minify } = await import('terser');
const { exactNamesRegex, privateMemberNames } = await import('./private-names.mjs');
const privateNames = privateMemberNames(join(fw, 'targets/espruino/tsconfig.json'));
const minified = await minify(result.outputFiles[0].text, {
  ecma: 5,
  toplevel: true,
  compress: { ecma: 5, passes: 3, toplevel: true, pure_getters: true },
  mangle: { toplevel: true, properties: { regex: exactNamesRegex(privateNames) } },
  format: { ecma: 5, ascii_only: false, comments: false },
});
let code = minified.code;
if (/\brequire\b/.test(code))
  throw new Error('espruino: the bundle calls require directly: use espruinoRequire');
code = code.replace(/\bespruinoRequire\(/g, 'require(');
const { parse } = await import('acorn');
parse(code, { ecmaVersion: 5, sourceType: 'script' }); // throws on anything newer than ES5
// Library names Espruino 2v29 lacks (the shim test catches calls at run time; this catches them
// on paths the tests do not reach). tsc helpers (__extends, __assign…) would show up here too.
const banned =
  /\b(Map|Set|WeakMap|WeakSet|Symbol|Proxy|Reflect|BigInt|TextEncoder|TextDecoder|setImmediate|queueMicrotask|globalThis|Object\.(?:freeze|entries|values|assign|setPrototypeOf)|Array\.(?:from|of)|Number\.is\w+|Math\.(?:trunc|imul|log2|sign))\b/g;
const found = code.match(banned);
if (found)
  throw new Error(`espruino: the bundle uses what Espruino lacks: ${[...new Set(found)].join(', ')}`);
writeFileSync(join(out, `terminal.js.${process.pid}`), code);
renameSync(join(out, `terminal.js.${process.pid}`), join(out, 'terminal.js')); // atomic for concurrent readers
rmSync(tmp, { recursive: true, force: true });
console.log(`espruino: dist/espruino/terminal.js ${code.length} bytes`);
