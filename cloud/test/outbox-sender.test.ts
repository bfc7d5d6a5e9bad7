// `tibillet-cloud start --smtp …` sends the email outbox while it runs: an artist's verification
// link reaches the mail server within seconds (it used to wait for a daily cron job), a mail server
// that is down is retried, and a stop finishes the round in progress.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { smtpTransport, startOutboxSender } from '../src/dormancy/outbox.js';
import { startSmtp } from './helpers/smtp.js';
import { exited, spawnTs, waitForLine } from './helpers/spawn.js';

async function until(what: string, done: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('email outbox sent by the running cloud', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tb-outbox-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('start --smtp: the verification link of a sign-up is delivered without any cron job', async () => {
    const smtp = await startSmtp();
    const child = spawnTs(
      'cloud/src/cli.ts',
      [
        'start',
        '--port',
        '0',
        '--data-dir',
        join(dir, 'cli'),
        '--master-key',
        randomBytes(32).toString('hex'),
        '--smtp',
        `smtp://127.0.0.1:${smtp.port}`,
        '--from',
        'cooperative@example.org',
        '--mail-interval',
        '200',
      ],
      { LOG_LEVEL: 'warn' },
    );
    try {
      const url = (await waitForLine(child, /^listening /, 60_000)).split(' ')[1];
      const res = await fetch(`${url}/v1/artists`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'lea@example.org', password: 'correct horse battery', name: 'Léa' }),
      });
      expect(res.status).toBeLessThan(300);
      await until('the verification mail', () => smtp.received.some((m) => m.to.includes('lea@example.org')));
      const mail = smtp.received.find((m) => m.to.includes('lea@example.org'))!;
      expect(mail.from).toBe('cooperative@example.org');
      expect(mail.raw).toMatch(/\/artists\/verify\/tbv_/);
    } finally {
      child.kill('SIGTERM');
      await exited(child);
      await smtp.close();
    }
  }, 90_000);

  it('a mail server that is down is retried at the next round; stop waits for the round', async () => {
    const db = await openPglite({ dataDir: join(dir, 'unit') });
    try {
      await migrate(db);
      await db.query(
        "INSERT INTO email_outbox (to_address, subject, body, kind) VALUES ('a@example.org', 'Hello', 'Body', 'test')",
      );
      // Nothing listens on this port yet: the first rounds fail and keep the row.
      const smtp0 = await startSmtp();
      const port = smtp0.port;
      await smtp0.close();
      const transport = smtpTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
      const sender = startOutboxSender(db, transport, { from: 'coop@example.org', intervalMs: 100 });
      await until('two failed attempts', async () => {
        const r = await db.query<{ attempts: unknown }>('SELECT attempts FROM email_outbox');
        return Number(r.rows[0]?.attempts) >= 2;
      });
      await sender.stop();
      const { rows } = await db.query<{ sent_at: unknown; last_error: string | null }>(
        'SELECT sent_at, last_error FROM email_outbox',
      );
      expect(rows[0]?.sent_at).toBeNull();
      expect(rows[0]?.last_error).toMatch(/ECONNREFUSED/);
      transport.close();
    } finally {
      await db.close();
    }
  }, 60_000);
});
