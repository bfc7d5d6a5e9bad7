// The posting engine: applies a list of idempotent operations (each a set of postings) in order,
// inside the caller's transaction, holding the log lock. Set-based all the way: one read of the
// known operation ids, one read of the accounts involved (no row locks needed: the log_head lock
// serialises ledger writers), then ONE `UPDATE accounts ... FROM unnest(...)` applying each
// account's net delta with the no-overdraft guard in SQL, and COPY (PostgreSQL, large batches) or
// multi-row INSERTs of operations and transfers (each with its log entry). On the COPY path the
// operations' rows are streamed to the server while the batch is posted, and the later statements
// are queued on the connection while JS builds the next payload. Balances are never written back
// from application memory: the in-memory copy only decides, per operation in order, whether it
// fits; the database applies deltas and refuses (and the transaction aborts) if a guard fails.
import { buf, num, type Tx } from '../db/connect.js';
import { CopyRows } from '../db/copy-rows.js';
import { textArray } from './cards.js';
import { chainEntries, type LogHead, lockLogHead, saveLogHead } from './log-append.js';
import {
  type AccountKey,
  type AssetAmount,
  LedgerError,
  type Operation,
  type OpResult,
  systemAllowsNegative,
  type TransferRow,
} from './types.js';

interface Account {
  id: number;
  walletId: number | null;
  asset: string;
  balance: number;
  allowNegative: boolean;
  /** Net change posted by this engine and not yet written (write() applies and resets it). */
  delta: number;
  /** In `touched` already. */
  listed: boolean;
}

const keyOf = (k: AccountKey, asset: string): string =>
  'wallet' in k ? `w${k.wallet}\u0000${asset}` : `s${k.system}\u0000${asset}`;

/** Large batches go through COPY on PostgreSQL; small ones through one multi-row INSERT. */
const COPY_THRESHOLD = 200;

