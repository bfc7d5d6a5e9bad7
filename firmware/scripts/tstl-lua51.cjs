// typescript-to-lua plugin: make luaTarget "JIT" output run on plain Lua 5.1 (NodeMCU).
// "JIT" is the target whose bitwise operators become bit.band/bor/bxor/lshift/rshift (NodeMCU's
// `bit` module, LuaBitOp on Debian), but it turns `continue` into `goto`, which Lua 5.1 lacks.
// Here `continue` is emitted as tstl does for 5.1 (a repeat … until true block left with break).
const ts = require('typescript');
const lua = require('typescript-to-lua');
const scope = require('typescript-to-lua/dist/transformation/utils/scope');

module.exports = {
  visitors: {
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
