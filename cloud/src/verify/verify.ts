// Offline verification of a transparency log export (or of a log downloaded over HTTP into the
// same shape): hash chain, Merkle roots against the signed checkpoints, log-key signatures and
// witness cosignatures, a replay of every transfer (Σ = 0 per asset, no negative balance outside
// the negative-allowed system accounts), and optionally one card's history with its inclusion
// proofs. One pass over the entries, which may be streamed (`verifyLog`): a log larger than memory
// holds is verified with its Merkle levels (~64 bytes an entry), the balances and one card's lines
// in memory, never the entries themselves. Pure: no I/O except through the optional callbacks.
import { createHash } from 'node:crypto';
import { chainHash, entryBytes, GENESIS, type PublicLogEntry } from '../transparency/chain.js';
import {
  type SignedCheckpoint,
  verifyCheckpointSignature,
  verifyCosignature,
} from '../transparency/checkpoint.js';
import { keyIdOf } from '../transparency/ed25519.js';
import { leafHash, MerkleLog, verifyConsistency, verifyInclusion } from '../transparency/merkle.js';

export const EXPORT_FORMAT = 'tibillet-log-export/v1';

export interface LogExport extends LogHead {
  entries: PublicLogEntry[];
}

/** Everything of an export but its entries: what a verifier needs before it reads them. */
export interface LogHead {
  format: string;
  origin: string;
  size: number;
  logKeys: { keyId: string; publicKey: string; active?: boolean }[];
  witnesses: { keyId: string; venueId: string; gatewayId?: string; publicKey: string }[];
  systemAccounts: { account: string; system: string; asset: string; allowNegative: boolean }[];
  checkpoints: SignedCheckpoint[];
  /** Optional card → pseudonymous account ids (export-log --card). */
  cards?: Record<string, string[]>;
}

export interface Issue {
  check: 'format' | 'chain' | 'merkle' | 'signature' | 'cosignature' | 'balance' | 'consistency' | 'card';
  message: string;
  /** The first bad entry, when one can be named. */
  seq?: number;
  treeSize?: number;
}

export interface CardLine {
  seq: number;
  at: number;
  kind: string;
  asset: string;
  /** Signed from the card's point of view. */
  amount: number;
  balance: number;
  /** 'verified' against the latest signed checkpoint, or 'pending' (after it). */
  proof: 'verified' | 'pending' | 'failed';
}

export interface VerifyReport {
  ok: boolean;
  issues: Issue[];
  warnings: string[];
  entries: number;
  checkpoints: number;
  cosignatures: number;
  latest: { treeSize: number; rootHash: string; timestamp: number } | null;
  /** Σ per asset after replay (all 0 on a good log). */
  sums: Record<string, number>;
  accounts: number;
  card?: { uid: string; accounts: string[]; lines: CardLine[]; balances: Record<string, number> };
}