export class PostingEngine {
  private readonly byWallet = new Map<number, Account[]>();
  /** Loaded accounts, indexed without building key strings: wallet → asset, system → asset. */
  private readonly walletAsset = new Map<number, Map<string, Account>>();
  private readonly systemAsset = new Map<string, Map<string, Account>>();
  /** Accounts with a pending delta, in first-touch order. */
  private readonly touched: Account[] = [];
  /** Debit and credit account of each transfer of the op being posted, in pairs. */
  private readonly moved: Account[] = [];

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
      [textArray(ids)],
    );
    for (const r of rows) out.set(r.id, { bodyHash: buf(r.body_hash), result: r.result, kind: r.kind });
    return out;
  }

  /**
   * Applies ops in order. Returns one result per op. Ops whose id is already recorded return
   * `duplicate` (same body) or `rejected: idempotency-conflict` (other body) and change nothing.
   * A rejected op leaves no trace, so re-sending it later re-evaluates it.
   */
  async apply(
    ops: Operation[],
    knownIds?: Map<string, { bodyHash: Buffer; result: OpResult; kind: string }>,
  ): Promise<OpResult[]> {
    const known = knownIds ?? (await this.known(ops.map((o) => o.id)));
    const results: OpResult[] = new Array(ops.length);
    const fresh: number[] = [];
    const seenInCall = new Map<string, Operation>();
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      const prior = known.get(op.id);
      const sibling = seenInCall.get(op.id);
      if (prior || sibling) {
        const same = hexOf(prior ? prior.bodyHash : sibling!.bodyHash) === hexOf(op.bodyHash);
        results[i] = same
          ? { ...(prior?.result ?? { id: op.id }), id: op.id, status: 'duplicate', original: 'applied' }
          : { id: op.id, status: 'rejected', reason: 'idempotency-conflict' };
        // A sibling may still be rejected below; its duplicate is fixed up after.
        continue;
      }
      seenInCall.set(op.id, op);
      fresh.push(i);
    }
    await this.loadAccounts(fresh.length === ops.length ? ops : fresh.map((i) => ops[i]));

    const transfers: TransferRow[] = [];
    const applied: { op: Operation; result: OpResult }[] = [];
    let seq = this.head.seq;
    const postRange = (from: number, to: number): void => {
      for (let k = from; k < to; k++) {
        const i = fresh[k];
        const op = ops[i];
        const result = this.post(op, seq, transfers);
        results[i] = result;
        if (result.status !== 'applied') {
          seenInCall.delete(op.id);
          continue;
        }
        seq = transfers.length ? transfers[transfers.length - 1].seq : seq;
        applied.push({ op, result });
      }
    };
    // Large batches on PostgreSQL: the operations' COPY starts before posting and receives each
    // slice's rows as soon as they are posted, so the server ingests them while JS posts the next
    // slice (posted first and written after, the server sat idle through the posting).
    const escaper = new CopyEscaper();
    const streamOps = this.tx.copy !== null && fresh.length >= COPY_THRESHOLD;
    if (streamOps) {
      async function* postedRows(): AsyncGenerator<Uint8Array> {
        for (let from = 0; from < fresh.length; from += SLICE) {
          const first = applied.length;
          postRange(from, Math.min(fresh.length, from + SLICE));
          if (applied.length > first) yield operationRows(applied, first, escaper);
          await yieldToIo();
        }
      }
      checkRecorded(await this.tx.copy!(OPERATIONS_COPY, postedRows()), applied.length);
    } else postRange(0, fresh.length);
    // In-call duplicates of an op that ended up rejected are re-evaluated as their own op would
    // be: simplest correct answer is to reject them too (the gateway re-sends).
    if (fresh.length !== ops.length) {
      const appliedById = new Map(applied.map((a) => [a.op.id, a]));
      for (let i = 0; i < ops.length; i++) {
        if (results[i].status === 'duplicate' && !known.has(ops[i].id)) {
          const first = appliedById.get(ops[i].id);
          results[i] = first
            ? { ...first.result, status: 'duplicate', original: 'applied' }
            : {
                id: ops[i].id,
                status: 'rejected',
                reason: 'bad-item',
                detail: 'repeated id of a rejected item',
              };
        }
      }
    }
    const deltas = new Map<number, number>();
    for (const a of this.touched) {
      if (a.delta !== 0) deltas.set(a.id, a.delta);
      a.delta = 0;
      a.listed = false;
    }
    this.touched.length = 0;
    await this.write(applied, transfers, deltas, escaper, streamOps);
    return results;
  }

  /**
   * Accounts read by the caller (same columns as the engine's own reads, under the log lock), and
   * wallets whose accounts are all among them: apply() does not read those again.
   */
  preload(rows: AccountRowDb[], walletIds: Iterable<number>): void {
    for (const w of walletIds) if (!this.byWallet.has(w)) this.byWallet.set(w, []);
    for (const r of rows) this.remember(r);
  }

  /** Current balances of a wallet's accounts (as loaded and updated by this engine). */
  balances(walletId: number): AssetAmount[] {
    const list = this.byWallet.get(walletId);
    if (!list) return [];
    if (list.length === 1) return [{ asset: list[0].asset, amount: list[0].balance }];
    return list
      .map((a) => ({ asset: a.asset, amount: a.balance }))
      .sort((x, y) => (x.asset < y.asset ? -1 : x.asset > y.asset ? 1 : 0));
  }

  /**
   * Loads (creating missing ones) every account the ops touch. No row locks: every ledger writer
   * holds the log_head lock (begin) before reading balances, so the rows read here cannot change
   * before this transaction commits; the UPDATE in write() applies deltas in SQL with the
   * overdraft guard anyway (and the accounts_no_overdraft CHECK backs it).
   */
  async loadAccounts(ops: Operation[]): Promise<void> {
    const walletIds = new Set<number>();
    const systems = new Map<string, { system: string; asset: string }>();
    const wanted = new Map<string, { wallet: number | null; system: string | null; asset: string }>();
    const want = (k: AccountKey, asset: string) => {
      if (this.find(k, asset)) return;
      const key = keyOf(k, asset);
      if (wanted.has(key)) return;
      if ('wallet' in k) {
        walletIds.add(k.wallet);
        wanted.set(key, { wallet: k.wallet, system: null, asset });
      } else {
        systems.set(key, { system: k.system, asset });
        wanted.set(key, { wallet: null, system: k.system, asset });
      }
    };
    for (const op of ops) {
      if (op.reportWallet !== undefined && !this.byWallet.has(op.reportWallet))
        walletIds.add(op.reportWallet);
      for (const p of op.postings) {
        want(p.from, p.asset);
        want(p.to, p.asset);
        if (p.shortfallFrom) want(p.shortfallFrom, p.asset);
      }
    }
    if (!wanted.size && !walletIds.size) return;
    await this.selectAccounts(
      [...walletIds].filter((w) => !this.byWallet.has(w)),
      [...systems.values()],
    );
    const keyFor = (m: { wallet: number | null; system: string | null }): AccountKey =>
      m.wallet !== null ? { wallet: m.wallet } : { system: m.system! };
    const missing = [...wanted.values()].filter((m) => !this.find(keyFor(m), m.asset));
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
      const still = missing.filter((m) => !this.find(keyFor(m), m.asset));
      if (still.length) {
        // Created by a concurrent writer that does not hold the log lock (cannot happen for
        // ledger writers); read them back.
        await this.selectAccounts(
          [...new Set(still.filter((m) => m.wallet !== null).map((m) => m.wallet!))],
          still.filter((m) => m.system).map((m) => ({ system: m.system!, asset: m.asset })),
        );
      }
    }
  }

  private async selectAccounts(
    walletIds: number[],
    systems: { system: string; asset: string }[],
  ): Promise<void> {
    if (walletIds.length) {
      const { rows } = await this.tx.query<AccountRowDb>(
        `SELECT id, wallet_id, system, asset, balance, allow_negative FROM accounts
         WHERE wallet_id = ANY($1::int8[]) ORDER BY id`,
        [int8Array(walletIds)],
      );
      for (const w of walletIds) if (!this.byWallet.has(w)) this.byWallet.set(w, []);
      for (const r of rows) this.remember(r);
    }
    if (systems.length) {
      const { rows } = await this.tx.query<AccountRowDb>(
        `SELECT a.id, a.wallet_id, a.system, a.asset, a.balance, a.allow_negative
         FROM accounts a JOIN unnest($1::text[], $2::text[]) k(system, asset)
           ON a.system = k.system AND a.asset = k.asset
         ORDER BY a.id`,
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
      delta: 0,
      listed: false,
    };
    if (this.find(walletId !== null ? { wallet: walletId } : { system: r.system! }, r.asset)) return;
    const index = walletId !== null ? this.walletAsset : this.systemAsset;
    const owner = walletId !== null ? walletId : r.system!;
    let byAsset = (index as Map<number | string, Map<string, Account>>).get(owner);
    if (!byAsset) {
      byAsset = new Map();
      (index as Map<number | string, Map<string, Account>>).set(owner, byAsset);
    }
    byAsset.set(r.asset, a);
    if (walletId !== null) {
      const list = this.byWallet.get(walletId) ?? [];
      list.push(a);
      this.byWallet.set(walletId, list);
    }
  }

  private find(k: AccountKey, asset: string): Account | undefined {
    return 'wallet' in k
      ? this.walletAsset.get(k.wallet)?.get(asset)
      : this.systemAsset.get(k.system)?.get(asset);
  }

  private account(k: AccountKey, asset: string): Account {
    const a = this.find(k, asset);
    if (!a) throw new Error(`account not loaded: ${keyOf(k, asset)}`);
    return a;
  }

  /** Moves amount from → to in memory and records the transfer (numbered after `out`'s last). */
  private move(
    op: Operation,
    from: Account,
    to: Account,
    asset: string,
    amount: number,
    kind: string,
    n: number,
    seq: number,
    out: TransferRow[],
  ): void {
    from.balance -= amount;
    to.balance += amount;
    this.moved.push(from, to);
    out.push({
      seq,
      idempotencyKey: `${op.id}#${n}`,
      operationId: op.id,
      debit: from.id,
      credit: to.id,
      asset,
      amount,
      kind,
      venueId: op.venueId,
      at: op.at,
    });
  }

  /**
   * Decides one op against the in-memory balances. Applied: balances updated, its transfers
   * appended to `out` (numbered from seqBefore + 1), deltas recorded. Rejected: nothing changed.
   */
  private post(op: Operation, seqBefore: number, out: TransferRow[]): OpResult {
    const start = out.length;
    this.moved.length = 0;
    let shortfall: AssetAmount[] | undefined;
    let rejected: OpResult | undefined;
    for (const p of op.postings) {
      if (!Number.isSafeInteger(p.amount) || p.amount <= 0) {
        rejected = {
          id: op.id,
          status: 'rejected',
          reason: 'bad-item',
          detail: 'amount must be a positive integer',
        };
        break;
      }
      const from = this.account(p.from, p.asset);
      const to = this.account(p.to, p.asset);
      if (from.id === to.id) {
        rejected = {
          id: op.id,
          status: 'rejected',
          reason: 'bad-item',
          detail: 'same account on both sides',
        };
        break;
      }
      const available = from.allowNegative ? p.amount : Math.max(0, from.balance);
      const n = out.length - start;
      if (available >= p.amount) {
        this.move(op, from, to, p.asset, p.amount, p.kind, n, seqBefore + n + 1, out);
      } else if (p.shortfallFrom) {
        let k = n;
        if (available > 0) {
          this.move(op, from, to, p.asset, available, p.kind, k, seqBefore + k + 1, out);
          k++;
        }
        const stand = this.account(p.shortfallFrom, p.asset);
        this.move(op, stand, to, p.asset, p.amount - available, 'standin', k, seqBefore + k + 1, out);
        shortfall ??= [];
        shortfall.push({ asset: p.asset, amount: p.amount - available });
      } else {
        this.undo(out, start);
        return {
          id: op.id,
          status: 'rejected',
          reason: 'insufficient-funds',
          detail: `${p.asset}: ${from.balance} < ${p.amount}`,
        };
      }
    }
    if (rejected) {
      this.undo(out, start);
      return rejected;
    }
    const moved = this.moved;
    for (let i = start; i < out.length; i++) {
      const amount = out[i].amount;
      this.touch(moved[2 * (i - start)], -amount);
      this.touch(moved[2 * (i - start) + 1], amount);
    }
    const result: OpResult = op.extra
      ? { id: op.id, status: 'applied', ...op.extra }
      : { id: op.id, status: 'applied' };
    if (op.reportWallet !== undefined) result.balances = this.balances(op.reportWallet);
    if (shortfall) result.shortfall = shortfall;
    const seqs: number[] = new Array(out.length - start);
    for (let i = start; i < out.length; i++) seqs[i - start] = out[i].seq;
    result.seqs = seqs;
    return result;
  }

  /** Reverts the in-memory moves of out[start..] and drops them. */
  private undo(out: TransferRow[], start: number): void {
    const moved = this.moved;
    for (let i = out.length - 1; i >= start; i--) {
      const amount = out[i].amount;
      moved[2 * (i - start)].balance += amount;
      moved[2 * (i - start) + 1].balance -= amount;
    }
    out.length = start;
    moved.length = 0;
  }

  private touch(a: Account, amount: number): void {
    if (!a.listed) {
      a.listed = true;
      this.touched.push(a);
    }
    a.delta += amount;
  }

  /** Writes balances, operations (unless already copied while posting), transfers and log head. */
  private async write(
    applied: { op: Operation; result: OpResult }[],
    transfers: TransferRow[],
    deltas: Map<number, number>,
    few: CopyEscaper,
    operationsWritten: boolean,
  ): Promise<void> {
    if (!applied.length) return;
    const tx = this.tx;
    // The statements run one after the other on the connection (a chain of promises) while JS
    // builds the next payloads in slices, yielding between them: a COPY only starts moving once
    // the server has answered its CopyInResponse and the socket drained, and both need the event
    // loop. Built in one go, the next payload held the previous COPY still for its whole length.
    let chain: Promise<unknown> = Promise.resolve();
    const run = (start: () => Promise<unknown>): void => {
      chain = chain.then(start);
      chain.catch(() => {});
    };

    const ids: number[] = [];
    const amounts: number[] = [];
    for (const [id, d] of deltas)
      if (d !== 0) {
        ids.push(id);
        amounts.push(d);
      }
    if (ids.length) {
      // The guard re-checks the overdraft rule in SQL; a row it refuses is simply not updated and
      // the count mismatch aborts the whole transaction.
      run(async () => {
        const upd = await tx.query(
          `UPDATE accounts a SET balance = a.balance + d.delta
           FROM unnest($1::int8[], $2::int8[]) d(id, delta)
           WHERE a.id = d.id AND (a.allow_negative OR a.balance + d.delta >= 0)`,
          [int8Array(ids), int8Array(amounts)],
        );
        if (upd.count !== ids.length)
          throw new LedgerError('overdraft', 'balance guard refused a delta', 409);
      });
    }

    // Operations: ON CONFLICT DO NOTHING + count check (or COPY's unique violation) catches an id
    // recorded by a writer that bypassed the log lock, or a replayed id on the caller's
    // no-look-up first attempt; the whole transaction then aborts (nothing partial).
    if (!operationsWritten) {
      const params = [
        applied.map((a) => a.op.id),
        applied.map((a) => a.op.venueId),
        applied.map((a) => a.op.kind),
        applied.map((a) => hexOf(a.op.bodyHash)),
        applied.map((a) => a.op.ref ?? null),
        applied.map((a) => JSON.stringify(a.result)),
      ];
      run(async () => {
        const r = await tx.query(
          `INSERT INTO operations (id, venue_id, kind, body_hash, ref, result)
           SELECT id, venue, kind, decode(h, 'hex'), ref, r::json
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) u(id, venue, kind, h, ref, r)
           ON CONFLICT DO NOTHING`,
          params,
        );
        checkRecorded(r.count, applied.length);
      });
    }

    if (transfers.length) {
      if (tx.copy !== null && transfers.length >= COPY_THRESHOLD) {
        const t = new CopyRows(transfers.length * 240);
        for (let from = 0; from < transfers.length; from += SLICE) {
          const slice = transfers.slice(from, from + SLICE);
          const entries = chainEntries(this.head, slice);
          for (let i = 0; i < slice.length; i++) {
            const r = slice[i];
            const e = entries[i];
            t.push(
              `${r.seq}\t${copyText(r.idempotencyKey)}\t${r.debit}\t${r.credit}\t${few.get(r.asset)}\t${r.amount}\t${few.get(r.kind)}\t${r.venueId === null ? '\\N' : few.get(r.venueId)}\t${copyText(r.operationId)}\t${r.at}\t\\\\x${e.entryHash}\t\\\\x${e.chainHash}\n`,
            );
          }
          await yieldToIo();
        }
        const data = t.bytes();
        run(() =>
          tx.copy!(
            'COPY transfers (id, idempotency_key, debit, credit, asset, amount, kind, venue_id, operation_id, at, entry_hash, chain_hash) FROM STDIN',
            data,
          ),
        );
      } else {
        const entries = chainEntries(this.head, transfers);
        const tParams = [
          transfers.map((r) => r.seq),
          transfers.map((r) => r.idempotencyKey),
          transfers.map((r) => r.debit),
          transfers.map((r) => r.credit),
          transfers.map((r) => r.asset),
          transfers.map((r) => r.amount),
          transfers.map((r) => r.kind),
          transfers.map((r) => r.venueId),
          transfers.map((r) => r.operationId),
          transfers.map((r) => r.at),
          entries.map((e) => e.entryHash),
          entries.map((e) => e.chainHash),
        ];
        run(() =>
          tx.query(
            `INSERT INTO transfers (id, idempotency_key, debit, credit, asset, amount, kind, venue_id, operation_id, at, entry_hash, chain_hash)
             SELECT id, k, d, c, a, n, kind, v, o, at, decode(e, 'hex'), decode(h, 'hex')
             FROM unnest($1::int8[], $2::text[], $3::int8[], $4::int8[], $5::text[], $6::int8[], $7::text[], $8::text[], $9::text[], $10::int8[], $11::text[], $12::text[])
               u(id, k, d, c, a, n, kind, v, o, at, e, h)`,
            tParams,
          ),
        );
      }
    }
    const head = { seq: this.head.seq, chainHash: this.head.chainHash };
    run(() => saveLogHead(tx, head));
    await chain;
  }
}

