// Email outbox: rows are queued in the transaction that decides to write (reminder, reclaim
// notice) and sent afterwards through SMTP (nodemailer). A row is marked sent only after the SMTP
// server accepted it; a failure is recorded and the row retried on the next run.
import nodemailer from 'nodemailer';
import type { Db } from '../db/connect.js';
import { num } from '../db/connect.js';
import { everyInterval, type Rounds } from '../util/rounds.js';

export interface MailTransport {
  sendMail(m: {
    from: string;
    to: string;
    subject: string;
    text: string;
    headers?: Record<string, string>;
  }): Promise<unknown>;
}

/** A nodemailer SMTP transport, e.g. `smtp://user:pass@host:587` or `{ host, port }`. */
export function smtpTransport(
  o:
    | string
    | {
        host: string;
        port: number;
        secure?: boolean;
        ignoreTLS?: boolean;
        auth?: { user: string; pass: string };
      },
): MailTransport & { close(): void } {
  return nodemailer.createTransport(
    o as Parameters<typeof nodemailer.createTransport>[0],
  ) as unknown as MailTransport & { close(): void };
}

/** After this many attempts a row is never retried: definitively failed (and purged later). */
export const OUTBOX_MAX_ATTEMPTS = 10;

export interface OutboxRunResult {
  sent: number;
  failed: number;
}

export async function sendOutbox(
  db: Db,
  transport: MailTransport,
  o: { from: string; limit?: number; maxAttempts?: number },
): Promise<OutboxRunResult> {
  const out: OutboxRunResult = { sent: 0, failed: 0 };
  const { rows } = await db.query<{
    id: unknown;
    to_address: string;
    subject: string;
    body: string;
    kind: string;
  }>(
    'SELECT id, to_address, subject, body, kind FROM email_outbox WHERE sent_at IS NULL AND attempts < $1 ORDER BY id LIMIT $2',
    [o.maxAttempts ?? OUTBOX_MAX_ATTEMPTS, o.limit ?? 500],
  );
  for (const r of rows) {
    const id = num(r.id);
    // Claim the row (another sender may be draining too): attempts bumps only while unsent.
    const claim = await db.query(
      'UPDATE email_outbox SET attempts = attempts + 1 WHERE id = $1 AND sent_at IS NULL RETURNING id',
      [id],
    );
    if (!claim.rows.length) continue;
    try {
      await transport.sendMail({
        from: o.from,
        to: r.to_address,
        subject: r.subject,
        text: r.body,
        headers: { 'X-TiBillet-Kind': r.kind, 'X-TiBillet-Outbox-Id': String(id) },
      });
      await db.query('UPDATE email_outbox SET sent_at = now(), last_error = NULL WHERE id = $1', [id]);
      out.sent++;
    } catch (err) {
      await db.query('UPDATE email_outbox SET last_error = $2 WHERE id = $1', [
        id,
        String((err as Error).message ?? err).slice(0, 1000),
      ]);
      out.failed++;
    }
  }
  return out;
}

/** kick() sends what is queued now; stop() waits for a round in progress. */
export type OutboxSender = Rounds;

/**
 * Drains the outbox while the cloud runs, so emailed links (holders' login links, artists'
 * verification links, invitations) leave within seconds and not at the next cron job. One round at
 * a time; a failing SMTP server is retried at the next round (the row keeps its error).
 */
export function startOutboxSender(
  db: Db,
  transport: MailTransport,
  o: { from: string; intervalMs: number; log?: (line: string, data?: object) => void },
): OutboxSender {
  return everyInterval(
    async () => {
      const r = await sendOutbox(db, transport, { from: o.from });
      if (r.sent || r.failed) o.log?.('email outbox sent', r);
    },
    o.intervalMs,
    (err) => o.log?.('email outbox round failed', { err: err.message }),
  );
}
