// Minifier for the typescript-to-lua bundle (Lua 5.1 syntax: the NodeMCU build), in three passes
// over a luaparse AST, then printed by luamin (no whitespace or comments, local names shortened):
//  1. tree shaking: tstl bundles whole modules (and a lualib with every helper a module names).
//     Top-level definitions nobody reaches from the entry module are dropped: local functions and
//     values, `____exports.x` members, class definitions with their methods, lualib helpers, and
//     whole modules. Anything that is not a recognised side-effect-free definition is kept.
//  2. private class members (scripts/private-names.mjs) and module names get short names.
//  3. luamin prints the result.
// Only Lua 5.1 syntax (luaparse 0.2): the Lua 5.3 variant, with native bitwise operators, is not
// minified by this.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const luamin = require('luamin');
const luaparse = createRequire(require.resolve('luamin'))('luaparse'); // the instance luamin prints

const KEYWORDS = new Set(
  'and break do else elseif end false for function goto if in local nil not or repeat return then true until while'.split(
    ' ',
  ),
);

/** Calls `fn` on every node below `node` (not descending into nothing but plain objects). */
function walk(node, fn, parent) {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) walk(n, fn, parent);
    return;
  }
  if (typeof node.type === 'string') fn(node, parent);
  for (const k of Object.keys(node)) {
    if (k === 'type' || k === 'isLocal' || k === 'globals') continue;
    const v = node[k];
    if (v !== null && typeof v === 'object') walk(v, fn, node);
  }
}

/** Names a statement refers to: local identifiers and `base.member` pairs (member not an identifier). */
function references(node, skip) {
  const ids = new Set();
  const members = []; // [baseName, member]
  const bare = new Set(); // identifiers used other than as the base of `.member`
  walk(node, (n, parent) => {
    if (skip?.has(n)) return;
    if (n.type === 'Identifier') {
      if (parent && parent.type === 'MemberExpression' && parent.identifier === n) return;
      if (parent && parent.type === 'TableKeyString' && parent.key === n) return;
      ids.add(n.name);
      const isBase =
        parent && parent.type === 'MemberExpression' && parent.base === n && parent.indexer === '.';
      if (!isBase) bare.add(n.name);
    } else if (n.type === 'MemberExpression' && n.base.type === 'Identifier' && n.indexer === '.') {
      members.push([n.base.name, n.identifier.name]);
    }
  });
  return { ids, members, bare };
}

function isPure(e) {
  if (!e) return true;
  switch (e.type) {
    case 'FunctionDeclaration':
    case 'StringLiteral':
    case 'NumericLiteral':
    case 'BooleanLiteral':
    case 'NilLiteral':
    case 'Identifier':
      return true;
    case 'MemberExpression':
      return isPure(e.base);
    case 'IndexExpression':
      return isPure(e.base) && isPure(e.index);
    case 'UnaryExpression':
      return isPure(e.argument);
    case 'BinaryExpression':
    case 'LogicalExpression':
      return isPure(e.left) && isPure(e.right);
    case 'TableConstructorExpression':
      return e.fields.every((f) => isPure(f.value) && (f.type !== 'TableKey' || isPure(f.key)));
    case 'CallExpression':
      // require("module") and tstl's class constructor helper are side-effect free here
      return (
        e.base.type === 'Identifier' &&
        (e.base.name === 'require' || e.base.name === '__TS__Class') &&
        e.arguments.every(isPure)
      );
    case 'StringCallExpression':
      return e.base.type === 'Identifier' && e.base.name === 'require';
    default:
      return false;
  }
}

/** Root identifier of `a.b.c` (or `a`), else undefined. */
function rootName(e) {
  while (e && (e.type === 'MemberExpression' || e.type === 'IndexExpression')) e = e.base;
  return e && e.type === 'Identifier' ? e.name : undefined;
}

/**
 * What a top-level statement of a module defines. kind:
 *  'local'  defines locals `names` (removable when all are dead)
 *  'export' defines export `name` of this module (`exportsVar.name = …`)
 *  'attach' belongs to local `owner` (class members, `Foo.name = …`, `__TS__ClassExtends(Foo, …)`)
 *  'root'   always kept
 */