export interface VerifyOptions {
  /** Pinned log public key (hex): checkpoints must be signed by it. */
  logKey?: string;
  /** A checkpoint verified earlier (e.g. last run): the log must extend it. */
  trusted?: { treeSize: number; rootHash: string };
  card?: { uid: string; accounts: string[] };
  /** Fetches an inclusion proof from the log server (HTTP mode); default: computed locally. */
  inclusionProof?: (index: number, treeSize: number) => Promise<string[]>;
  /** Fetches a consistency proof from the log server (HTTP mode), checked between checkpoints. */
  consistencyProof?: (first: number, second: number) => Promise<string[]>;
  /** Stop after this many issues (default 20). */
  maxIssues?: number;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export async function verifyExport(exp: LogExport, opts: VerifyOptions = {}): Promise<VerifyReport> {
  return verifyLog(exp, Array.isArray(exp?.entries) ? exp.entries : null, opts);
}

/**
 * Verifies a log read entry by entry (`entries` may be an async stream: a file read line by line,
 * pages downloaded one after the other). `null` entries: not an export (format issue).
 */
export async function verifyLog(
  exp: LogHead,
  entries: Iterable<PublicLogEntry> | AsyncIterable<PublicLogEntry> | null,
  opts: VerifyOptions = {},
): Promise<VerifyReport> {
  const max = opts.maxIssues ?? 20;
  // Issues are listed check by check (chain, checkpoints, consistency, balances, card) although
  // the single pass finds chain, balance and card issues together.
  const found = {
    chain: [] as Issue[],
    checkpoints: [] as Issue[],
    balances: [] as Issue[],
    card: [] as Issue[],
  };
  const reporter = (list: Issue[]) => (i: Issue) => {
    if (list.length < max) list.push(i);
  };
  const issues = (): Issue[] =>
    [...found.chain, ...found.checkpoints, ...found.balances, ...found.card].slice(0, max);
  const warnings: string[] = [];
  let count = 0;
  const result = (extra: Partial<VerifyReport> = {}): VerifyReport => {
    const all = issues();
    return {
      ok: all.length === 0,
      issues: all,
      warnings,
      entries: count,
      checkpoints: exp?.checkpoints?.length ?? 0,
      cosignatures: 0,
      latest: null,
      sums: {},
      accounts: 0,
      ...extra,
    };
  };
  if (exp?.format !== EXPORT_FORMAT || entries === null || !Array.isArray(exp.checkpoints)) {
    found.chain.push({ check: 'format', message: `not a ${EXPORT_FORMAT} document` });
    return result();
  }

  // One pass: 1. the hash chain (contiguous sequence, each entry hash recomputed, each link to the
  // previous) and the Merkle tree; 4. the replay (Σ = 0 per asset, no negative balance outside the
  // negative-allowed system accounts); 5. the card's lines (their proofs once the tree is whole).
  let report = reporter(found.chain);
  const tree = new MerkleLog();
  let prev: Uint8Array = GENESIS;
  let chainBroken = false;
  const system = new Map(exp.systemAccounts.map((s) => [s.account, s]));
  const balances = new Map<string, { asset: string; balance: number }>();
  const reportBalance = reporter(found.balances);
  const mine = new Set(opts.card?.accounts ?? []);
  const cardEntries: { e: PublicLogEntry; amount: number; balance: number }[] = [];
  const running: Record<string, number> = {};
  for await (const e of entries) {
    const i = count++;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      report({ check: 'format', seq: i + 1, message: `entry #${i + 1} is not an object` });
      chainBroken = true;
      continue;
    }
    const bytes = entryBytes(e);
    tree.appendLeafHash(leafHash(bytes));
    if (!chainBroken) chainBroken = !checkLink(e, i, bytes);
    replay(e);
    if (mine.size && (mine.has(e.debit) || mine.has(e.credit))) {
      const amount = (mine.has(e.credit) ? e.amount : 0) - (mine.has(e.debit) ? e.amount : 0);
      running[e.asset] = (running[e.asset] ?? 0) + amount;
      cardEntries.push({ e, amount, balance: running[e.asset] });
    }
  }

  function checkLink(e: PublicLogEntry, i: number, bytes: Uint8Array): boolean {
    if (e.seq !== i + 1 || (e.index !== undefined && e.index !== i)) {
      report({
        check: 'chain',
        seq: i + 1,
        message: `entry #${i + 1} has seq ${e.seq}: the log is not one contiguous sequence`,
      });
      return false;
    }
    const eh = createHash('sha256').update(bytes).digest();
    if (hex(eh) !== e.entryHash) {
      report({
        check: 'chain',
        seq: e.seq,
        message: `entry ${e.seq}: content does not match its entry hash (tampered entry)`,
      });
      return false;
    }
    const ch = chainHash(prev, eh);
    if (hex(ch) !== e.chainHash) {
      report({
        check: 'chain',
        seq: e.seq,
        message: `entry ${e.seq}: chain hash does not commit to entry ${e.seq - 1} (forked or re-ordered chain)`,
      });
      return false;
    }
    prev = ch;
    return true;
  }

