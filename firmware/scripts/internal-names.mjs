// Member names of the Espruino build that only the build's own code ever sees, so terser may
// rename them (`mangle.properties.regex`) in every file of dist/espruino at once. Renaming is by
// name across all files, so a name qualifies only when the type checker proves every use internal:
// - it is declared as a member of a class, interface or type literal in an internal file;
// - every `x.name` resolves to declarations in internal files only (not the ES5 library, not
//   espruino.d.ts, not a boundary file, not an index signature);
// - every object literal key `{ name: … }` has a contextual type whose `name` is declared in an
//   internal file only (a literal typed `Json`, or untyped, keeps its keys);
// - it is never used as a member name in a string (`o["k"]`, `"k" in o`, hasOwnProperty("k"), or
//   any string of a file outside the build's own code), nor is it a member of a type that a
//   `for…in`, an `o[k]` with a computed k or a `k in o` walks, nor in a destructuring pattern.
// Boundary files hold what leaves the device or is stored across firmware versions: the wire
// protocol and its JSON (byte-identical on every target), the self-test report (the flash tool's
// contract) and the provisioning record / globals of the entry point.
// To see why a name is kept: WHY_RESERVED=name1,name2 node scripts/build-espruino.mjs
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';

const require = createRequire(import.meta.url);
const ts = require('typescript');

/**
 * @param {import('typescript').Program} program the Espruino build's program (parent nodes set)
 * @param {{ fw: string, internal: string[], boundary: string[] }} o folders (relative to `fw`)
 *   whose files are the build's own code, and files (relative to `fw`) that are boundaries there
 * @returns {string[]} sorted names that are safe to rename
 */
