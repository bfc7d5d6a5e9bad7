// Journaled gateway transactions (docs/sync-api.md) → ledger operations. Used by the sync batch
// route and by the cashier REST routes (a REST spend is a one-item batch).
import { num, type Tx } from '../db/connect.js';
import { textArray } from '../ledger/cards.js';
import type { PostingEngine } from '../ledger/engine.js';
import {
  type AccountKey,
  LedgerError,
  type Operation,
  type OpResult,
  type Posting,
  type RejectReason,
} from '../ledger/types.js';
import { isRefundableHere, sys, type VenueCtx } from '../ledger/venue.js';
import { loadCardsAndAccounts } from './card-accounts.js';
import { canonical, sha256Hex } from './hashing.js';

export type ItemType = 'spend' | 'topup' | 'void' | 'refund';

export interface SyncItem {
  id: string;
  type: ItemType;
  cardUid: string;
  at: number;
  legs: { asset: string; amount: number }[];
  funding?: 'cash' | 'card' | 'online';
  voids?: string;
  deviceId?: string;
  cashierId?: string;
  offline?: boolean;
  reason?: string;
  /**
   * The card's issue (re-issue count) whose lease the gateway authorized against. Absent: booked
   * on the card's current wallet, as before issues existed (docs/sync-api.md).
   */
  cardIssue?: number;
}

export const MAX_BATCH_ITEMS = 5000;

const reject = (id: string, reason: RejectReason, detail?: string): OpResult => ({
  id,
  status: 'rejected',
  reason,
  ...(detail ? { detail } : {}),
});

interface VoidTarget {
  venueId: string | null;
  kind: string;
  walletId: number | null;
  /** Reversed postings, in the original order. */
  postings: Posting[];
  legs: Map<string, number>;
}

export interface ProcessOptions {
  /**
   * Body hashes of the items (`bodyHash(item)`), when the caller has them, or computes them on
   * demand (called once, after the first queries are sent: the database works while JS hashes).
   */
  hashes?: (Buffer | string)[] | (() => (Buffer | string)[]);
  /**
   * Skip the look-up of already-recorded item ids: every item is taken as new. Only for callers
   * that retry with `false` when the operations insert hits a unique violation (a replayed id):
   * the primary key on operations still guarantees that an id is applied once.
   */
  assumeFresh?: boolean;
}