  function replay(e: PublicLogEntry): void {
    if (!Number.isSafeInteger(e.amount) || e.amount <= 0) {
      reportBalance({
        check: 'balance',
        seq: e.seq,
        message: `entry ${e.seq}: amount ${e.amount} is not a positive integer`,
      });
      return;
    }
    if (e.debit === e.credit)
      reportBalance({
        check: 'balance',
        seq: e.seq,
        message: `entry ${e.seq}: debit and credit are the same account`,
      });
    for (const [acct, delta] of [
      [e.debit, -e.amount],
      [e.credit, e.amount],
    ] as const) {
      const a = balances.get(acct) ?? { asset: e.asset, balance: 0 };
      if (a.asset !== e.asset)
        reportBalance({
          check: 'balance',
          seq: e.seq,
          message: `entry ${e.seq}: account ${acct} holds ${a.asset}, not ${e.asset}`,
        });
      a.balance += delta;
      balances.set(acct, a);
      const s = system.get(acct);
      if (a.balance < 0 && !s?.allowNegative)
        reportBalance({
          check: 'balance',
          seq: e.seq,
          message: `entry ${e.seq}: account ${acct} goes negative (${a.balance} ${e.asset})`,
        });
    }
  }

  report = reporter(found.checkpoints);
  // 2. Checkpoints: signature by the log key, root = Merkle root of the entries, cosignatures.
  const keys = new Map(exp.logKeys.map((k) => [k.keyId, k.publicKey]));
  if (opts.logKey) {
    const pinnedId = keyIdOf(Buffer.from(opts.logKey, 'hex'));
    if (!keys.has(pinnedId))
      report({ check: 'signature', message: `the pinned log key ${pinnedId} is not the log's key` });
    for (const k of keys.keys()) if (k !== pinnedId) keys.delete(k);
    keys.set(pinnedId, opts.logKey.toLowerCase());
  } else {
    warnings.push('log key not pinned (--log-key): trusting the key published with the log');
  }
  for (const [id, pk] of keys)
    if (keyIdOf(Buffer.from(pk, 'hex')) !== id)
      report({ check: 'signature', message: `log key ${id} does not match its public key` });
  const witnesses = new Map(exp.witnesses.map((w) => [w.keyId, w]));
  const cps = [...exp.checkpoints].sort((a, b) => a.treeSize - b.treeSize);
  let cosignatures = 0;
  let lastGood: SignedCheckpoint | null = null;
  let prevTs = -Infinity;
  for (const cp of cps) {
    const where = { treeSize: cp.treeSize };
    const pk = keys.get(cp.keyId);
    if (!pk)
      report({
        check: 'signature',
        ...where,
        message: `checkpoint ${cp.treeSize} is signed by unknown key ${cp.keyId}`,
      });
    else if (cp.origin !== exp.origin || !verifyCheckpointSignature(cp, pk))
      report({ check: 'signature', ...where, message: `checkpoint ${cp.treeSize}: bad log signature` });
    if (cp.timestamp < prevTs)
      report({
        check: 'signature',
        ...where,
        message: `checkpoint ${cp.treeSize} is older than the previous one`,
      });
    prevTs = cp.timestamp;
    for (const cs of cp.cosignatures ?? []) {
      const w = witnesses.get(cs.keyId);
      if (!w || w.publicKey !== cs.publicKey || !verifyCosignature(cp, cs))
        report({
          check: 'cosignature',
          ...where,
          message: `checkpoint ${cp.treeSize}: bad cosignature by witness ${cs.keyId} (${cs.venueId})`,
        });
      else cosignatures++;
    }
    if (cp.treeSize > tree.size) {
      report({
        check: 'merkle',
        ...where,
        message: `checkpoint ${cp.treeSize} covers more entries than the log has (${tree.size}): truncated log`,
      });
      continue;
    }
    const root = hex(tree.rootHash(cp.treeSize));
    if (root !== cp.rootHash) {
      const after = lastGood
        ? `entries ${lastGood.treeSize + 1}..${cp.treeSize}`
        : `entries 1..${cp.treeSize}`;
      report({
        check: 'merkle',
        ...where,
        message: `checkpoint ${cp.treeSize}: signed root ${cp.rootHash.slice(0, 16)}… ≠ log root ${root.slice(0, 16)}…: ${after} differ from what was signed (rewritten or forked log)`,
      });
    } else lastGood = cp;
  }
  const latest = cps.at(-1) ?? null;
  if (!latest) warnings.push('no signed checkpoint');
  else if (latest.treeSize < tree.size)
    warnings.push(`${tree.size - latest.treeSize} entries are not covered by a signed checkpoint yet`);

