/**
 * Counts what a script running in a node:vm context keeps alive, as Espruino would count its
 * variables: every object, every property / array element, every closure variable, and strings
 * by 12-character chunk (Espruino stores strings in 12-byte blocks, functions as source text).
 * A minified bundle keeps its state in closures (`!function(){…}()`), which no property walk
 * sees, so closure scopes are read through the inspector protocol (`[[Scopes]]` of each
 * function, the way DevTools shows them) and their values are brought back as real objects.
 * Only objects of the vm's realm are descended into: what the host lends the script (Espruino API
 * stand-ins, the MQTT client) counts as one variable and is not walked, so the test rig's own
 * recordings never count. Deterministic: same state, same count.
 */
import { Session } from 'node:inspector';
import vm from 'node:vm';

interface RemoteObject {
  type: string;
  value?: unknown;
  objectId?: string;
  unserializableValue?: string;
}
interface PropertyDescriptor {
  name: string;
  value?: RemoteObject;
}
interface InternalProperty {
  name: string;
  value?: RemoteObject;
}

export interface WalkCount {
  /** The Espruino-like variable count. */
  variables: number;
  /** Distinct objects (including arrays and functions) of the script's realm reached. */
  objects: number;
  /** Distinct closure scopes read. */
  scopes: number;
}

export class ClosureWalker {
  private readonly session = new Session();
  private readonly ctxObjectProto: object;
  private readonly lent = new Set<unknown>();

  /** `lent`: values the host put in the context (never walked); the context's own built-ins are skipped too. */
  constructor(
    private readonly context: vm.Context,
    lent: unknown[],
  ) {
    this.session.connect();
    this.ctxObjectProto = vm.runInContext('Object.prototype', context) as object;
    for (const v of lent) this.lent.add(v);
    // Built-ins of the vm realm: constant, and not the bundle's.
    const builtins = vm.runInContext(
      `(function (g) { var out = []; var names = Object.getOwnPropertyNames(g);
         for (var i = 0; i < names.length; i++) { var d = Object.getOwnPropertyDescriptor(g, names[i]);
           if (d && !d.enumerable && 'value' in d && d.value !== g) out.push(d.value); }
         return out; })(this)`,
      context,
    ) as unknown[];
    for (const b of builtins) this.addBuiltin(b);
  }

