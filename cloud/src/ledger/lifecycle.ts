// Wallet lifecycle: refund request → approval → payout record, lost card replacement, merge of an
// anonymous card wallet into a person's wallet, time-currency credit by a venue admin. Every
// function runs inside the caller's transaction with the log lock held (PostingEngine.begin), so
// the balances it reads cannot change before its transfers are written; every money movement is a
// transfer, hence a log entry. Operation ids are random (`lc-<uuid>`): client-chosen idempotency
// keys never reach the public log.
import { randomUUID } from 'node:crypto';
import { num, type Tx } from '../db/connect.js';
import { resolveCards } from './cards.js';
import type { PostingEngine } from './engine.js';
import { classifyRefund, type RefundQuote, refundPostings } from './refund.js';
import { type AssetAmount, LedgerError, type Posting } from './types.js';
import { sys, type VenueCtx } from './venue.js';

export interface CardRow {
  uid: string;
  walletId: number | null;
  blocked: boolean;
  replacedBy: string | null;
  personId: string | null;
}

export async function loadCard(tx: Tx, venue: VenueCtx, uid: string): Promise<CardRow | null> {
  const { rows } = await tx.query<{
    uid: string;
    wallet_id: unknown;
    blocked: boolean;
    replaced_by: string | null;
    person_id: string | null;
  }>(
    `SELECT c.uid, c.wallet_id, c.blocked, c.replaced_by, w.person_id
     FROM cards c LEFT JOIN wallets w ON w.id = c.wallet_id
     WHERE c.uid = $1 AND c.federation_id = $2 FOR UPDATE OF c`,
    [uid, venue.federationId],
  );
  const r = rows[0];
  return r
    ? {
        uid: r.uid,
        walletId: r.wallet_id === null ? null : num(r.wallet_id),
        blocked: r.blocked,
        replacedBy: r.replaced_by,
        personId: r.person_id,
      }
    : null;
}

export async function requireCardWallet(
  tx: Tx,
  venue: VenueCtx,
  uid: string,
): Promise<CardRow & { walletId: number }> {
  const c = await loadCard(tx, venue, uid);
  if (!c) throw new LedgerError('unknown-card', `card ${uid} unknown in this federation`, 404);
  if (c.walletId === null) throw new LedgerError('no-wallet', `card ${uid} has no wallet yet`, 409);
  return c as CardRow & { walletId: number };
}

/** Current balances of a wallet, its accounts locked. */
export async function walletBalances(engine: PostingEngine, walletId: number): Promise<AssetAmount[]> {
  await engine.loadAccounts([
    {
      id: '',
      venueId: null,
      kind: '',
      bodyHash: Buffer.alloc(0),
      at: 0,
      postings: [],
      reportWallet: walletId,
    },
  ]);
  return engine.balances(walletId);
}

/** Posts one operation; returns the log sequence numbers written. */
export async function post(
  engine: PostingEngine,
  venue: VenueCtx,
  kind: string,
  postings: Posting[],
  extra: Record<string, unknown> = {},
): Promise<number[]> {
  if (!postings.length) return [];
  const [r] = await engine.apply([
    {
      id: `lc-${randomUUID()}`,
      venueId: venue.id,
      kind,
      bodyHash: Buffer.alloc(32),
      at: Date.now(),
      postings,
      extra,
    },
  ]);
  if (r.status !== 'applied')
    throw new LedgerError(r.reason ?? 'rejected', r.detail ?? `${kind} refused`, 409);
  return r.seqs ?? [];
}

const movePostings = (balances: AssetAmount[], from: number, to: number, kind: string): Posting[] =>
  balances
    .filter((b) => b.amount > 0)
    .map((b) => ({ asset: b.asset, from: { wallet: from }, to: { wallet: to }, amount: b.amount, kind }));

export const positive = (b: AssetAmount[]): AssetAmount[] => b.filter((x) => x.amount > 0);