  // 3. Consistency: with a checkpoint trusted earlier, and (HTTP) the server's proofs between checkpoints.
  if (opts.trusted && latest) {
    const t = opts.trusted;
    if (t.treeSize > tree.size)
      report({
        check: 'consistency',
        treeSize: t.treeSize,
        message: `the log (${tree.size}) is shorter than the trusted checkpoint (${t.treeSize})`,
      });
    else if (hex(tree.rootHash(t.treeSize)) !== t.rootHash)
      report({
        check: 'consistency',
        treeSize: t.treeSize,
        message: `the log does not extend the trusted checkpoint ${t.treeSize}: history was rewritten (fork)`,
      });
    else if (t.treeSize <= latest.treeSize && latest.treeSize <= tree.size) {
      const proof = tree.consistencyProof(t.treeSize, latest.treeSize).map(hex);
      if (!verifyConsistency(t.treeSize, latest.treeSize, t.rootHash, latest.rootHash, proof))
        report({
          check: 'consistency',
          message: `checkpoint ${latest.treeSize} is not consistent with the trusted ${t.treeSize}`,
        });
    }
  }
  if (opts.consistencyProof) {
    for (let i = 1; i < cps.length; i++) {
      const a = cps[i - 1];
      const b = cps[i];
      const proof = await opts.consistencyProof(a.treeSize, b.treeSize);
      if (!verifyConsistency(a.treeSize, b.treeSize, a.rootHash, b.rootHash, proof))
        report({
          check: 'consistency',
          treeSize: b.treeSize,
          message: `server's consistency proof ${a.treeSize} → ${b.treeSize} does not verify`,
        });
    }
  }

  // 4. Replay (done in the pass): Σ = 0 per asset.
  report = reportBalance;
  const perAsset: Record<string, number> = {};
  for (const a of balances.values()) perAsset[a.asset] = (perAsset[a.asset] ?? 0) + a.balance;
  for (const [asset, s] of Object.entries(perAsset))
    if (s !== 0) report({ check: 'balance', message: `Σ ${asset} = ${s}, expected 0` });

  // 5. One card's history (read in the pass), each entry proven included in the latest signed checkpoint.
  report = reporter(found.card);
  let card: VerifyReport['card'];
  if (opts.card) {
    const lines: CardLine[] = [];
    const usable = latest && latest.treeSize <= tree.size ? latest : null;
    for (const { e, amount, balance } of cardEntries) {
      let proof: CardLine['proof'] = 'pending';
      if (usable && e.index < usable.treeSize) {
        const path = opts.inclusionProof
          ? await opts.inclusionProof(e.index, usable.treeSize)
          : tree.inclusionProof(e.index, usable.treeSize).map(hex);
        proof = verifyInclusion(leafHash(entryBytes(e)), e.index, usable.treeSize, path, usable.rootHash)
          ? 'verified'
          : 'failed';
        if (proof === 'failed')
          report({
            check: 'card',
            seq: e.seq,
            message: `entry ${e.seq} of card ${opts.card.uid}: inclusion proof does not verify against checkpoint ${usable.treeSize}`,
          });
      }
      lines.push({ seq: e.seq, at: e.at, kind: e.kind, asset: e.asset, amount, balance, proof });
    }
    card = { uid: opts.card.uid, accounts: opts.card.accounts, lines, balances: running };
  }

  return result({
    cosignatures,
    latest: latest
      ? { treeSize: latest.treeSize, rootHash: latest.rootHash, timestamp: latest.timestamp }
      : null,
    sums: perAsset,
    accounts: balances.size,
    ...(card ? { card } : {}),
  });
}