const OPERATIONS_COPY = 'COPY operations (id, venue_id, kind, body_hash, ref, result) FROM STDIN';

/** Every applied op got its operations row; fewer means an id was recorded meanwhile. */
function checkRecorded(inserted: number, applied: number): void {
  if (inserted !== applied) throw new LedgerError('idempotency-race', 'operation recorded concurrently', 409);
}

/** COPY text of the values that repeat on every row (venue ids, kinds, asset codes), escaped once. */
class CopyEscaper {
  private readonly escaped = new Map<string, string>();
  get(x: string): string {
    let e = this.escaped.get(x);
    if (e === undefined) {
      e = copyText(x);
      this.escaped.set(x, e);
    }
    return e;
  }
}

/** The operations rows of applied[from..] as COPY text bytes. */
function operationRows(
  applied: { op: Operation; result: OpResult }[],
  from: number,
  few: CopyEscaper,
): Uint8Array {
  const o = new CopyRows((applied.length - from) * 160);
  for (let i = from; i < applied.length; i++) {
    const { op, result } = applied[i];
    o.push(
      `${copyText(op.id)}\t${op.venueId === null ? '\\N' : few.get(op.venueId)}\t${few.get(op.kind)}\t\\\\x${hexOf(op.bodyHash)}\t${op.ref ? copyText(op.ref) : '\\N'}\t${copyText(JSON.stringify(result))}\n`,
    );
  }
  return o.bytes();
}

/** Rows built between two turns of the event loop while statements are in flight. */
const SLICE = 1000;
const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A body hash as hex (operations carry bytes or hex). */
const hexOf = (h: Buffer | string): string => (typeof h === 'string' ? h : h.toString('hex'));

/** int8[] parameter as an array literal (node-postgres would escape every element). */
const int8Array = (xs: number[]): string => `{${xs.join(',')}}`;

export interface AccountRowDb {
  id: unknown;
  wallet_id: unknown;
  system: string | null;
  asset: string;
  balance: unknown;
  allow_negative: boolean;
}

/** COPY text format escaping for values we write (ids, asset codes, kinds). */
function copyText(s: string): string {
  return /[\\\t\n\r]/.test(s)
    ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : s;
}
