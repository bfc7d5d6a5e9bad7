// Builds firmware/dist/espruino/: terminal.js (the portable core + the Espruino HAL: what is
// saved and runs at boot) and the Storage modules it loads with require() when the configuration
// needs them (tb-pn532.js, tb-rc522.js, tb-selftest.js, tb-sha256.js: see targets/espruino/modules.ts),
// listed in modules.json for the flash tool. Type-checked against ES5 + the Espruino API
// declarations, downlevelled to ES5 by tsc, bundled (tree-shaken) by esbuild (target es5), minified
// by terser (ES5 output; private class members renamed, see scripts/private-names.mjs, with one
// name cache so a member keeps its short name across files), then each file is parsed with acorn
// as ES5 so any newer syntax fails the build.
// The sources call Espruino's require as `espruinoRequire` (esbuild would wrap a `require` in a
// Proxy-based shim); it is renamed back here so the Espruino IDE/CLI sees `require("MQTT")` and
// uploads the modules with the code; `espruinoModule` (a Storage module's `module`) likewise.
// In the main file every import of src/util/sha256.js is routed to targets/espruino/sha256.ts
// (native crypto.SHA256, else the tb-sha256 module), of src/terminal/texts.js to
// targets/espruino/texts.ts (the configured language's tb-fr/tb-en module) and of
// src/util/json.js to targets/espruino/json.ts (native JSON.parse, the core's canonical encoder).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const fw = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = join(fw, 'dist', `.espruino-es5-${process.pid}`); // per process: tests build concurrently
const out = join(fw, 'dist', 'espruino');
rmSync(tmp, { recursive: true, force: true });
// One TypeScript program type-checks, emits ES5 and feeds the member-renaming analyses below.
const ts = require('typescript');
const tsconfig = join(fw, 'targets/espruino/tsconfig.json');
const cfg = ts.getParsedCommandLineOfConfigFile(
  tsconfig,
  { outDir: tmp },
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  },
);
const program = ts.createProgram({
  rootNames: cfg.fileNames,
  options: cfg.options,
  host: ts.createCompilerHost(cfg.options, true), // setParentNodes, for the analyses
});
const diagnostics = [...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics];
if (diagnostics.length > 0) {
  console.error(
    ts.formatDiagnosticsWithColorAndContext(diagnostics, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => fw,
      getNewLine: () => '\n',
    }),
  );
  console.error('espruino: type-check against ES5 + espruino.d.ts failed');
  process.exit(1);
}
const version = JSON.parse(readFileSync(join(fw, 'package.json'), 'utf8')).version;
const esbuild = await import('esbuild');
const { minify } = await import('terser');
const { parse } = await import('acorn');
const { exactNamesRegex, privateMemberNames } = await import('./private-names.mjs');
mkdirSync(out, { recursive: true });

/** Storage name → entry (tsc output); '' is the main file. */
const FILES = [
  { storage: '', file: 'terminal.js', entry: 'targets/espruino/main.js' },
  { storage: 'tb-pn532', file: 'tb-pn532.js', entry: 'targets/espruino/modules/pn532.js' },
  { storage: 'tb-rc522', file: 'tb-rc522.js', entry: 'targets/espruino/modules/rc522.js' },
  { storage: 'tb-selftest', file: 'tb-selftest.js', entry: 'targets/espruino/modules/selftest.js' },
  { storage: 'tb-sha256', file: 'tb-sha256.js', entry: 'targets/espruino/modules/sha256.js' },
  { storage: 'tb-fr', file: 'tb-fr.js', entry: 'targets/espruino/modules/fr.js' },
  { storage: 'tb-en', file: 'tb-en.js', entry: 'targets/espruino/modules/en.js' },
];
// The core's imports of these files go to the Espruino build's own versions (targets/espruino/):
// SHA-256 native or from tb-sha256, display texts from tb-fr/tb-en, JSON parsed natively.
const onBoard = { 'sha256.js': 'sha256.js', 'texts.js': 'texts.js', 'json.js': 'json.js' };
const routeToBoard = {
  name: 'on-board',
  setup(build) {
    build.onResolve({ filter: /\/(?:sha256|texts|json)\.js$/ }, (a) => {
      const base = a.path.slice(a.path.lastIndexOf('/') + 1);
      return a.importer.startsWith(join(tmp, 'src')) && onBoard[base]
        ? { path: join(tmp, 'targets/espruino', onBoard[base]) }
        : undefined;
    });
  },
};
// Library names Espruino 2v29 lacks (the shim test catches calls at run time; this catches them
// on paths the tests do not reach). tsc helpers (__extends, __assign…) would show up here too.
const banned =
  /\b(Map|Set|WeakMap|WeakSet|Symbol|Proxy|Reflect|BigInt|TextEncoder|TextDecoder|setImmediate|queueMicrotask|globalThis|Object\.(?:freeze|entries|values|assign|setPrototypeOf)|Array\.(?:from|of)|Number\.is\w+|Math\.(?:trunc|imul|log2|sign))\b/g;

