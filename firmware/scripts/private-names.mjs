// Names of private class members that a minifier may rename safely, for the Espruino (terser
// `mangle.properties.regex`) and Lua (scripts/lua-minify.mjs) bundles.
//
// Property renaming is by name across the whole bundle (`this.state` and `{ state: 1 }` alike), so
// a name is only safe when nothing else uses it: it must be declared `private`/`protected` in a
// class of the program, and never declared any other way anywhere in the program (interfaces,
// public members, object literals, the Espruino/NodeMCU .d.ts files, the ES5 lib: `write`, `length`,
// `push`…), nor appear as a string literal (dynamic access `o[k]`, `k in o`).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ts = require('typescript');

/**
 * @param {string} tsconfigPath
 * @param {import('typescript').Program} [built] the program of that tsconfig, when the caller has one
 * @returns {string[]} sorted names, safe to rename in a bundle built from `tsconfigPath`.
 */
export function privateMemberNames(tsconfigPath, built) {
  if (built !== undefined) return privateNamesOf(built);
  const cfg = ts.getParsedCommandLineOfConfigFile(
    tsconfigPath,
    {},
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
    host: ts.createCompilerHost(cfg.options, true), // setParentNodes
  });
  return privateNamesOf(program);
}

function privateNamesOf(program) {
  const priv = new Set();
  const other = new Set();
  const nameOf = (n) =>
    n && (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n) || ts.isPrivateIdentifier(n))
      ? n.text
      : undefined;
  const isPrivate = (node) =>
    (ts.getCombinedModifierFlags(node) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0;
  for (const sf of program.getSourceFiles()) {
    const visit = (node) => {
      if (ts.isStringLiteralLike(node)) other.add(node.text);
      if (
        (ts.isPropertyDeclaration(node) ||
          ts.isMethodDeclaration(node) ||
          ts.isGetAccessorDeclaration(node) ||
          ts.isSetAccessorDeclaration(node)) &&
        ts.isClassLike(node.parent)
      ) {
        const n = nameOf(node.name);
        if (n !== undefined) (isPrivate(node) ? priv : other).add(n);
      } else if (ts.isParameter(node) && ts.isConstructorDeclaration(node.parent)) {
        // constructor(private x) parameter properties
        const n = nameOf(node.name);
        if (n !== undefined && ts.getModifiers(node)?.length) (isPrivate(node) ? priv : other).add(n);
      } else if (
        ts.isPropertySignature(node) ||
        ts.isMethodSignature(node) ||
        ts.isPropertyAssignment(node) ||
        ts.isShorthandPropertyAssignment(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isEnumMember(node) ||
        ts.isPropertyDeclaration(node)
      ) {
        const n = nameOf(node.name);
        if (n !== undefined) other.add(n);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return [...priv].filter((n) => !other.has(n) && n.length > 1).sort();
}

/** A regex matching exactly `names` (for terser's mangle.properties.regex). */
export function exactNamesRegex(names) {
  return new RegExp(`^(?:${names.map((n) => n.replace(/[$]/g, '\\$')).join('|')})$`);
}