function classify(st, exportsVar, topLocals) {
  const t = st.type;
  if (t === 'LocalStatement') {
    const i0 = st.init[0];
    if (
      st.variables.length === 1 &&
      st.init.length === 1 &&
      i0.type === 'MemberExpression' &&
      i0.indexer === '.' &&
      i0.base.type === 'Identifier' &&
      i0.base.name === exportsVar
    )
      // tstl's `local Foo = ____exports.Foo` after a class or exported function: methods attach
      // to the local, so the local lives as long as the export does
      return { kind: 'local', names: [st.variables[0].name], alias: i0.identifier.name };
    if (st.init.every(isPure)) return { kind: 'local', names: st.variables.map((v) => v.name) };
    return { kind: 'root' };
  }
  if (t === 'FunctionDeclaration' && st.identifier) {
    const id = st.identifier;
    if (id.type === 'Identifier') return { kind: 'local', names: [id.name] };
    if (id.type === 'MemberExpression') {
      const r = rootName(id);
      if (r === exportsVar && id.base.type === 'Identifier')
        return { kind: 'export', name: id.identifier.name };
      if (r !== undefined && topLocals.has(r)) return { kind: 'attach', owner: r };
    }
    return { kind: 'root' };
  }
  if (t === 'AssignmentStatement' && st.variables.length === 1 && st.init.every(isPure)) {
    const v = st.variables[0];
    if (v.type === 'Identifier' && topLocals.has(v.name)) return { kind: 'local', names: [v.name] };
    if (v.type === 'MemberExpression' && v.base.type === 'Identifier' && v.base.name === exportsVar)
      return { kind: 'export', name: v.identifier.name };
    const r = rootName(v);
    if (r !== undefined && r !== exportsVar && topLocals.has(r)) return { kind: 'attach', owner: r };
    return { kind: 'root' };
  }
  if (t === 'CallStatement') {
    const c = st.expression;
    if (
      c.type === 'CallExpression' &&
      c.base.type === 'Identifier' &&
      /^__TS__(ClassExtends|SetDescriptor|ObjectDefineProperty|Decorate)$/.test(c.base.name) &&
      c.arguments.length > 0
    ) {
      const r = rootName(c.arguments[0]);
      if (r !== undefined && topLocals.has(r) && c.arguments.every(isPure))
        return { kind: 'attach', owner: r };
    }
    return { kind: 'root' };
  }
  if (t === 'DoStatement') {
    // lualib's `local Error, …` followed by `do … Error = … end`: defines what it assigns
    const names = [];
    let pure = true;
    for (const s of st.body) {
      if (s.type === 'AssignmentStatement') {
        for (const v of s.variables) {
          if (v.type === 'Identifier' && topLocals.has(v.name)) names.push(v.name);
          else pure = false;
        }
      } else if (s.type === 'LocalStatement' || (s.type === 'FunctionDeclaration' && s.isLocal)) {
        // local helpers of the block
      } else if (s.type === 'FunctionDeclaration' && s.identifier) {
        const r = rootName(s.identifier);
        if (r === undefined || !topLocals.has(r)) pure = false;
        else names.push(r);
      } else pure = false;
    }
    if (pure && names.length > 0) return { kind: 'local', names };
    return { kind: 'root' };
  }
  return { kind: 'root' };
}

/** The `____modules = { ["name"] = function(...) … end, … }` table of a tstl bundle. */
function findModulesTable(chunk) {
  for (const st of chunk.body) {
    if (
      st.type === 'AssignmentStatement' &&
      st.variables[0].type === 'Identifier' &&
      st.variables[0].name === '____modules' &&
      st.init[0] &&
      st.init[0].type === 'TableConstructorExpression' &&
      st.init[0].fields.length > 0
    )
      return st.init[0];
  }
  throw new Error('lua-minify: no ____modules table (not a tstl bundle?)');
}

