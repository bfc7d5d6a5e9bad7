// The posting engine: applies a list of idempotent operations (each a set of postings) in order,
// inside the caller's transaction, holding the log lock. Set-based all the way: one read of the
// known operation ids, one read (FOR UPDATE) of the accounts involved, then multi-row INSERTs of
// operations, transfers and log entries, and ONE `UPDATE accounts ... FROM unnest(...)` applying
// each account's net delta with the no-overdraft guard in SQL. Balances are never written back
// from application memory: the in-memory copy only decides, per operation in order, whether it
// fits; the database applies deltas and refuses (and the transaction aborts) if a guard fails.
import { buf, num, type Tx } from '../db/connect.js';
import { chainEntries, lockLogHead, type LogHead, saveLogHead } from './log-append.js';
import {
  type AccountKey,
  type AssetAmount,
  LedgerError,
  type Operation,
  type OpResult,
  type Posting,
  type TransferRow,
  systemAllowsNegative,
} from './types.js';

interface Account {
  id: number;
  walletId: number | null;
  asset: string;
  balance: number;
  allowNegative: boolean;
}

const keyOf = (k: AccountKey, asset: string): string =>
  'wallet' in k ? `w${k.wallet}\u0000${asset}` : `s${k.system}\u0000${asset}`;

/** Large batches go through COPY on PostgreSQL; small ones through one multi-row INSERT. */
const COPY_THRESHOLD = 200;

export class PostingEngine {
  private readonly accounts = new Map<string, Account>();
  private readonly byWallet = new Map<number, Account[]>();

  private constructor(
    private readonly tx: Tx,
    readonly head: LogHead,
  ) {}

  /** Starts a ledger write: locks the log head (serialising all ledger writers). */
  static async begin(tx: Tx): Promise<PostingEngine> {
    return new PostingEngine(tx, await lockLogHead(tx));
  }

  /** Original results of operation ids already recorded, keyed by id. */
  async known(ids: string[]): Promise<Map<string, { bodyHash: Buffer; result: OpResult; kind: string }>> {
    const out = new Map<string, { bodyHash: Buffer; result: OpResult; kind: string }>();
    if (!ids.length) return out;
    const { rows } = await this.tx.query<{ id: string; body_hash: unknown; result: OpResult; kind: string }>(
      'SELECT id, body_hash, result, kind FROM operations WHERE id = ANY($1::text[])',
      [ids],
    );
    for (const r of rows) out.set(r.id, { bodyHash: buf(r.body_hash), result: r.result, kind: r.kind });
    return out;
  }

  /**
   * Applies ops in order. Returns one result per op. Ops whose id is already recorded return
   * `duplicate` (same body) or `rejected: idempotency-conflict` (other body) and change nothing.
   * A rejected op leaves no trace, so re-sending it later re-evaluates it.
   */
  async apply(ops: Operation[], knownIds?: Map<string, { bodyHash: Buffer; result: OpResult; kind: string }>): Promise<OpResult[]> {
    const known = knownIds ?? (await this.known(ops.map((o) => o.id)));
    const results: OpResult[] = new Array(ops.length);
    const fresh: number[] = [];
    const seenInCall = new Map<string, Operation>();
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      const prior = known.get(op.id);
      const sibling = seenInCall.get(op.id);
      if (prior || sibling) {
        const same = prior ? prior.bodyHash.equals(op.bodyHash) : sibling!.bodyHash.equals(op.bodyHash);
        results[i] = same
          ? { ...(prior?.result ?? { id: op.id }), id: op.id, status: 'duplicate', original: 'applied' }
          : { id: op.id, status: 'rejected', reason: 'idempotency-conflict' };
        // A sibling may still be rejected below; its duplicate is fixed up after.
        continue;
      }
      seenInCall.set(op.id, op);
      fresh.push(i);
    }
    await this.loadAccounts(fresh.map((i) => ops[i]));

