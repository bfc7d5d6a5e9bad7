// Reads an artist's emailed verification link back from the email outbox (what the SMTP drain sends).
import type { Queryable } from '../../src/db/connect.js';

export const VERIFY_LINK = /(https?:\/\/\S+\/artists\/verify\/(tbv_[A-Za-z0-9_-]{32})\S*)/;

/** The newest verification email to `email`: its link and token. */
export async function verificationMail(
  db: Queryable,
  email: string,
): Promise<{ url: string; token: string; subject: string; body: string; count: number }> {
  const { rows } = await db.query<{ subject: string; body: string }>(
    "SELECT subject, body FROM email_outbox WHERE to_address = $1 AND kind = 'artist-verify' ORDER BY id DESC",
    [email.toLowerCase()],
  );
  if (!rows[0]) throw new Error(`no verification email to ${email}`);
  const m = VERIFY_LINK.exec(rows[0].body);
  if (!m) throw new Error(`no verification link in: ${rows[0].body}`);
  return { url: m[1]!, token: m[2]!, subject: rows[0].subject, body: rows[0].body, count: rows.length };
}

export const verificationToken = async (db: Queryable, email: string): Promise<string> =>
  (await verificationMail(db, email)).token;