function shake(chunk, entry) {
  const table = findModulesTable(chunk);
  const mods = new Map();
  for (const f of table.fields) {
    if (f.type !== 'TableKey' || f.key.type !== 'StringLiteral' || f.value.type !== 'FunctionDeclaration')
      throw new Error('lua-minify: unexpected ____modules entry');
    const body = f.value.body;
    const last = body[body.length - 1];
    let exportsVar;
    let returnTable;
    if (last && last.type === 'ReturnStatement' && last.arguments.length === 1) {
      const a = last.arguments[0];
      if (a.type === 'Identifier') exportsVar = a.name;
      else if (a.type === 'TableConstructorExpression') returnTable = a;
    }
    const topLocals = new Set();
    for (const st of body) {
      if (st.type === 'LocalStatement') for (const v of st.variables) topLocals.add(v.name);
      if (st.type === 'FunctionDeclaration' && st.isLocal && st.identifier) topLocals.add(st.identifier.name);
    }
    // locals bound to require("other module")
    const imports = new Map();
    for (const st of body) {
      if (st.type !== 'LocalStatement' || st.variables.length !== 1 || !st.init[0]) continue;
      const e = st.init[0];
      const arg =
        e.type === 'CallExpression' && e.base.type === 'Identifier' && e.base.name === 'require'
          ? e.arguments[0]
          : undefined;
      if (arg && arg.type === 'StringLiteral') imports.set(st.variables[0].name, JSON.parse(arg.raw));
    }
    const stmts = body.map((st) => {
      const isFinalReturn = st === last && (exportsVar !== undefined || returnTable !== undefined);
      const c = isFinalReturn ? { kind: 'final' } : classify(st, exportsVar, topLocals);
      const skip = new Set();
      if (c.kind === 'local' && st.type === 'LocalStatement') for (const v of st.variables) skip.add(v);
      if (c.kind === 'local' && st.type === 'FunctionDeclaration') skip.add(st.identifier);
      if (c.kind === 'local' && st.type === 'AssignmentStatement') skip.add(st.variables[0]);
      return { st, c, refs: isFinalReturn ? undefined : references(st, skip), kept: false };
    });
    mods.set(JSON.parse(f.key.raw), { field: f, body, exportsVar, returnTable, topLocals, imports, stmts });
  }

  const liveLocal = new Map(); // mod -> Set(local names)
  const liveExport = new Map(); // mod -> Set(export names) | '*'
  const liveMods = new Set();
  const work = [];
  const markMod = (m) => {
    if (!mods.has(m) || liveMods.has(m)) return;
    liveMods.add(m);
    work.push(m);
  };
  const markExport = (m, name) => {
    if (!mods.has(m)) return;
    const s = liveExport.get(m) ?? new Set();
    liveExport.set(m, s);
    if (s === '*' || s.has(name)) return;
    s.add(name);
    work.push(m);
  };
  const markAllExports = (m) => {
    if (!mods.has(m) || liveExport.get(m) === '*') return;
    liveExport.set(m, '*');
    work.push(m);
  };
  markMod(entry);
  markAllExports(entry);
  const keep = (m, mod, s) => {
    s.kept = true;
    const locals = liveLocal.get(m);
    if (s.c.kind === 'local') for (const n of s.c.names) locals.add(n);
    for (const id of s.refs.ids) {
      if (mod.topLocals.has(id)) locals.add(id);
    }
    for (const [base, member] of s.refs.members) {
      if (base === mod.exportsVar) markExport(m, member);
      else if (mod.imports.has(base)) markExport(mod.imports.get(base), member);
    }
    for (const id of s.refs.bare) {
      if (id === mod.exportsVar) markAllExports(m);
      else if (mod.imports.has(id)) markAllExports(mod.imports.get(id));
    }
    for (const id of s.refs.ids) if (mod.imports.has(id)) markMod(mod.imports.get(id));
    walk(s.st, (n) => {
      if (n.type === 'CallExpression' && n.base.type === 'Identifier' && n.base.name === 'require') {
        const a = n.arguments[0];
        if (a && a.type === 'StringLiteral') markMod(JSON.parse(a.raw));
      }
    });
  };
  while (work.length > 0) {
    const m = work.pop();
    if (!liveMods.has(m)) continue;
    const mod = mods.get(m);
    if (!liveLocal.has(m)) liveLocal.set(m, new Set(mod.exportsVar ? [mod.exportsVar] : []));
    const locals = liveLocal.get(m);
    const exp = liveExport.get(m) ?? new Set();
    let changed = true;
    while (changed) {
      changed = false;
      for (const s of mod.stmts) {
        if (s.kept) continue;
        const c = s.c;
        let live = false;
        if (c.kind === 'root') live = true;
        else if (c.kind === 'local')
          live =
            c.names.some((n) => locals.has(n)) ||
            (c.alias !== undefined && (exp === '*' || exp.has(c.alias)));
        else if (c.kind === 'export') live = exp === '*' || exp.has(c.name);
        else if (c.kind === 'attach') live = locals.has(c.owner);
        else if (c.kind === 'final') {
          if (mod.returnTable) {
            // lualib: `return { name = local, … }`: each field is an export
            for (const f of mod.returnTable.fields) {
              if (f.type !== 'TableKeyString') continue;
              if (exp === '*' || exp.has(f.key.name)) {
                const r = references(f.value);
                for (const id of r.ids) {
                  if (mod.topLocals.has(id) && !locals.has(id)) {
                    locals.add(id);
                    changed = true;
                  }
                }
              }
            }
          }
          continue;
        }
        if (live) {
          keep(m, mod, s);
          changed = true;
        }
      }
    }
  }

  table.fields = table.fields.filter((f) => liveMods.has(JSON.parse(f.key.raw)));
  for (const [m, mod] of mods) {
    if (!liveMods.has(m)) continue;
    mod.field.value.body = mod.stmts.filter((s) => s.kept || s.c.kind === 'final').map((s) => s.st);
    if (mod.returnTable) {
      const exp = liveExport.get(m) ?? new Set();
      mod.returnTable.fields = mod.returnTable.fields.filter(
        (f) => f.type !== 'TableKeyString' || exp === '*' || exp.has(f.key.name),
      );
    }
    // locals of a kept `local a, b = …` that are dead stay (harmless)
  }
  if (process.env.LUA_MINIFY_DEBUG)
    for (const [m, mod] of mods)
      console.error(
        m,
        liveMods.has(m),
        JSON.stringify([...(liveExport.get(m) ?? [])]),
        mod.stmts.filter((s) => s.kept).length + '/' + mod.stmts.length,
      );
  return { live: [...liveMods], mods, liveExport };
}