/** Processes items in order inside the caller's transaction (engine holds the log lock). */
export async function processItems(
  tx: Tx,
  engine: PostingEngine,
  venue: VenueCtx,
  items: SyncItem[],
  opts: ProcessOptions = {},
): Promise<OpResult[]> {
  const hashesOf = (): (Buffer | string)[] =>
    typeof opts.hashes === 'function'
      ? opts.hashes()
      : (opts.hashes ?? items.map((it) => sha256Hex(canonical(it))));
  // Queries are issued before the hashes are computed: PostgreSQL works while JS hashes.
  const scan = (known: Map<string, unknown>) => {
    const createFor = new Set<string>();
    const uids = new Set<string>();
    const voidIds: string[] = [];
    for (const it of items) {
      if (it.type === 'spend' || it.type === 'topup') createFor.add(it.cardUid);
      if (known.has(it.id)) continue;
      uids.add(it.cardUid);
      if (it.type === 'void' && it.voids) voidIds.push(it.voids);
    }
    return { cardsP: loadCardsAndAccounts(tx, engine, venue, [...uids], createFor), voidIds };
  };
  let known: Map<string, { bodyHash: Buffer; result: OpResult; kind: string }>;
  let hashes: (Buffer | string)[];
  let started: ReturnType<typeof scan>;
  if (opts.assumeFresh) {
    known = new Map();
    started = scan(known);
    started.cardsP.catch(() => {});
    hashes = hashesOf();
  } else {
    const knownP = engine.known(items.map((it) => it.id));
    knownP.catch(() => {});
    hashes = hashesOf();
    known = await knownP;
    started = scan(known);
  }
  const cards = await started.cardsP;
  const voidIds = started.voidIds;
  const alreadyVoided = await voidedTargets(tx, voidIds);
  // The re-issues of the cards whose items name an issue (one indexed read per batch). Not
  // pipelined with the reads above: node-postgres deprecates queueing a second query.
  const history = await reissueHistory(
    tx,
    items.filter((it) => it.cardIssue !== undefined && !known.has(it.id)).map((it) => it.cardUid),
  );

  const results: OpResult[] = new Array(items.length);
  let pending: { idx: number; op: Operation }[] = [];
  const pendingIds = new Set<string>();
  // The first segment reuses the ids looked up above; later ones (after an in-batch void) re-read.
  let first = true;
  const flush = async () => {
    if (!pending.length) return;
    const r = await engine.apply(
      pending.map((p) => p.op),
      first ? known : undefined,
    );
    first = false;
    pending.forEach((p, k) => {
      results[p.idx] = r[k];
    });
    pending = [];
    pendingIds.clear();
  };
  const keys = systemKeys(venue.id);
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (known.has(it.id)) {
      // The engine answers duplicate / idempotency-conflict without posting anything.
      pending.push({
        idx: i,
        op: { id: it.id, venueId: venue.id, kind: it.type, bodyHash: hashes[i], at: it.at, postings: [] },
      });
      pendingIds.add(it.id);
      continue;
    }
    if (it.type === 'void' && it.voids && pendingIds.has(it.voids)) await flush();
    const holder = issueHolder(it, cards.get(it.cardUid), history.get(it.cardUid));
    if ('reject' in holder) {
      results[i] = holder.reject;
      continue;
    }
    const card = holder.card;
    const mapped =
      it.type === 'void'
        ? await voidOperation(
            tx,
            venue,
            it,
            { id: it.id, venueId: venue.id, kind: it.type, bodyHash: hashes[i], at: it.at },
            card,
            alreadyVoided,
          )
        : toOperation(venue, keys, it, hashes[i], card, holder.previous);
    if ('reject' in mapped) {
      results[i] = mapped.reject;
      continue;
    }
    if (mapped.op.ref) alreadyVoided.add(mapped.op.ref);
    pending.push({ idx: i, op: mapped.op });
    pendingIds.add(it.id);
  }
  await flush();
  if (opts.assumeFresh) {
    // A recorded id that is rejected now (e.g. no funds left) never reaches the operations insert
    // and its primary key: check those ids, and let the caller re-run with the look-up.
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => r.id);
    if (rejected.length && (await engine.known(rejected)).size)
      throw new LedgerError('idempotency-race', 'a rejected item id is already recorded', 409);
  }
  return results;
}

type Mapped = { op: Operation } | { reject: OpResult };

/** A card's re-issues, oldest first: the wallet each one closed, and when (epoch ms). */
interface Reissue {
  oldWallet: number;
  at: number;
}

async function reissueHistory(tx: Tx, uids: string[]): Promise<Map<string, Reissue[]>> {
  const out = new Map<string, Reissue[]>();
  if (!uids.length) return out;
  const { rows } = await tx.query<{ card_uid: string; old_wallet_id: unknown; at_ms: unknown }>(
    `SELECT card_uid, old_wallet_id, floor(extract(epoch FROM created_at) * 1000)::int8 AS at_ms
     FROM card_reissues WHERE card_uid = ANY($1::text[]) ORDER BY card_uid, created_at, id`,
    [textArray([...new Set(uids)])],
  );
  for (const r of rows) {
    const list = out.get(r.card_uid) ?? [];
    list.push({ oldWallet: num(r.old_wallet_id), at: num(r.at_ms) });
    out.set(r.card_uid, list);
  }
  return out;
}

type CardRef = { walletId: number; blocked: boolean };

/**
 * Whose wallet an item is booked on, from the card issue the gateway authorized against
 * (docs/sync-api.md, "Re-issued cards"). No issue, or the current one: the card's wallet. An
 * earlier issue tapped before that issue ended (the card was re-issued after the tap): the
 * previous holder's wallet (`previous`). An earlier issue tapped after the re-issue (a gateway
 * that sold on a former holder's lease), or an issue the card never had: refused, nothing written
 * (a top-up after the re-issue credits the card's wallet now: the cash was its new holder's).
 */
