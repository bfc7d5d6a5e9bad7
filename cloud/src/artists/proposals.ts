// Proposals from artists to venues, with a message thread. Workflow: sent → seen (a venue admin
// opened it) → accepted | declined (final). Only the addressed venue's admins (and federation
// admins of its federation) read its inbox; an artist reads only their own proposals.
import { randomUUID } from 'node:crypto';
import { num, type Queryable, type Tx } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';
import { type DateRange, validRanges } from './profile.js';
import type { ProposalStatus } from './schema.js';

export const MESSAGE_MAX = 5000;
export const MAX_DATES = 20;

export interface ProposalInput {
  venueId: string;
  message: string;
  dates: DateRange[];
  /** Minor units (cents); null/absent: to be discussed. */
  feeAmount?: number | null;
  feeCurrency?: string;
}

export interface ProposalMessage {
  author: 'artist' | 'venue';
  authorId: string;
  body: string;
  at: string;
}

export interface Proposal {
  id: string;
  artistId: string;
  artistName: string;
  venueId: string;
  venueName: string;
  status: ProposalStatus;
  message: string;
  dates: DateRange[];
  feeAmount: number | null;
  feeCurrency: string;
  createdAt: string;
  seenAt: string | null;
  decidedAt: string | null;
  messages?: ProposalMessage[];
}

const iso = (v: unknown): string | null => (v ? new Date(v as string).toISOString() : null);

function checkMessage(body: string): string {
  const b = body.trim();
  if (!b) throw new LedgerError('empty-message', 'the message is empty');
  if (b.length > MESSAGE_MAX)
    throw new LedgerError(
      'message-too-long',
      `the message is ${b.length} characters long; at most ${MESSAGE_MAX}`,
    );
  return b;
}

const SELECT = `SELECT p.id, p.artist_id, a.name AS artist_name, p.venue_id, v.name AS venue_name, p.status, p.message,
   p.dates, p.fee_amount, p.fee_currency, p.created_at, p.seen_at, p.decided_at
 FROM artist_proposals p JOIN artists a ON a.id = p.artist_id JOIN venues v ON v.id = p.venue_id`;

const view = (r: Record<string, unknown>): Proposal => ({
  id: r.id as string,
  artistId: r.artist_id as string,
  artistName: r.artist_name as string,
  venueId: r.venue_id as string,
  venueName: r.venue_name as string,
  status: r.status as ProposalStatus,
  message: r.message as string,
  dates: r.dates as DateRange[],
  feeAmount: r.fee_amount === null ? null : num(r.fee_amount),
  feeCurrency: r.fee_currency as string,
  createdAt: iso(r.created_at)!,
  seenAt: iso(r.seen_at),
  decidedAt: iso(r.decided_at),
});

/** Sends a proposal; the same request key (a re-sent form or a retried call) returns the first one. */
export async function sendProposal(
  tx: Tx,
  artistId: string,
  input: ProposalInput,
  requestKey: string | null,
): Promise<{ proposal: Proposal; replayed: boolean }> {
  const message = checkMessage(input.message);
  if (input.dates.length === 0) throw new LedgerError('bad-date', 'propose at least one date range');
  const dates = validRanges(input.dates, MAX_DATES, 'proposed date ranges');
  const venue = await tx.query('SELECT 1 FROM venues WHERE id = $1', [input.venueId]);
  if (!venue.rows[0]) throw new LedgerError('unknown-venue', `unknown venue ${input.venueId}`, 404);
  const id = randomUUID();
  const ins = await tx.query(
    `INSERT INTO artist_proposals (id, artist_id, venue_id, message, dates, fee_amount, fee_currency, request_key)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8) ON CONFLICT (artist_id, request_key) DO NOTHING`,
    [
      id,
      artistId,
      input.venueId,
      message,
      JSON.stringify(dates),
      input.feeAmount ?? null,
      input.feeCurrency ?? 'EUR',
      requestKey,
    ],
  );
  if (ins.count !== 1) {
    const prior = await tx.query<Record<string, unknown>>(
      `${SELECT} WHERE p.artist_id = $1 AND p.request_key = $2`,
      [artistId, requestKey],
    );
    const p = view(prior.rows[0]);
    if (p.venueId !== input.venueId || p.message !== message)
      throw new LedgerError('idempotency-conflict', 'this request key was used for another proposal', 409);
    return { proposal: p, replayed: true };
  }
  await tx.query(
    `INSERT INTO artist_proposal_messages (proposal_id, author, author_id, body) VALUES ($1, 'artist', $2, $3)`,
    [id, artistId, message],
  );
  const { rows } = await tx.query<Record<string, unknown>>(`${SELECT} WHERE p.id = $1`, [id]);
  return { proposal: view(rows[0]), replayed: false };
}