export interface RefundRequestView {
  refundId: string;
  venueId: string;
  cardUid: string;
  status: 'requested' | 'paid' | 'rejected';
  quote: RefundQuote;
  requestedBy: string;
  approvedBy: string | null;
  payoutMethod: string | null;
  payoutReference: string | null;
  payout: (RefundQuote & { logSeqs: number[] }) | null;
}

export async function requestRefund(
  tx: Tx,
  engine: PostingEngine,
  venue: VenueCtx,
  cardUid: string,
  requestedBy: string,
): Promise<RefundRequestView> {
  const card = await requireCardWallet(tx, venue, cardUid);
  if (card.blocked)
    throw new LedgerError('card-blocked', `card ${cardUid} is blocked: replace it instead`, 409);
  const pending = await tx.query<{ id: string }>(
    "SELECT id FROM refund_requests WHERE card_uid = $1 AND status = 'requested'",
    [cardUid],
  );
  if (pending.rows[0])
    throw new LedgerError(
      'refund-pending',
      `refund ${pending.rows[0].id} is already pending for ${cardUid}`,
      409,
    );
  const quote: RefundQuote = {
    cardUid,
    ...classifyRefund(venue, await walletBalances(engine, card.walletId)),
  };
  const id = randomUUID();
  await tx.query(
    `INSERT INTO refund_requests (id, venue_id, card_uid, wallet_id, status, quote, requested_by) VALUES ($1, $2, $3, $4, 'requested', $5, $6)`,
    [id, venue.id, cardUid, card.walletId, JSON.stringify(quote), requestedBy],
  );
  return {
    refundId: id,
    venueId: venue.id,
    cardUid,
    status: 'requested',
    quote,
    requestedBy,
    approvedBy: null,
    payoutMethod: null,
    payoutReference: null,
    payout: null,
  };
}

async function loadRefund(
  tx: Tx,
  venue: VenueCtx,
  refundId: string,
): Promise<RefundRequestView & { walletId: number }> {
  const { rows } = await tx.query<Record<string, unknown>>(
    'SELECT * FROM refund_requests WHERE id = $1 AND venue_id = $2 FOR UPDATE',
    [refundId, venue.id],
  );
  const r = rows[0];
  if (!r) throw new LedgerError('unknown-refund', `no refund ${refundId} at ${venue.id}`, 404);
  return {
    refundId,
    venueId: venue.id,
    cardUid: r.card_uid as string,
    walletId: num(r.wallet_id),
    status: r.status as RefundRequestView['status'],
    quote: r.quote as RefundQuote,
    requestedBy: r.requested_by as string,
    approvedBy: (r.approved_by as string | null) ?? null,
    payoutMethod: (r.payout_method as string | null) ?? null,
    payoutReference: (r.payout_reference as string | null) ?? null,
    payout: (r.payout as RefundRequestView['payout']) ?? null,
  };
}

export async function getRefund(tx: Tx, venue: VenueCtx, refundId: string): Promise<RefundRequestView> {
  const { walletId: _w, ...view } = await loadRefund(tx, venue, refundId);
  return view;
}

/**
 * Approval pays out what is refundable *now* (balances may have moved since the request): the
 * refundable assets go to the venue's payout account (cash leaves the till), the non-refundable
 * ones the venue policy voids go to its forfeit account, the rest stays on the card.
 */
export async function approveRefund(
  tx: Tx,
  engine: PostingEngine,
  venue: VenueCtx,
  refundId: string,
  o: { approvedBy: string; payoutMethod: string; payoutReference?: string },
): Promise<RefundRequestView> {
  const req = await loadRefund(tx, venue, refundId);
  if (req.status !== 'requested')
    throw new LedgerError('refund-not-pending', `refund ${refundId} is ${req.status}`, 409);
  const split = classifyRefund(venue, await walletBalances(engine, req.walletId));
  const seqs = await post(engine, venue, 'refund', refundPostings(venue, req.walletId, split));
  const payout = { cardUid: req.cardUid, ...split, logSeqs: seqs };
  await tx.query(
    `UPDATE refund_requests SET status = 'paid', approved_by = $2, payout_method = $3, payout_reference = $4, payout = $5, decided_at = now() WHERE id = $1`,
    [refundId, o.approvedBy, o.payoutMethod, o.payoutReference ?? null, JSON.stringify(payout)],
  );
  const { walletId: _w, ...view } = req;
  return {
    ...view,
    status: 'paid',
    approvedBy: o.approvedBy,
    payoutMethod: o.payoutMethod,
    payoutReference: o.payoutReference ?? null,
    payout,
  };
}