/**
 * Short names for the exports of every module whose export table is only read as `t.name` (not
 * the entry, not a module whose table escapes): `____exports.x`, `____m.x` in importers and the
 * lualib's `return { x = x }` fields.
 */
function renameExports(shaken) {
  const { live, mods, liveExport } = shaken;
  const maps = new Map();
  for (const m of live) {
    const exp = liveExport.get(m);
    if (exp === '*' || exp === undefined) continue;
    const map = new Map();
    const gen = shortNames();
    for (const name of [...exp].sort()) {
      let n;
      do n = gen.next().value;
      while (KEYWORDS.has(n));
      map.set(name, n);
    }
    maps.set(m, map);
  }
  let count = 0;
  for (const m of live) {
    const mod = mods.get(m);
    const tableOf = (base) => (base === mod.exportsVar ? m : mod.imports.get(base));
    walk(mod.field.value.body, (n) => {
      if (n.type !== 'MemberExpression' || n.indexer !== '.' || n.base.type !== 'Identifier') return;
      const map = maps.get(tableOf(n.base.name));
      if (map?.has(n.identifier.name)) {
        n.identifier.name = map.get(n.identifier.name);
        count++;
      }
    });
    if (mod.returnTable && maps.has(m)) {
      for (const f of mod.returnTable.fields)
        if (f.type === 'TableKeyString' && maps.get(m).has(f.key.name))
          f.key.name = maps.get(m).get(f.key.name);
    }
  }
  return count;
}

/** tstl passes `self` explicitly (no `function a:b()`), so it can be renamed like any local. */
function renameSelf(chunk) {
  walk(chunk, (n) => {
    if (
      n.type === 'FunctionDeclaration' &&
      n.identifier &&
      n.identifier.type === 'MemberExpression' &&
      n.identifier.indexer === ':'
    )
      throw new Error('lua-minify: method declaration with implicit self');
  });
  walk(chunk, (n) => {
    if (n.type === 'Identifier' && n.name === 'self') {
      if (!n.isLocal) throw new Error('lua-minify: global self');
      n.name = '____self';
    }
  });
}

