// typescript-to-lua plugin: make luaTarget "JIT" output run on plain Lua 5.1 (NodeMCU).
// "JIT" is the target whose bitwise operators become bit.band/bor/bxor/lshift/rshift (NodeMCU's
// `bit` module, LuaBitOp on Debian), but it turns `continue` into `goto`, which Lua 5.1 lacks.
// Here `continue` is emitted as tstl does for 5.1 (a repeat … until true block left with break).
const ts = require('typescript');
const lua = require('typescript-to-lua');
const scope = require('typescript-to-lua/dist/transformation/utils/scope');

// Also: `new Error(msg)` becomes the message string itself, so `throw new Error(msg)` is
// `error(msg, 0)` and lualib's Error class hierarchy (~2 KB) stays out of the bundle; what a
// `catch` gets is then the message (the core only ever turns it into text with String()).
module.exports = {
  visitors: {
    [ts.SyntaxKind.NewExpression]: (node, context) => {
      if (ts.isIdentifier(node.expression) && node.expression.text === 'Error') {
        const args = node.arguments || [];
        return args.length > 0 ? context.transformExpression(args[0]) : lua.createStringLiteral('Error');
      }
      return context.superTransformExpression(node);
    },
    [ts.SyntaxKind.ContinueStatement]: (node, context) => {
      if (context.luaTarget !== lua.LuaTarget.LuaJIT) return context.superTransformStatements(node);
      const loop = scope.findScope(context, scope.ScopeType.Loop);
      if (loop) loop.loopContinued = scope.LoopContinued.WithRepeatBreak;
      const label = `__continue${loop ? loop.id : ''}`;
      return [
        lua.createAssignmentStatement(lua.createIdentifier(label), lua.createBooleanLiteral(true), node),
        lua.createBreakStatement(node),
      ];
    },
  },
};
