// Renewal reminders: for each period about to expire and not renewed yet (no later period of the
// same product for the wallet), the due steps of the product's reminderDays are marked on the
// period and one email (the latest step) is queued in the outbox, to the holder and to the
// wallet's guardians, in the same transaction. Running the job again queues nothing new.
// Periods whose holder turned reminders off (reminders_off_at) or that an admin cancelled get none.
import { type Db, num } from '../db/connect.js';
import { withRetry } from '../sync/batches.js';

const DAY = 86_400_000;

export interface ReminderRunResult {
  queued: number;
  /** Due reminders of wallets without any email address (anonymous card wallets). */
  noEmail: number;
}

function reminderText(
  lang: 'fr' | 'en',
  r: { product: string; expiresAt: Date; url: string },
): { subject: string; body: string } {
  const day = r.expiresAt.toISOString().slice(0, 10);
  return lang === 'fr'
    ? {
        subject: `Votre adhésion « ${r.product} » expire le ${day}`,
        body: `Bonjour,\n\nVotre adhésion « ${r.product} » expire le ${day}.\nRenouvelez-la avant cette date : la nouvelle période commencera à la fin de l'actuelle.\n\n${r.url}\n\n-- \nEnglish: your membership "${r.product}" expires on ${day}. Renew it here: ${r.url}\n`,
      }
    : {
        subject: `Your membership "${r.product}" expires on ${day}`,
        body: `Hello,\n\nYour membership "${r.product}" expires on ${day}.\nRenew it before then: the new period starts when the current one ends.\n\n${r.url}\n`,
      };
}

export async function queueMembershipReminders(
  db: Db,
  o: { baseUrl: string; now?: number; lang?: 'fr' | 'en' },
): Promise<ReminderRunResult> {
  const now = o.now ?? Date.now();
  const out: ReminderRunResult = { queued: 0, noEmail: 0 };
  const { rows } = await db.query<{
    id: string;
    wallet_id: unknown;
    e: unknown;
    reminded_steps: number[];
    reminder_days: number[];
    name: string;
  }>(
    `SELECT m.id, m.wallet_id, (extract(epoch FROM m.expires_at) * 1000)::int8 AS e, m.reminded_steps, p.reminder_days, p.name
     FROM membership_periods m JOIN membership_products p ON p.id = m.product_id
     WHERE m.voided_at IS NULL AND m.cancelled_at IS NULL AND m.reminders_off_at IS NULL
       AND m.expires_at > $1 AND m.starts_at <= $1
       AND m.expires_at <= $1::timestamptz + make_interval(days => (SELECT coalesce(max(d::int), 0) FROM jsonb_array_elements_text(p.reminder_days) d))
       AND NOT EXISTS (SELECT 1 FROM membership_periods n WHERE n.product_id = m.product_id AND n.wallet_id = m.wallet_id
                       AND n.voided_at IS NULL AND n.cancelled_at IS NULL AND n.expires_at > m.expires_at)
     ORDER BY m.expires_at`,
    [new Date(now)],
  );
  for (const r of rows) {
    const expiresAt = num(r.e);
    const due = r.reminder_days
      .map((d, i) => ({ d, i }))
      .filter(({ d, i }) => expiresAt - d * DAY <= now && !r.reminded_steps.includes(i));
    if (due.length === 0) continue;
    await withRetry(() =>
      db.tx(async (tx) => {
        // Claim the steps (a concurrent run sees them taken and sends nothing).
        const steps = [...r.reminded_steps, ...due.map((x) => x.i)].sort((a, b) => a - b);
        const claim = await tx.query(
          `UPDATE membership_periods SET reminded_steps = $2
           WHERE id = $1 AND reminded_steps = $3::jsonb AND reminders_off_at IS NULL AND cancelled_at IS NULL RETURNING id`,
          [r.id, JSON.stringify(steps), JSON.stringify(r.reminded_steps)],
        );
        if (!claim.rows.length) return;
        const to = await tx.query<{ email: string }>(
          `SELECT lower(p.email) AS email FROM wallets w JOIN people p ON p.id = w.person_id
           WHERE w.id = $1 AND p.email IS NOT NULL
           UNION SELECT email FROM guardian_grants WHERE wallet_id = $1 AND revoked_at IS NULL`,
          [num(r.wallet_id)],
        );
        if (!to.rows.length) {
          out.noEmail++;
          return;
        }
        const text = reminderText(o.lang ?? 'fr', {
          product: r.name,
          expiresAt: new Date(expiresAt),
          url: `${o.baseUrl.replace(/\/$/, '')}/me/memberships`,
        });
        for (const t of to.rows) {
          await tx.query(
            "INSERT INTO email_outbox (to_address, subject, body, kind, wallet_id) VALUES ($1, $2, $3, 'membership-reminder', $4)",
            [t.email, text.subject, text.body, num(r.wallet_id)],
          );
          out.queued++;
        }
      }),
    );
  }
  return out;
}