export function internalMemberNames(program, o) {
  const checker = program.getTypeChecker();
  const internalDirs = o.internal.map((d) => join(o.fw, d) + sep);
  const boundary = new Set(o.boundary.map((f) => join(o.fw, f)));
  /** The build's own code (boundary files included), as opposed to libraries and .d.ts files. */
  const isOwnCode = (sf) =>
    !sf.isDeclarationFile && internalDirs.some((d) => sf.fileName.split('/').join(sep).startsWith(d));
  const isInternalFile = (sf) => isOwnCode(sf) && !boundary.has(sf.fileName.split('/').join(sep));
  /** Declared only in internal files, or as class members of the build's own code. */
  const allInternal = (symbol) =>
    symbol !== undefined &&
    symbol.declarations !== undefined &&
    symbol.declarations.length > 0 &&
    symbol.declarations.every(
      (d) =>
        isInternalFile(d.getSourceFile()) ||
        (isOwnCode(d.getSourceFile()) && (ts.isClassLike(d.parent) || ts.isConstructorDeclaration(d.parent))),
    );

  const candidates = new Set();
  const reserved = new Set(['constructor', 'prototype', 'length', 'name']);
  const why = process.env.WHY_RESERVED ? process.env.WHY_RESERVED.split(',') : [];
  if (why.length) {
    const add = reserved.add.bind(reserved);
    reserved.add = (n) => {
      if (why.includes(n) && !reserved.has(n))
        console.error(
          'reserved',
          n,
          new Error().stack.split('\n')[2].trim(),
          currentNode && currentNode.getSourceFile().fileName + ':' + currentNode.getText().slice(0, 60),
        );
      return add(n);
    };
  }
  let currentNode;
  const nameOf = (n) =>
    n && (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n)) ? n.text : undefined;
  /** Every member name reachable in `type` (data that leaves the types: casts, for…in). */
  const reserveDeep = (type, seen = new Set(), depth = 0) => {
    if (type === undefined || seen.has(type) || depth > 8) return;
    seen.add(type);
    const parts = type.isUnion() || type.isIntersection() ? type.types : [type];
    for (const t of parts) {
      if (t !== type) reserveDeep(t, seen, depth + 1);
      for (const p of checker.getPropertiesOfType(t)) {
        reserved.add(p.name);
        if (allInternal(p)) reserveDeep(checker.getTypeOfSymbol(p), seen, depth + 1);
      }
      for (const info of checker.getIndexInfosOfType(t)) reserveDeep(info.type, seen, depth + 1);
      const args = checker.getTypeArguments?.(t);
      if (args) for (const a of args) reserveDeep(a, seen, depth + 1);
    }
  };
  const untyped = (type) => (type.flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any)) !== 0;
  /** The contextual type's member `name` is declared in internal files only. */
  const literalKeyInternal = (objLit, name) => {
    const ctx = checker.getContextualType(objLit);
    if (ctx === undefined) return false;
    const types = ctx.isUnion() ? ctx.types : [ctx];
    let found = false;
    for (const t of types) {
      const p = checker.getPropertyOfType(checker.getApparentType(t), name);
      if (p === undefined) {
        if (checker.getIndexInfosOfType(t).length > 0) return false; // lands in an index signature
        continue;
      }
      if (!allInternal(p)) return false;
      found = true;
    }
    return found;
  };

  for (const sf of program.getSourceFiles()) {
    const internal = isInternalFile(sf);
    const visit = (node) => {
      currentNode = node;
      // A string names a member only where it is used as one: `o["k"]`, `"k" in o`, hasOwnProperty("k").
      if (ts.isElementAccessExpression(node)) {
        const arg = node.argumentExpression;
        if (ts.isStringLiteralLike(arg) || ts.isNumericLiteral(arg)) reserved.add(arg.text);
        // o[k] with a computed k: any declared member of o's type may be reached (an array's
        // elements or an index signature's values are typed as usual)
        else {
          const t = checker.getTypeAtLocation(node.expression);
          if (!checker.isArrayLikeType(t))
            for (const p of checker.getPropertiesOfType(t)) reserved.add(p.name);
        }
      }
      if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.InKeyword) {
        if (ts.isStringLiteralLike(node.left)) reserved.add(node.left.text);
        else
          for (const p of checker.getPropertiesOfType(checker.getTypeAtLocation(node.right)))
            reserved.add(p.name);
      }
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        /^(?:hasOwnProperty|propertyIsEnumerable|defineProperty|getOwnPropertyDescriptor)$/.test(
          node.expression.name.text,
        )
      )
        for (const a of node.arguments) if (ts.isStringLiteralLike(a)) reserved.add(a.text);
      if (!internal && ts.isStringLiteralLike(node)) reserved.add(node.text);
      if (
        ts.isPropertySignature(node) ||
        ts.isMethodSignature(node) ||
        ts.isPropertyDeclaration(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isGetAccessorDeclaration(node) ||
        ts.isSetAccessorDeclaration(node) ||
        ts.isEnumMember(node) ||
        (ts.isParameter(node) && ts.isConstructorDeclaration(node.parent) && ts.getModifiers(node)?.length)
      ) {
        const n = nameOf(node.name);
        const inClass = ts.isClassLike(node.parent) || ts.isConstructorDeclaration(node.parent);
        if (n !== undefined) {
          // A boundary file's interfaces and type literals are its data; its classes' members are code.
          if ((internal || (inClass && isOwnCode(sf))) && !ts.isEnumMember(node)) candidates.add(n);
          else reserved.add(n);
        }
      }
      if (
        (ts.isPropertyAssignment(node) ||
          ts.isShorthandPropertyAssignment(node) ||
          ts.isMethodDeclaration(node)) &&
        ts.isObjectLiteralExpression(node.parent)
      ) {
        const n = nameOf(node.name);
        if (n !== undefined && !(internal && literalKeyInternal(node.parent, n))) reserved.add(n);
      }
      if (ts.isPropertyAccessExpression(node)) {
        const n = node.name.text;
        if (!isOwnCode(sf) || !allInternal(checker.getSymbolAtLocation(node.name))) reserved.add(n);
      }
      if (ts.isBindingElement(node)) {
        const n = nameOf(node.propertyName ?? node.name);
        if (n !== undefined) reserved.add(n);
      }
      if (ts.isForInStatement(node)) reserveDeep(checker.getTypeAtLocation(node.expression));
      if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
        // `x as unknown (as Json)`: x's data leaves the types; `u as T` from unknown: T is data read back.
        const from = checker.getTypeAtLocation(node.expression);
        const to = checker.getTypeAtLocation(node);
        if (untyped(to) || checker.getIndexInfosOfType(to).length > 0) reserveDeep(from);
        if (untyped(from)) reserveDeep(to);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return [...candidates].filter((n) => !reserved.has(n) && n.length > 1).sort();
}