const { internalMemberNames } = await import('./internal-names.mjs');
// Renamed members: private ones, and those the type checker proves never leave the build's own
// code (scripts/internal-names.mjs); the boundary files below are what leaves the device.
const renamed = [
  ...new Set([
    ...privateMemberNames(tsconfig, program),
    ...internalMemberNames(program, {
      fw,
      internal: ['src', 'targets/espruino'],
      boundary: [
        'src/protocol/codec.ts',
        'src/protocol/counter.ts',
        'src/protocol/credentials.ts',
        'src/protocol/index.ts',
        'src/protocol/messages.ts',
        'src/protocol/schema.ts',
        'src/protocol/topics.ts',
        'src/util/json.ts',
        'src/terminal/selftest.ts',
      ],
    }),
  ]),
].sort();
/** Identifiers among `names` that the code uses (member names and strings do not count). */
function freeNames(code, names) {
  const hits = new Set();
  const walk = (n) => {
    if (n === null || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(walk);
    if (n.type === 'Identifier' && names.includes(n.name)) hits.add(n.name);
    for (const k in n) {
      if (k === 'property' && n.type === 'MemberExpression' && !n.computed) continue;
      if (k === 'key' && n.type === 'Property' && !n.computed) continue;
      walk(n[k]);
    }
  };
  walk(parse(code, { ecmaVersion: 5, sourceType: 'script' }));
  return [...hits];
}

const nameCache = {}; // shared: a renamed member has the same name in every file
const built = [];
for (const f of FILES) {
  const result = await esbuild.build({
    entryPoints: [join(tmp, f.entry)],
    bundle: true,
    format: 'iife',
    target: 'es5',
    minify: false, // terser below minifies better (and renames private members)
    legalComments: 'none',
    charset: 'utf8', // raw UTF-8 literals: an Espruino without unicode support sees bytes, as Lua does
    define: { __FIRMWARE_VERSION__: JSON.stringify(version) },
    plugins: f.storage === '' ? [routeToBoard] : [],
    write: false,
    logLevel: 'warning',
  });
  const minified = await minify(result.outputFiles[0].text, {
    ecma: 5,
    toplevel: true,
    // hoist_vars: one `var` per function (ES5 vars are function-scoped anyway); hoist_funs: function
    // declarations first in their scope (where ES5 hoists them anyway). Not `unsafe`: it folds the
    // core's run-time probe for byte strings ("xé".substring(1).length) with Node's answer.
    compress: { ecma: 5, passes: 3, toplevel: true, pure_getters: true, hoist_vars: true, hoist_funs: true },
    // builtins: true lets terser rename a name that is also a DOM/builtin one (show, head, count…):
    // the regex lists exactly the names proven internal above.
    mangle: { toplevel: true, properties: { regex: exactNamesRegex(renamed), builtins: true } },
    nameCache,
    format: { ecma: 5, ascii_only: false, comments: false },
  });
  delete nameCache.vars; // files are separate scopes: only member names are shared
  let code = minified.code;
  const direct = freeNames(code, ['require', 'module', 'exports']);
  if (direct.length)
    throw new Error(
      `espruino: ${f.file} uses ${direct.join(', ')} directly: use espruinoRequire/espruinoModule`,
    );
  code = code
    .replace(/\bespruinoRequire\(/g, 'require(')
    .replace(/\bespruinoModule\.exports=/g, 'module.exports=');
  if (/\bespruino(?:Require|Module)\b/.test(code))
    throw new Error(`espruino: ${f.file}: unexpected espruinoRequire/espruinoModule use`);
  parse(code, { ecmaVersion: 5, sourceType: 'script' }); // throws on anything newer than ES5
  const found = code.match(banned);
  if (found)
    throw new Error(`espruino: ${f.file} uses what Espruino lacks: ${[...new Set(found)].join(', ')}`);
  built.push({ ...f, code });
}
const bytes = (code) => Buffer.byteLength(code, 'utf8');
const atomic = (name, text) => {
  writeFileSync(join(out, `${name}.${process.pid}`), text);
  renameSync(join(out, `${name}.${process.pid}`), join(out, name)); // atomic for concurrent readers
};
for (const f of built) atomic(f.file, f.code);
const manifest = {
  $comment:
    'Espruino build: `main` is saved and runs at boot; each module goes to Storage under `storage` (the name the main file require()s).',
  main: 'terminal.js',
  modules: built
    .filter((f) => f.storage !== '')
    .map((f) => ({ storage: f.storage, file: f.file, bytes: bytes(f.code) })),
};
atomic('modules.json', `${JSON.stringify(manifest, null, 2)}\n`);
rmSync(tmp, { recursive: true, force: true });
console.log(`espruino: dist/espruino/${built.map((f) => `${f.file} ${bytes(f.code)}`).join(', ')} bytes`);
