// Which wallets an email address may see and manage: the wallets of the people with that address
// (owner) and the wallets whose owner granted it guardian access (not revoked). Nothing else: a
// wallet id in a URL is checked against this on every request.
import { num, type Queryable } from '../db/connect.js';

export type Role = 'owner' | 'guardian';

export interface WalletRef {
  walletId: number;
  federationId: string;
  role: Role;
  holderName: string | null;
}

export async function walletsOf(q: Queryable, email: string): Promise<WalletRef[]> {
  const { rows } = await q.query<{ id: unknown; federation_id: string; role: Role; name: string | null }>(
    `SELECT w.id, w.federation_id, 'owner' AS role, p.display_name AS name FROM wallets w
       JOIN people p ON p.id = w.person_id WHERE lower(p.email) = $1 AND w.merged_into IS NULL
     UNION ALL
     SELECT w.id, w.federation_id, 'guardian' AS role, p.display_name AS name FROM guardian_grants g
       JOIN wallets w ON w.id = g.wallet_id LEFT JOIN people p ON p.id = w.person_id
       WHERE g.email = $1 AND g.revoked_at IS NULL
     ORDER BY 1`,
    [email],
  );
  const seen = new Map<number, WalletRef>();
  for (const r of rows) {
    const id = num(r.id);
    // Owner wins over guardian when both.
    if (!seen.has(id) || r.role === 'owner')
      seen.set(id, { walletId: id, federationId: r.federation_id, role: r.role, holderName: r.name });
  }
  return [...seen.values()];
}

export async function accessTo(q: Queryable, email: string, walletId: number): Promise<WalletRef | null> {
  return (await walletsOf(q, email)).find((w) => w.walletId === walletId) ?? null;
}

/** The owner's address (invitations come from it) or null for a wallet without a person. */
export async function ownerEmail(q: Queryable, walletId: number): Promise<string | null> {
  const { rows } = await q.query<{ email: string | null }>(
    'SELECT lower(p.email) AS email FROM wallets w JOIN people p ON p.id = w.person_id WHERE w.id = $1',
    [walletId],
  );
  return rows[0]?.email ?? null;
}