function issueHolder(
  it: SyncItem,
  card: CardRef | undefined,
  history: Reissue[] | undefined,
): { card: CardRef | undefined; previous: boolean } | { reject: OpResult } {
  const k = it.cardIssue;
  if (k === undefined || !card) return { card, previous: false };
  const n = history?.length ?? 0;
  if (k > n)
    return {
      reject: reject(
        it.id,
        'bad-card-issue',
        `card ${it.cardUid} is at issue ${n}: issue ${k} was never issued`,
      ),
    };
  if (k === n) return { card, previous: false };
  const ended = history![k];
  // Cash paid in after the re-issue was the card's holder's then: the new holder's, debiting no one.
  if (it.type === 'topup' && it.at >= ended.at) return { card, previous: false };
  // A void gives back what a booked spend took: it follows that spend's wallet, whenever it comes.
  if (it.type !== 'void' && it.at >= ended.at)
    return {
      reject: reject(
        it.id,
        'card-reissued',
        `card ${it.cardUid} was re-issued at ${new Date(ended.at).toISOString()} (now issue ${n}): ` +
          `a tap at ${new Date(it.at).toISOString()} authorized against issue ${k} is not booked on the new holder; reconcile at the venue`,
      ),
    };
  // The card was not blocked when re-issued; a later block is the new holder's.
  return { card: { walletId: ended.oldWallet, blocked: false }, previous: true };
}

/** Checks common to every item type; null when the item may proceed. */
function precheck(
  venue: VenueCtx,
  it: SyncItem,
  card: { walletId: number; blocked: boolean } | undefined,
): OpResult | null {
  if (!card) return reject(it.id, 'unknown-card', `card ${it.cardUid} unknown in this federation`);
  if (card.blocked) return reject(it.id, 'card-blocked');
  if (it.legs.length === 1) {
    const a = it.legs[0].asset;
    return venue.assets.has(a) ? null : reject(it.id, 'unknown-asset', `${a} is not usable at ${venue.id}`);
  }
  const seen = new Set<string>();
  for (const leg of it.legs) {
    if (seen.has(leg.asset)) return reject(it.id, 'bad-item', `asset ${leg.asset} appears twice`);
    seen.add(leg.asset);
    if (!venue.assets.has(leg.asset))
      return reject(it.id, 'unknown-asset', `${leg.asset} is not usable at ${venue.id}`);
  }
  return null;
}

async function voidOperation(
  tx: Tx,
  venue: VenueCtx,
  it: SyncItem,
  base: Omit<Operation, 'postings'>,
  card: { walletId: number; blocked: boolean } | undefined,
  alreadyVoided: Set<string>,
): Promise<Mapped> {
  const bad = precheck(venue, it, card);
  if (bad) return { reject: bad };
  const v = venue.id;
  if (!it.voids) return { reject: reject(it.id, 'bad-item', 'void needs voids') };
  if (alreadyVoided.has(it.voids))
    return { reject: reject(it.id, 'already-voided', `${it.voids} was already voided`) };
  const target = await loadVoidTarget(tx, it.voids);
  if (target?.kind !== 'spend' || target.venueId !== v)
    return { reject: reject(it.id, 'void-target-unknown', `no spend ${it.voids} at ${v}`) };
  if (target.walletId !== card!.walletId)
    return { reject: reject(it.id, 'bad-item', 'voided spend belongs to another card') };
  const legs = new Map(it.legs.map((l) => [l.asset, l.amount]));
  const same = legs.size === target.legs.size && [...legs].every(([a, n]) => target.legs.get(a) === n);
  if (!same) return { reject: reject(it.id, 'bad-item', 'void legs differ from the voided spend') };
  return { op: { ...base, postings: target.postings, reportWallet: card!.walletId, ref: it.voids } };
}

/** System account keys of a venue, shared by all the postings of a batch (never mutated). */
function systemKeys(v: string) {
  return { venue: sys.venue(v), standIn: sys.standIn(v), payout: sys.payout(v), issuance: sys.issuance(v) };
}