    const transfers: TransferRow[] = [];
    const applied: { op: Operation; result: OpResult }[] = [];
    const deltas = new Map<number, number>();
    let seq = this.head.seq;
    for (const i of fresh) {
      const op = ops[i];
      const r = this.post(op, seq);
      results[i] = r.result;
      if (r.result.status !== 'applied') {
        seenInCall.delete(op.id);
        continue;
      }
      for (const t of r.transfers) {
        deltas.set(t.debit, (deltas.get(t.debit) ?? 0) - t.amount);
        deltas.set(t.credit, (deltas.get(t.credit) ?? 0) + t.amount);
        transfers.push(t);
      }
      seq += r.transfers.length;
      applied.push({ op, result: r.result });
    }
    // In-call duplicates of an op that ended up rejected are re-evaluated as their own op would
    // be: simplest correct answer is to reject them too (the gateway re-sends).
    for (let i = 0; i < ops.length; i++) {
      if (results[i].status === 'duplicate' && !known.has(ops[i].id)) {
        const first = applied.find((a) => a.op.id === ops[i].id);
        results[i] = first
          ? { ...first.result, status: 'duplicate', original: 'applied' }
          : { id: ops[i].id, status: 'rejected', reason: 'bad-item', detail: 'repeated id of a rejected item' };
      }
    }
    await this.write(applied, transfers, deltas);
    return results;
  }

  /** Current balances of a wallet's accounts (as loaded and updated by this engine). */
  balances(walletId: number): AssetAmount[] {
    return (this.byWallet.get(walletId) ?? [])
      .map((a) => ({ asset: a.asset, amount: a.balance }))
      .sort((x, y) => (x.asset < y.asset ? -1 : x.asset > y.asset ? 1 : 0));
  }

  /** Loads (creating missing ones) and locks every account the ops touch, in id order. */
  async loadAccounts(ops: Operation[]): Promise<void> {
    const walletIds = new Set<number>();
    const systems = new Map<string, { system: string; asset: string }>();
    const wanted = new Map<string, { wallet: number | null; system: string | null; asset: string }>();
    const want = (k: AccountKey, asset: string) => {
      const key = keyOf(k, asset);
      if (this.accounts.has(key) || wanted.has(key)) return;
      if ('wallet' in k) {
        walletIds.add(k.wallet);
        wanted.set(key, { wallet: k.wallet, system: null, asset });
      } else {
        systems.set(key, { system: k.system, asset });
        wanted.set(key, { wallet: null, system: k.system, asset });
      }
    };
    for (const op of ops) {
      if (op.reportWallet !== undefined && !this.byWallet.has(op.reportWallet)) walletIds.add(op.reportWallet);
      for (const p of op.postings) {
        want(p.from, p.asset);
        want(p.to, p.asset);
        if (p.shortfallFrom) want(p.shortfallFrom, p.asset);
      }
    }
    if (!wanted.size && !walletIds.size) return;
    await this.selectAccounts([...walletIds].filter((w) => !this.byWallet.has(w)), [...systems.values()]);
    const missing = [...wanted.entries()].filter(([k]) => !this.accounts.has(k)).map(([, v]) => v);
    if (missing.length) {
      // Sorted so that two writers creating overlapping accounts take the index locks in one order.
      missing.sort((a, b) => (keyOf(a as never, a.asset) < keyOf(b as never, b.asset) ? -1 : 1));
      const { rows } = await this.tx.query<AccountRowDb>(
        `INSERT INTO accounts (wallet_id, system, asset, allow_negative)
         SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::bool[])
         ON CONFLICT DO NOTHING
         RETURNING id, wallet_id, system, asset, balance, allow_negative`,
        [
          missing.map((m) => m.wallet),
          missing.map((m) => m.system),
          missing.map((m) => m.asset),
          missing.map((m) => (m.system ? systemAllowsNegative(m.system) : false)),
        ],
      );
      for (const r of rows) this.remember(r);
      const still = missing.filter((m) => !this.accounts.has(keyOf(m.wallet !== null ? { wallet: m.wallet } : { system: m.system! }, m.asset)));
      if (still.length) {
        // Created by a concurrent writer that does not hold the log lock (cannot happen for
        // ledger writers); read them back locked.
        await this.selectAccounts(
          [...new Set(still.filter((m) => m.wallet !== null).map((m) => m.wallet!))],
          still.filter((m) => m.system).map((m) => ({ system: m.system!, asset: m.asset })),
        );
      }
    }
  }

  private async selectAccounts(walletIds: number[], systems: { system: string; asset: string }[]): Promise<void> {
    if (walletIds.length) {
      const { rows } = await this.tx.query<AccountRowDb>(
        `SELECT id, wallet_id, system, asset, balance, allow_negative FROM accounts
         WHERE wallet_id = ANY($1::int8[]) ORDER BY id FOR UPDATE`,
        [walletIds],
      );
      for (const w of walletIds) if (!this.byWallet.has(w)) this.byWallet.set(w, []);
      for (const r of rows) this.remember(r);
    }
    if (systems.length) {
      const { rows } = await this.tx.query<AccountRowDb>(
        `SELECT a.id, a.wallet_id, a.system, a.asset, a.balance, a.allow_negative
         FROM accounts a JOIN unnest($1::text[], $2::text[]) k(system, asset)
           ON a.system = k.system AND a.asset = k.asset
         ORDER BY a.id FOR UPDATE OF a`,
        [systems.map((s) => s.system), systems.map((s) => s.asset)],
      );
      for (const r of rows) this.remember(r);
    }
  }

  private remember(r: AccountRowDb): void {
    const walletId = r.wallet_id === null ? null : num(r.wallet_id);
    const a: Account = {
      id: num(r.id),
      walletId,
      asset: r.asset,
      balance: num(r.balance),
      allowNegative: r.allow_negative,
    };
    const key = keyOf(walletId !== null ? { wallet: walletId } : { system: r.system! }, r.asset);
    if (this.accounts.has(key)) return;
    this.accounts.set(key, a);
    if (walletId !== null) {
      const list = this.byWallet.get(walletId) ?? [];
      list.push(a);
      this.byWallet.set(walletId, list);
    }
  }

  private account(k: AccountKey, asset: string): Account {
    const a = this.accounts.get(keyOf(k, asset));
    if (!a) throw new Error(`account not loaded: ${keyOf(k, asset)}`);
    return a;
  }

  /** Decides one op against the in-memory balances; on success updates them. */
  private post(op: Operation, seqBefore: number): { result: OpResult; transfers: TransferRow[] } {
    const changes: { account: Account; delta: number }[] = [];
    const transfers: TransferRow[] = [];
    const shortfall: AssetAmount[] = [];
    const move = (from: Account, to: Account, p: Posting, amount: number, kind: string) => {
      changes.push({ account: from, delta: -amount }, { account: to, delta: amount });
      from.balance -= amount;
      to.balance += amount;
      transfers.push({
        seq: seqBefore + transfers.length + 1,
        idempotencyKey: `${op.id}#${transfers.length}`,
        operationId: op.id,
        debit: from.id,
        credit: to.id,
        asset: p.asset,
        amount,
        kind,
        venueId: op.venueId,
        at: op.at,
      });
    };
    const undo = () => {
      for (const c of changes) c.account.balance -= c.delta;
    };
    for (const p of op.postings) {
      if (!Number.isSafeInteger(p.amount) || p.amount <= 0) {
        undo();
        return { result: { id: op.id, status: 'rejected', reason: 'bad-item', detail: 'amount must be a positive integer' }, transfers: [] };
      }
      const from = this.account(p.from, p.asset);
      const to = this.account(p.to, p.asset);
      if (from.id === to.id) {
        undo();
        return { result: { id: op.id, status: 'rejected', reason: 'bad-item', detail: 'same account on both sides' }, transfers: [] };
      }
      const available = from.allowNegative ? p.amount : Math.max(0, from.balance);
      if (available >= p.amount) {
        move(from, to, p, p.amount, p.kind);
      } else if (p.shortfallFrom) {
        if (available > 0) move(from, to, p, available, p.kind);
        const stand = this.account(p.shortfallFrom, p.asset);
        move(stand, to, p, p.amount - available, 'standin');
        shortfall.push({ asset: p.asset, amount: p.amount - available });
      } else {
        undo();
        return {
          result: { id: op.id, status: 'rejected', reason: 'insufficient-funds', detail: `${p.asset}: ${from.balance} < ${p.amount}` },
          transfers: [],
        };
      }
    }
    const result: OpResult = { id: op.id, status: 'applied', ...(op.extra ?? {}) };
    if (op.reportWallet !== undefined) result.balances = this.balances(op.reportWallet);
    if (shortfall.length) result.shortfall = shortfall;
    result.seqs = transfers.map((t) => t.seq);
    return { result, transfers };
  }

  private async write(
    applied: { op: Operation; result: OpResult }[],
    transfers: TransferRow[],
    deltas: Map<number, number>,
  ): Promise<void> {
    if (!applied.length) return;
    const tx = this.tx;
    // Operations first: ON CONFLICT DO NOTHING + count check catches an id recorded by a writer
    // that bypassed the log lock; the whole transaction then aborts (nothing partial).
    let inserted: number;
    if (tx.copy && applied.length >= COPY_THRESHOLD) {
      // COPY cannot skip conflicts: a concurrent duplicate aborts the transaction (unique
      // violation), and withRetry re-runs the batch, which then sees the id as known.
      let o = '';
      for (const a of applied)
        o += `${copyText(a.op.id)}\t${a.op.venueId === null ? '\\N' : copyText(a.op.venueId)}\t${copyText(a.op.kind)}\t\\\\x${a.op.bodyHash.toString('hex')}\t${a.op.ref ? copyText(a.op.ref) : '\\N'}\t${copyText(JSON.stringify(a.result))}\n`;
      inserted = await tx.copy('COPY operations (id, venue_id, kind, body_hash, ref, result) FROM STDIN', o);
    } else {
      const ins = await tx.query(
        `INSERT INTO operations (id, venue_id, kind, body_hash, ref, result)
         SELECT id, venue, kind, decode(h, 'hex'), ref, r::jsonb
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) u(id, venue, kind, h, ref, r)
         ON CONFLICT DO NOTHING`,
        [
          applied.map((a) => a.op.id),
          applied.map((a) => a.op.venueId),
          applied.map((a) => a.op.kind),
          applied.map((a) => a.op.bodyHash.toString('hex')),
          applied.map((a) => a.op.ref ?? null),
          applied.map((a) => JSON.stringify(a.result)),
        ],
      );
      inserted = ins.count;
    }
    if (inserted !== applied.length) throw new LedgerError('idempotency-race', 'operation recorded concurrently', 409);

    const entries = chainEntries(this.head, transfers);
    const hashOf = new Map(applied.map((a) => [a.op.id, a.op.bodyHash.toString('hex')]));
    if (tx.copy && transfers.length >= COPY_THRESHOLD) {
      let t = '';
      for (const r of transfers) {
        t += `${r.seq}\t${copyText(r.idempotencyKey)}\t\\\\x${hashOf.get(r.operationId)}\t${r.debit}\t${r.credit}\t${copyText(r.asset)}\t${r.amount}\t${copyText(r.kind)}\t${r.venueId === null ? '\\N' : copyText(r.venueId)}\t${copyText(r.operationId)}\t${r.at}\n`;
      }
      await tx.copy(
        'COPY transfers (id, idempotency_key, body_hash, debit, credit, asset, amount, kind, venue_id, operation_id, at) FROM STDIN',
        t,
      );
      let l = '';
      for (const e of entries) l += `${e.seq}\t${e.seq}\t\\\\x${e.entryHash.toString('hex')}\t\\\\x${e.chainHash.toString('hex')}\n`;
      await tx.copy('COPY log_entries (seq, transfer_id, entry_hash, chain_hash) FROM STDIN', l);
    } else if (transfers.length) {
      await tx.query(
        `INSERT INTO transfers (id, idempotency_key, body_hash, debit, credit, asset, amount, kind, venue_id, operation_id, at)
         SELECT id, k, decode(h, 'hex'), d, c, a, amt, kind, v, o, at
         FROM unnest($1::int8[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::text[], $7::int8[], $8::text[], $9::text[], $10::text[], $11::int8[])
           u(id, k, h, d, c, a, amt, kind, v, o, at)`,
        [
          transfers.map((r) => r.seq),
          transfers.map((r) => r.idempotencyKey),
          transfers.map((r) => hashOf.get(r.operationId)),
          transfers.map((r) => r.debit),
          transfers.map((r) => r.credit),
          transfers.map((r) => r.asset),
          transfers.map((r) => r.amount),
          transfers.map((r) => r.kind),
          transfers.map((r) => r.venueId),
          transfers.map((r) => r.operationId),
          transfers.map((r) => r.at),
        ],
      );
      await tx.query(
        `INSERT INTO log_entries (seq, transfer_id, entry_hash, chain_hash)
         SELECT s, s, decode(e, 'hex'), decode(c, 'hex') FROM unnest($1::int8[], $2::text[], $3::text[]) u(s, e, c)`,
        [entries.map((e) => e.seq), entries.map((e) => e.entryHash.toString('hex')), entries.map((e) => e.chainHash.toString('hex'))],
      );
    }
    const ids = [...deltas.keys()].filter((id) => deltas.get(id) !== 0);
    if (ids.length) {
      // The guard re-checks the overdraft rule in SQL; a row it refuses is simply not updated and
      // the count mismatch aborts the whole transaction.
      const upd = await tx.query(
        `UPDATE accounts a SET balance = a.balance + d.delta
         FROM unnest($1::int8[], $2::int8[]) d(id, delta)
         WHERE a.id = d.id AND (a.allow_negative OR a.balance + d.delta >= 0)`,
        [ids, ids.map((id) => deltas.get(id))],
      );
      if (upd.count !== ids.length) throw new LedgerError('overdraft', 'balance guard refused a delta', 409);
    }
    await saveLogHead(tx, this.head);
  }
}

interface AccountRowDb {
  id: unknown;
  wallet_id: unknown;
  system: string | null;
  asset: string;
  balance: unknown;
  allow_negative: boolean;
}

/** COPY text format escaping for values we write (ids, asset codes, kinds). */
function copyText(s: string): string {
  return /[\\\t\n\r]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s;
}