export async function rejectRefund(
  tx: Tx,
  venue: VenueCtx,
  refundId: string,
  by: string,
): Promise<RefundRequestView> {
  const req = await loadRefund(tx, venue, refundId);
  if (req.status !== 'requested')
    throw new LedgerError('refund-not-pending', `refund ${refundId} is ${req.status}`, 409);
  await tx.query(
    "UPDATE refund_requests SET status = 'rejected', approved_by = $2, decided_at = now() WHERE id = $1",
    [refundId, by],
  );
  const { walletId: _w, ...view } = req;
  return { ...view, status: 'rejected', approvedBy: by };
}

export interface ReplaceResult {
  cardUid: string;
  newCardUid: string;
  blocked: true;
  /** 'moved': anonymous wallet, balances transferred to the new card's wallet; 'relinked': the
   * person's wallet now answers to the new card (balances belong to the person). */
  mode: 'moved' | 'relinked';
  moved: AssetAmount[];
  balances: AssetAmount[];
  logSeqs: number[];
}

/** Lost card: block it and carry its balances to a new card (unknown, or imported without a wallet). */
export async function replaceCard(
  tx: Tx,
  engine: PostingEngine,
  venue: VenueCtx,
  uid: string,
  newUid: string,
): Promise<ReplaceResult> {
  if (uid === newUid) throw new LedgerError('same-card', 'the new card is the lost card', 400);
  const old = await requireCardWallet(tx, venue, uid);
  if (old.replacedBy)
    throw new LedgerError(
      'card-already-replaced',
      `card ${uid} was already replaced by ${old.replacedBy}`,
      409,
    );
  const fresh = await tx.query<{ federation_id: string; wallet_id: unknown; blocked: boolean }>(
    'SELECT federation_id, wallet_id, blocked FROM cards WHERE uid = $1 FOR UPDATE',
    [newUid],
  );
  const n = fresh.rows[0];
  if (n && (n.federation_id !== venue.federationId || n.wallet_id !== null || n.blocked))
    throw new LedgerError('new-card-in-use', `card ${newUid} is already in use`, 409);
  let walletId: number;
  let moved: AssetAmount[] = [];
  let seqs: number[] = [];
  if (old.personId) {
    walletId = old.walletId;
    await tx.query(
      'INSERT INTO cards (uid, federation_id, wallet_id) VALUES ($1, $2, $3) ON CONFLICT (uid) DO UPDATE SET wallet_id = EXCLUDED.wallet_id',
      [newUid, venue.federationId, walletId],
    );
  } else {
    const w = await tx.query<{ id: unknown }>(
      'INSERT INTO wallets (federation_id) VALUES ($1) RETURNING id',
      [venue.federationId],
    );
    walletId = num(w.rows[0].id);
    await tx.query(
      'INSERT INTO cards (uid, federation_id, wallet_id) VALUES ($1, $2, $3) ON CONFLICT (uid) DO UPDATE SET wallet_id = EXCLUDED.wallet_id',
      [newUid, venue.federationId, walletId],
    );
    moved = positive(await walletBalances(engine, old.walletId));
    seqs = await post(
      engine,
      venue,
      'card-replace',
      movePostings(moved, old.walletId, walletId, 'card-replace'),
    );
  }
  await tx.query('UPDATE cards SET blocked = true, replaced_by = $2 WHERE uid = $1', [uid, newUid]);
  // Gateways re-download the config (and its blocklist) when the version changes.
  await tx.query('UPDATE venues SET config_version = config_version + 1 WHERE federation_id = $1', [
    venue.federationId,
  ]);
  return {
    cardUid: uid,
    newCardUid: newUid,
    blocked: true,
    mode: old.personId ? 'relinked' : 'moved',
    moved,
    balances: positive(await walletBalances(engine, walletId)),
    logSeqs: seqs,
  };
}

