// What the holder pages show, read from the ledger, ticketing and membership tables.
import { num, type Queryable } from '../db/connect.js';
import { type MembershipStatus, statusAt } from '../memberships/period.js';
import { type Product, productFromRow } from '../memberships/products.js';
import { periodEnd } from '../memberships/status.js';

export interface WalletData {
  balances: { asset: string; amount: number; refundable: boolean }[];
  moves: { id: number; asset: string; amount: number; kind: string; at: number; incoming: boolean }[];
  cards: { uid: string; blocked: boolean }[];
  dormancy: { kind: string; step: number; asset: string | null; amount: number; at: number }[];
  refunds: { id: string; cardUid: string; status: string; createdAt: string }[];
  venues: { id: string; name: string }[];
}

export async function walletData(q: Queryable, walletId: number, federationId: string): Promise<WalletData> {
  const balances = await q.query<{ asset: string; balance: unknown; refundable: boolean }>(
    `SELECT a.asset, a.balance, coalesce(s.refundable, false) AS refundable FROM accounts a
     LEFT JOIN assets s ON s.code = a.asset AND s.federation_id = $2 WHERE a.wallet_id = $1 ORDER BY a.asset`,
    [walletId, federationId],
  );
  const moves = await q.query<{
    id: unknown;
    asset: string;
    amount: unknown;
    kind: string;
    at: unknown;
    incoming: boolean;
  }>(
    `SELECT t.id, t.asset, t.amount, t.kind, t.at, (c.wallet_id = $1) AS incoming FROM transfers t
     JOIN accounts d ON d.id = t.debit JOIN accounts c ON c.id = t.credit
     WHERE d.wallet_id = $1 OR c.wallet_id = $1 ORDER BY t.id DESC LIMIT 30`,
    [walletId],
  );
  const cards = await q.query<{ uid: string; blocked: boolean }>(
    'SELECT uid, blocked FROM cards WHERE wallet_id = $1 ORDER BY uid',
    [walletId],
  );
  const dormancy = await q.query<{
    kind: string;
    step: number;
    asset: string | null;
    amount: unknown;
    at: unknown;
  }>(
    'SELECT kind, step, asset, amount, at FROM dormancy_events WHERE wallet_id = $1 ORDER BY at DESC LIMIT 10',
    [walletId],
  );
  const refunds = await q.query<{ id: string; card_uid: string; status: string; created_at: Date | string }>(
    'SELECT id, card_uid, status, created_at FROM refund_requests WHERE wallet_id = $1 ORDER BY created_at DESC LIMIT 10',
    [walletId],
  );
  const venues = await q.query<{ id: string; name: string }>(
    'SELECT id, name FROM venues WHERE federation_id = $1 ORDER BY name, id',
    [federationId],
  );
  return {
    balances: balances.rows.map((b) => ({
      asset: b.asset,
      amount: num(b.balance),
      refundable: b.refundable,
    })),
    moves: moves.rows.map((m) => ({
      id: num(m.id),
      asset: m.asset,
      amount: num(m.amount),
      kind: m.kind,
      at: num(m.at),
      incoming: m.incoming,
    })),
    cards: cards.rows,
    dormancy: dormancy.rows.map((d) => ({
      kind: d.kind,
      step: d.step,
      asset: d.asset,
      amount: num(d.amount),
      at: num(d.at),
    })),
    refunds: refunds.rows.map((r) => ({
      id: r.id,
      cardUid: r.card_uid,
      status: r.status,
      createdAt: new Date(r.created_at).toISOString(),
    })),
    venues: venues.rows,
  };
}

export interface TicketRow {
  title: string;
  venue: string;
  startsAt: string;
  timezone: string;
  category: string;
  status: string;
  token: string;
  checkedIn: boolean;
}

export async function walletTickets(q: Queryable, walletId: number): Promise<TicketRow[]> {
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT e.title, v.name AS venue, e.starts_at, e.timezone, c.name AS category, t.status, t.token, t.checked_in_at
     FROM tickets t JOIN ticket_events e ON e.id = t.event_id JOIN ticket_categories c ON c.id = t.category_id
     JOIN venues v ON v.id = t.venue_id WHERE t.wallet_id = $1 ORDER BY e.starts_at DESC, t.id LIMIT 100`,
    [walletId],
  );
  return rows.map((r) => ({
    title: r.title as string,
    venue: r.venue as string,
    startsAt: new Date(r.starts_at as string).toISOString(),
    timezone: r.timezone as string,
    category: r.category as string,
    status: r.status as string,
    token: r.token as string,
    checkedIn: r.checked_in_at !== null,
  }));
}

export interface MembershipRow {
  product: Product;
  venueName: string;
  status: MembershipStatus;
  /** Renewal reminders of the running membership: on, off (the holder stopped them), or none running. */
  reminders: 'on' | 'off' | null;
  /** The latest cancellation of this membership by the venue (epoch ms), if any. */
  cancelledAt: number | null;
}

/** Every active product of the wallet's federation with the wallet's status for it. */
export async function walletMemberships(
  q: Queryable,
  walletId: number,
  federationId: string,
  now = Date.now(),
): Promise<MembershipRow[]> {
  const products = await q.query<Record<string, unknown>>(
    `SELECT p.*, v.name AS venue_name FROM membership_products p JOIN venues v ON v.id = p.venue_id
     WHERE p.federation_id = $1 AND p.active = 1 ORDER BY p.scope DESC, v.name, p.name`,
    [federationId],
  );
  const periods = await q.query<{
    product_id: string;
    s: unknown;
    e: unknown;
    exp: unknown;
    c: unknown;
    off: boolean;
  }>(
    `SELECT m.product_id, (extract(epoch FROM m.starts_at) * 1000)::int8 AS s,
            (extract(epoch FROM ${periodEnd('m')}) * 1000)::int8 AS e, (extract(epoch FROM m.expires_at) * 1000)::int8 AS exp,
            (extract(epoch FROM m.cancelled_at) * 1000)::int8 AS c, m.reminders_off_at IS NOT NULL AS off
     FROM membership_periods m WHERE m.wallet_id = $1 AND m.voided_at IS NULL`,
    [walletId],
  );
  return products.rows.map((p) => {
    const mine = periods.rows.filter((x) => x.product_id === p.id);
    const counted = mine.filter((x) => x.c === null || num(x.c) > num(x.s));
    // The period the reminder job looks at: the latest one neither cancelled nor over.
    const running = mine
      .filter((x) => x.c === null && num(x.exp) > now)
      .sort((a, b) => num(b.exp) - num(a.exp))[0];
    const cancels = mine.filter((x) => x.c !== null).map((x) => num(x.c));
    return {
      product: productFromRow(p),
      venueName: p.venue_name as string,
      status: statusAt(
        counted.map((x) => ({ startsAt: num(x.s), expiresAt: num(x.e) })),
        now,
      ),
      reminders: running ? (running.off ? 'off' : 'on') : null,
      cancelledAt: cancels.length ? Math.max(...cancels) : null,
    };
  });
}

export async function guardiansOf(
  q: Queryable,
  walletId: number,
): Promise<{ id: number; email: string; since: string }[]> {
  const { rows } = await q.query<{ id: unknown; email: string; created_at: Date | string }>(
    'SELECT id, email, created_at FROM guardian_grants WHERE wallet_id = $1 AND revoked_at IS NULL ORDER BY id',
    [walletId],
  );
  return rows.map((r) => ({ id: num(r.id), email: r.email, since: new Date(r.created_at).toISOString() }));
}