function toOperation(
  venue: VenueCtx,
  keys: ReturnType<typeof systemKeys>,
  it: SyncItem,
  bodyHash: Buffer | string,
  card: { walletId: number; blocked: boolean } | undefined,
  /** Booked on a former holder's wallet (tapped before the card was re-issued). */
  previous = false,
): Mapped {
  const bad = precheck(venue, it, card);
  if (bad) return { reject: bad };
  const walletId = card!.walletId;
  const wallet: AccountKey = { wallet: walletId };
  const v = venue.id;
  const postings: Posting[] = [];
  switch (it.type) {
    case 'spend':
      for (const l of it.legs)
        postings.push(
          // A former holder's wallet was settled at the re-issue: what it no longer holds is the
          // venue's stand-in, as for an offline tap.
          it.offline || previous
            ? {
                asset: l.asset,
                from: wallet,
                to: keys.venue,
                amount: l.amount,
                kind: 'spend',
                shortfallFrom: keys.standIn,
              }
            : { asset: l.asset, from: wallet, to: keys.venue, amount: l.amount, kind: 'spend' },
        );
      break;
    case 'topup': {
      if (!it.funding) return { reject: reject(it.id, 'bad-item', 'topup needs funding') };
      for (const l of it.legs) {
        const asset = venue.assets.get(l.asset)!;
        if (asset.kind === 'time' || asset.kind === 'membership')
          return {
            reject: reject(it.id, 'bad-item', `${l.asset} is credited by a venue admin, not topped up`),
          };
        const from = asset.kind === 'federated_eur' ? sys.funding(v, it.funding) : keys.issuance;
        postings.push({ asset: l.asset, from, to: wallet, amount: l.amount, kind: 'topup' });
      }
      break;
    }
    case 'refund': {
      for (const l of it.legs)
        if (!isRefundableHere(venue.assets.get(l.asset)!, v))
          return { reject: reject(it.id, 'bad-item', `${l.asset} is not refundable at ${v}`) };
      for (const l of it.legs)
        postings.push({ asset: l.asset, from: wallet, to: keys.payout, amount: l.amount, kind: 'refund' });
      break;
    }
    default:
      return { reject: reject(it.id, 'bad-item', `unknown item type ${String(it.type)}`) };
  }
  const op: Operation = {
    id: it.id,
    venueId: v,
    kind: it.type,
    bodyHash,
    at: it.at,
    postings,
    reportWallet: walletId,
  };
  if (previous)
    op.extra = {
      bookedOn: 'previous-holder',
      detail: `tapped before card ${it.cardUid} was re-issued: booked on the previous holder's wallet (issue ${it.cardIssue})`,
    };
  return { op };
}

async function voidedTargets(tx: Tx, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const { rows } = await tx.query<{ ref: string }>(
    "SELECT ref FROM operations WHERE kind = 'void' AND ref = ANY($1::text[])",
    [ids],
  );
  return new Set(rows.map((r) => r.ref));
}

/**
 * The voided operation's transfers, found through the log sequence numbers its stored result
 * records (transfers.id = seq, the primary key): transfers carry no index on operation_id.
 */
async function loadVoidTarget(tx: Tx, id: string): Promise<VoidTarget | null> {
  const { rows } = await tx.query<Record<string, unknown>>(
    `SELECT o.kind AS op_kind, o.venue_id, t.asset, t.amount, da.wallet_id AS dw, da.system AS ds, ca.wallet_id AS cw, ca.system AS cs
     FROM operations o
     CROSS JOIN LATERAL json_array_elements_text(o.result->'seqs') s(seq)
     JOIN transfers t ON t.id = s.seq::int8
     JOIN accounts da ON da.id = t.debit
     JOIN accounts ca ON ca.id = t.credit
     WHERE o.id = $1 ORDER BY t.id`,
    [id],
  );
  if (!rows.length) return null;
  const key = (w: unknown, s: unknown): AccountKey =>
    w === null ? { system: s as string } : { wallet: num(w) };
  const legs = new Map<string, number>();
  let walletId: number | null = null;
  const postings: Posting[] = rows.map((r) => {
    const asset = r.asset as string;
    const amount = num(r.amount);
    legs.set(asset, (legs.get(asset) ?? 0) + amount);
    if (r.dw !== null) walletId = num(r.dw);
    return { asset, from: key(r.cw, r.cs), to: key(r.dw, r.ds), amount, kind: 'void' };
  });
  return {
    venueId: rows[0].venue_id as string | null,
    kind: rows[0].op_kind as string,
    walletId,
    postings,
    legs,
  };
}