export async function createPerson(
  tx: Tx,
  venue: VenueCtx,
  p: { displayName: string; email?: string },
): Promise<{ personId: string }> {
  const id = randomUUID();
  await tx.query('INSERT INTO people (id, federation_id, display_name, email) VALUES ($1, $2, $3, $4)', [
    id,
    venue.federationId,
    p.displayName,
    p.email?.toLowerCase() ?? null,
  ]);
  return { personId: id };
}

export interface MergeResult {
  cardUid: string;
  personId: string;
  moved: AssetAmount[];
  balances: AssetAmount[];
  logSeqs: number[];
}

/** Moves an anonymous card wallet's balances into the person's wallet and links its cards there. */
export async function mergeIntoPerson(
  tx: Tx,
  engine: PostingEngine,
  venue: VenueCtx,
  uid: string,
  personId: string,
): Promise<MergeResult> {
  const card = await requireCardWallet(tx, venue, uid);
  if (card.blocked) throw new LedgerError('card-blocked', `card ${uid} is blocked`, 409);
  if (card.personId) throw new LedgerError('not-anonymous', `card ${uid} already belongs to a person`, 409);
  const person = await tx.query<{ id: string }>(
    'SELECT id FROM people WHERE id = $1 AND federation_id = $2',
    [personId, venue.federationId],
  );
  if (!person.rows[0])
    throw new LedgerError('unknown-person', `no person ${personId} in this federation`, 404);
  const existing = await tx.query<{ id: unknown }>('SELECT id FROM wallets WHERE person_id = $1', [personId]);
  const target = existing.rows[0]
    ? num(existing.rows[0].id)
    : num(
        (
          await tx.query<{ id: unknown }>(
            'INSERT INTO wallets (federation_id, person_id) VALUES ($1, $2) RETURNING id',
            [venue.federationId, personId],
          )
        ).rows[0].id,
      );
  const moved = positive(await walletBalances(engine, card.walletId));
  const seqs = await post(engine, venue, 'merge', movePostings(moved, card.walletId, target, 'merge'));
  await tx.query('UPDATE wallets SET merged_into = $2 WHERE id = $1', [card.walletId, target]);
  await tx.query('UPDATE cards SET wallet_id = $2 WHERE wallet_id = $1', [card.walletId, target]);
  return {
    cardUid: uid,
    personId,
    moved,
    balances: positive(await walletBalances(engine, target)),
    logSeqs: seqs,
  };
}

export interface TimeCreditResult {
  cardUid: string;
  asset: string;
  minutes: number;
  balances: AssetAmount[];
  logSeqs: number[];
}

/** A venue admin credits volunteer time (minutes of the federation's TIME asset) to a card. */
export async function creditTime(
  tx: Tx,
  engine: PostingEngine,
  venue: VenueCtx,
  uid: string,
  minutes: number,
  asset = 'TIME',
): Promise<TimeCreditResult> {
  const info = venue.assets.get(asset);
  if (info?.kind !== 'time')
    throw new LedgerError('unknown-asset', `${asset} is not a time currency at ${venue.id}`, 400);
  if (!Number.isSafeInteger(minutes) || minutes <= 0)
    throw new LedgerError('bad-amount', 'minutes must be a positive integer', 400);
  const cards = await resolveCards(tx, venue, [uid], new Set([uid]));
  const card = cards.get(uid);
  if (!card) throw new LedgerError('unknown-card', `card ${uid} unknown in this federation`, 404);
  if (card.blocked) throw new LedgerError('card-blocked', `card ${uid} is blocked`, 409);
  const seqs = await post(engine, venue, 'time-credit', [
    {
      asset,
      from: sys.issuance(venue.id),
      to: { wallet: card.walletId },
      amount: minutes,
      kind: 'time-credit',
    },
  ]);
  return {
    cardUid: uid,
    asset,
    minutes,
    balances: positive(await walletBalances(engine, card.walletId)),
    logSeqs: seqs,
  };
}
