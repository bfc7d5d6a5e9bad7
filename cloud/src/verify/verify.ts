// Offline verification of a transparency log export (or of a log downloaded over HTTP into the
// same shape): hash chain, Merkle roots against the signed checkpoints, log-key signatures and
// witness cosignatures, a replay of every transfer (Σ = 0 per asset, no negative balance outside
// the negative-allowed system accounts), and optionally one card's history with its inclusion
// proofs. Pure: no I/O except through the optional `inclusionProof` callback.
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

export interface LogExport {
  format: string;
  origin: string;
  size: number;
  logKeys: { keyId: string; publicKey: string; active?: boolean }[];
  witnesses: { keyId: string; venueId: string; gatewayId?: string; publicKey: string }[];
  systemAccounts: { account: string; system: string; asset: string; allowNegative: boolean }[];
  checkpoints: SignedCheckpoint[];
  entries: PublicLogEntry[];
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
  const issues: Issue[] = [];
  const warnings: string[] = [];
  const max = opts.maxIssues ?? 20;
  const report = (i: Issue) => {
    if (issues.length < max) issues.push(i);
  };
  const result = (extra: Partial<VerifyReport> = {}): VerifyReport => ({
    ok: issues.length === 0,
    issues,
    warnings,
    entries: exp.entries?.length ?? 0,
    checkpoints: exp.checkpoints?.length ?? 0,
    cosignatures: 0,
    latest: null,
    sums: {},
    accounts: 0,
    ...extra,
  });
  if (exp.format !== EXPORT_FORMAT || !Array.isArray(exp.entries) || !Array.isArray(exp.checkpoints)) {
    report({ check: 'format', message: `not a ${EXPORT_FORMAT} document` });
    return result();
  }

  // 1. Hash chain: contiguous sequence, each entry hash recomputed, each link to the previous.
  const tree = new MerkleLog();
  const leaves: Buffer[] = new Array(exp.entries.length);
  let prev: Uint8Array = GENESIS;
  let chainBroken = false;
  exp.entries.forEach((e, i) => {
    const bytes = entryBytes(e);
    leaves[i] = leafHash(bytes);
    if (chainBroken) return;
    if (e.seq !== i + 1 || (e.index !== undefined && e.index !== i)) {
      report({
        check: 'chain',
        seq: i + 1,
        message: `entry #${i + 1} has seq ${e.seq}: the log is not one contiguous sequence`,
      });
      chainBroken = true;
      return;
    }
    const eh = createHash('sha256').update(bytes).digest();
    if (hex(eh) !== e.entryHash) {
      report({
        check: 'chain',
        seq: e.seq,
        message: `entry ${e.seq}: content does not match its entry hash (tampered entry)`,
      });
      chainBroken = true;
      return;
    }
    const ch = chainHash(prev, eh);
    if (hex(ch) !== e.chainHash) {
      report({
        check: 'chain',
        seq: e.seq,
        message: `entry ${e.seq}: chain hash does not commit to entry ${e.seq - 1} (forked or re-ordered chain)`,
      });
      chainBroken = true;
      return;
    }
    prev = ch;
  });
  tree.appendLeafHashes(leaves);

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

  // 4. Replay: Σ = 0 per asset, no negative balance outside negative-allowed system accounts.
  const system = new Map(exp.systemAccounts.map((s) => [s.account, s]));
  const balances = new Map<string, { asset: string; balance: number }>();
  for (const e of exp.entries) {
    if (!Number.isSafeInteger(e.amount) || e.amount <= 0) {
      report({
        check: 'balance',
        seq: e.seq,
        message: `entry ${e.seq}: amount ${e.amount} is not a positive integer`,
      });
      continue;
    }
    if (e.debit === e.credit)
      report({
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
        report({
          check: 'balance',
          seq: e.seq,
          message: `entry ${e.seq}: account ${acct} holds ${a.asset}, not ${e.asset}`,
        });
      a.balance += delta;
      balances.set(acct, a);
      const s = system.get(acct);
      if (a.balance < 0 && !s?.allowNegative)
        report({
          check: 'balance',
          seq: e.seq,
          message: `entry ${e.seq}: account ${acct} goes negative (${a.balance} ${e.asset})`,
        });
    }
  }
  const perAsset: Record<string, number> = {};
  for (const a of balances.values()) perAsset[a.asset] = (perAsset[a.asset] ?? 0) + a.balance;
  for (const [asset, s] of Object.entries(perAsset))
    if (s !== 0) report({ check: 'balance', message: `Σ ${asset} = ${s}, expected 0` });

  // 5. One card's history, each entry proven included in the latest signed checkpoint.
  let card: VerifyReport['card'];
  if (opts.card) {
    const mine = new Set(opts.card.accounts);
    const lines: CardLine[] = [];
    const running: Record<string, number> = {};
    const usable = latest && latest.treeSize <= tree.size ? latest : null;
    for (const e of exp.entries) {
      const out = mine.has(e.debit);
      const inn = mine.has(e.credit);
      if (!out && !inn) continue;
      const amount = (inn ? e.amount : 0) - (out ? e.amount : 0);
      running[e.asset] = (running[e.asset] ?? 0) + amount;
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
      lines.push({
        seq: e.seq,
        at: e.at,
        kind: e.kind,
        asset: e.asset,
        amount,
        balance: running[e.asset],
        proof,
      });
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