export async function listForArtist(q: Queryable, artistId: string): Promise<Proposal[]> {
  const { rows } = await q.query<Record<string, unknown>>(
    `${SELECT} WHERE p.artist_id = $1 ORDER BY p.created_at DESC, p.id LIMIT 200`,
    [artistId],
  );
  return rows.map(view);
}

/** A venue's inbox, newest first, optionally by status. */
export async function venueInbox(
  q: Queryable,
  venueId: string,
  status?: ProposalStatus,
): Promise<Proposal[]> {
  const { rows } = await q.query<Record<string, unknown>>(
    `${SELECT} WHERE p.venue_id = $1 AND ($2::text IS NULL OR p.status = $2) ORDER BY p.created_at DESC, p.id LIMIT 200`,
    [venueId, status ?? null],
  );
  return rows.map(view);
}

async function thread(q: Queryable, id: string): Promise<ProposalMessage[]> {
  const { rows } = await q.query<Record<string, unknown>>(
    'SELECT author, author_id, body, created_at FROM artist_proposal_messages WHERE proposal_id = $1 ORDER BY id',
    [id],
  );
  return rows.map((r) => ({
    author: r.author as 'artist' | 'venue',
    authorId: r.author_id as string,
    body: r.body as string,
    at: iso(r.created_at)!,
  }));
}

/** Whose proposal is asked for: the artist's own, or one addressed to the venue. */
export type Reader = { artistId: string } | { venueId: string };

async function owned(q: Queryable, id: string, who: Reader, lock = false): Promise<Proposal> {
  const { rows } = await q.query<Record<string, unknown>>(
    `${SELECT} WHERE p.id = $1 AND ${'artistId' in who ? 'p.artist_id' : 'p.venue_id'} = $2${lock ? ' FOR UPDATE OF p' : ''}`,
    [id, 'artistId' in who ? who.artistId : who.venueId],
  );
  // Someone else's proposal is reported as unknown: its existence is not revealed.
  if (!rows[0]) throw new LedgerError('unknown-proposal', `unknown proposal ${id}`, 404);
  return view(rows[0]);
}

/** Reads a proposal with its thread. A venue admin opening a sent proposal marks it seen. */
export async function openProposal(tx: Tx, id: string, who: Reader): Promise<Proposal> {
  let p = await owned(tx, id, who, 'venueId' in who);
  if ('venueId' in who && p.status === 'sent') {
    await tx.query(
      "UPDATE artist_proposals SET status = 'seen', seen_at = now(), updated_at = now() WHERE id = $1 AND status = 'sent'",
      [id],
    );
    p = await owned(tx, id, who);
  }
  return { ...p, messages: await thread(tx, id) };
}

export async function addMessage(
  tx: Tx,
  id: string,
  who: Reader,
  authorId: string,
  body: string,
): Promise<Proposal> {
  const text = checkMessage(body);
  const p = await owned(tx, id, who, true);
  await tx.query(
    'INSERT INTO artist_proposal_messages (proposal_id, author, author_id, body) VALUES ($1, $2, $3, $4)',
    [id, 'artistId' in who ? 'artist' : 'venue', authorId, text],
  );
  // A venue answering has necessarily seen it.
  if ('venueId' in who && p.status === 'sent')
    await tx.query(
      "UPDATE artist_proposals SET status = 'seen', seen_at = now(), updated_at = now() WHERE id = $1",
      [id],
    );
  else await tx.query('UPDATE artist_proposals SET updated_at = now() WHERE id = $1', [id]);
  return openProposal(tx, id, who);
}

/** Accept or decline (venue side). Deciding again the same way is a no-op; changing a decision is refused. */
export async function decide(
  tx: Tx,
  id: string,
  venueId: string,
  userId: string,
  decision: 'accepted' | 'declined',
  message?: string,
): Promise<Proposal> {
  const p = await owned(tx, id, { venueId }, true);
  if (p.status === decision) return openProposal(tx, id, { venueId });
  if (p.status === 'accepted' || p.status === 'declined')
    throw new LedgerError('already-decided', `the proposal was already ${p.status}`, 409);
  await tx.query(
    'UPDATE artist_proposals SET status = $2, seen_at = coalesce(seen_at, now()), decided_at = now(), updated_at = now() WHERE id = $1',
    [id, decision],
  );
  if (message?.trim())
    await tx.query(
      "INSERT INTO artist_proposal_messages (proposal_id, author, author_id, body) VALUES ($1, 'venue', $2, $3)",
      [id, userId, checkMessage(message)],
    );
  return openProposal(tx, id, { venueId });
}