  /** A built-in constructor / namespace and what hangs off it (prototypes, static methods). */
  private addBuiltin(v: unknown): void {
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || this.lent.has(v)) return;
    this.lent.add(v);
    for (const name of Object.getOwnPropertyNames(v)) {
      const d = Object.getOwnPropertyDescriptor(v, name);
      if (d && 'value' in d && (typeof d.value === 'function' || name === 'prototype'))
        this.addBuiltin(d.value);
    }
  }

  close(): void {
    this.session.disconnect();
  }

  private post<T>(method: string, params: object): T {
    let out: T | undefined;
    let failure: Error | null = null;
    // In-process sessions dispatch synchronously: the callback has run when post returns.
    this.session.post(method, params, (err, res) => {
      failure = err;
      out = res as T;
    });
    if (failure) throw failure;
    if (out === undefined) throw new Error(`inspector ${method}: no synchronous answer`);
    return out;
  }

  /** The real value behind a RemoteObject. */
  private materialize(r: RemoteObject): unknown {
    if (r.objectId === undefined)
      return r.unserializableValue !== undefined ? Number(r.unserializableValue) : r.value;
    const g = globalThis as { __tbWalkValue?: unknown };
    this.post('Runtime.callFunctionOn', {
      objectId: r.objectId,
      functionDeclaration: 'function () { globalThis.__tbWalkValue = this; }',
    });
    const v = g.__tbWalkValue;
    g.__tbWalkValue = undefined;
    return v;
  }

  /** Closure variables of a function: (name, value) of every non-global scope. */
  private scopesOf(fn: unknown): { key: string; values: unknown[] }[] {
    const g = globalThis as { __tbWalkFn?: unknown };
    g.__tbWalkFn = fn;
    const fnRef = this.post<{ result: RemoteObject }>('Runtime.evaluate', {
      expression: 'globalThis.__tbWalkFn',
    });
    g.__tbWalkFn = undefined;
    const props = this.post<{ internalProperties?: InternalProperty[] }>('Runtime.getProperties', {
      objectId: fnRef.result.objectId,
      ownProperties: true,
    });
    const scopesRef = (props.internalProperties ?? []).find((p) => p.name === '[[Scopes]]');
    if (scopesRef?.value?.objectId === undefined) return [];
    const list = this.post<{ result: PropertyDescriptor[] }>('Runtime.getProperties', {
      objectId: scopesRef.value.objectId,
      ownProperties: true,
    });
    const out: { key: string; values: unknown[] }[] = [];
    for (const s of list.result) {
      if (!/^\d+$/.test(s.name) || s.value?.objectId === undefined) continue;
      const scope = this.post<{ internalProperties?: InternalProperty[]; result: PropertyDescriptor[] }>(
        'Runtime.getProperties',
        { objectId: s.value.objectId, ownProperties: true },
      );
      const kind = (s.value as { description?: string }).description ?? '';
      if (kind === 'Global') continue; // the context global is walked as a root
      // Scope contents through its object: `result` lists name → value of each variable.
      const obj = this.post<{ result: PropertyDescriptor[] }>('Runtime.getProperties', {
        objectId: (scope.result.find((p) => p.name === 'object')?.value?.objectId ??
          s.value.objectId) as string,
        ownProperties: true,
      });
      const names: string[] = [];
      const values: unknown[] = [];
      for (const p of obj.result) {
        if (p.value === undefined) continue;
        names.push(p.name);
        values.push(this.materialize(p.value));
      }
      out.push({ key: names.join(','), values });
    }
    return out;
  }

  /** The closure variables a function sees (innermost scope first wins), as real values. */
  closureVariables(fn: unknown): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const s of this.scopesOf(fn)) {
      const names = s.key === '' ? [] : s.key.split(',');
      names.forEach((n, i) => {
        if (!(n in out)) out[n] = s.values[i];
      });
    }
    return out;
  }

  /** Walks from the context's global (own enumerable properties: what the script defined) and `roots`. */
  count(roots: unknown[]): WalkCount {
    const seen = new Set<unknown>();
    const scopeKeys = new Set<string>();
    const ids = new Map<unknown, number>();
    let variables = 0;
    let objects = 0;
    const idOf = (v: unknown) => {
      let id = ids.get(v);
      if (id === undefined) {
        id = ids.size;
        ids.set(v, id);
      }
      return id;
    };
    const stack: unknown[] = [];
    const visit = (v: unknown) => {
      variables++;
      if (typeof v === 'string') variables += Math.floor(v.length / 12);
      if ((typeof v === 'object' || typeof v === 'function') && v !== null && !seen.has(v)) {
        seen.add(v);
        if (!this.lent.has(v) && Object.prototype.isPrototypeOf.call(this.ctxObjectProto, v)) stack.push(v);
      }
    };
    const g = vm.runInContext('this', this.context) as Record<string, unknown>;
    for (const k of Object.keys(g)) if (!this.lent.has(g[k])) visit(g[k]);
    for (const r of roots) visit(r);
    while (stack.length > 0) {
      const o = stack.pop() as object;
      objects++;
      for (const name of Object.getOwnPropertyNames(o)) {
        const d = Object.getOwnPropertyDescriptor(o, name);
        if (d && 'value' in d) visit(d.value);
      }
      if (typeof o === 'function') {
        for (const s of this.scopesOf(o)) {
          const key = `${s.key}|${s.values.map((v) => ((typeof v === 'object' || typeof v === 'function') && v !== null ? `#${idOf(v)}` : String(v))).join(',')}`;
          if (scopeKeys.has(key)) continue;
          scopeKeys.add(key);
          for (const v of s.values) visit(v);
        }
      }
    }
    return { variables, objects, scopes: scopeKeys.size };
  }
}