function* shortNames() {
  const first = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const rest = `${first}0123456789_`;
  for (const c of first) yield c;
  for (const a of first) for (const b of rest) yield a + b;
  for (const a of first) for (const b of rest) for (const c of rest) yield a + b + c;
}

/** Renames the given property names (members, table keys, `t["name"]`) to short unused ones. */
function renameProperties(chunk, names) {
  const wanted = new Set(names);
  // tstl reaches members through strings in places (`local o, k = self, "need"; o[k] = o[k] - 1`
  // for `--this.need`): a name that appears as a string literal is left alone.
  walk(chunk, (n) => {
    if (n.type === 'StringLiteral' && typeof n.value === 'string') wanted.delete(n.value);
  });
  const used = new Set();
  const count = new Map();
  walk(chunk, (n, parent) => {
    if (n.type === 'Identifier') used.add(n.name);
    if (n.type === 'StringLiteral' && typeof n.value === 'string') used.add(n.value);
    let prop;
    if (n.type === 'MemberExpression') prop = n.identifier.name;
    else if (n.type === 'TableKeyString') prop = n.key.name;
    if (prop !== undefined) {
      used.add(prop);
      if (wanted.has(prop)) count.set(prop, (count.get(prop) ?? 0) + 1);
    }
    void parent;
  });
  const order = [...count.keys()].sort((a, b) => count.get(b) * b.length - count.get(a) * a.length);
  const map = new Map();
  const gen = shortNames();
  for (const name of order) {
    let s;
    do s = gen.next().value;
    while (used.has(s) || KEYWORDS.has(s) || wanted.has(s));
    if (s.length >= name.length) continue;
    map.set(name, s);
  }
  walk(chunk, (n) => {
    if (n.type === 'MemberExpression' && map.has(n.identifier.name))
      n.identifier.name = map.get(n.identifier.name);
    else if (n.type === 'TableKeyString' && map.has(n.key.name)) n.key.name = map.get(n.key.name);
  });
  return map;
}

/** Gives the bundle's modules short names (table keys and require("…") arguments). */
function renameModules(chunk, liveMods) {
  const map = new Map();
  let i = 0;
  for (const m of liveMods) map.set(m, (i++).toString(36));
  const lit = (n) => {
    if (n && n.type === 'StringLiteral') {
      const v = JSON.parse(n.raw.replace(/^'(.*)'$/, '"$1"'));
      if (map.has(v)) {
        n.value = map.get(v);
        n.raw = JSON.stringify(map.get(v));
      }
    }
  };
  for (const f of findModulesTable(chunk).fields) lit(f.key);
  walk(chunk, (n) => {
    if (n.type === 'CallExpression' && n.base.type === 'Identifier' && n.base.name === 'require')
      lit(n.arguments[0]);
  });
}

/**
 * @param {string} source tstl bundle (Lua 5.1 syntax)
 * @param {{ entry: string, privateNames: string[] }} opts
 */
export function minifyLuaBundle(source, opts) {
  const chunk = luaparse.parse(source, { comments: false, scope: true });
  const skip = new Set((process.env.TIBILLET_LUA_MINIFY_SKIP ?? '').split(',')); // debugging: bisect the passes
  const shaken = shake(chunk, skip.has('shake') ? '*' : opts.entry);
  if (!skip.has('exports')) renameExports(shaken);
  if (!skip.has('self')) renameSelf(chunk);
  // tstl's class plumbing is only ever reached through static member names (checked: the lualib
  // never indexes with the strings "prototype", "____constructor" or "____super")
  const renamed = renameProperties(
    chunk,
    skip.has('props') ? [] : [...opts.privateNames, 'prototype', '____constructor', '____super'],
  );
  renameModules(chunk, shaken.live);
  return { code: `${luamin.minify(chunk)}\n`, modules: shaken.live.length, renamedProperties: renamed.size };
}
