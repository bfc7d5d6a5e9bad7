// Dormant wallets with a fake clock: reminders, gradual reclaim into the cooperative fund (one per
// period, never below the floor, logged), activity resets the cycle, the holder's schedule, and
// the outbox sent to a real SMTP peer (smtp-server on a random local port).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { num } from '../../src/db/connect.js';
import { runDormancy, sendOutbox, smtpTransport, walletPath } from '../../src/index.js';
import { assertBalanced, withBothDatabases } from '../helpers/databases.js';
import {
  auth,
  type Fixture,
  fixture,
  id,
  staffToken,
  syncBatch,
  uid,
  verifyLog,
} from '../helpers/fixture.js';
import { startSmtp } from '../helpers/smtp.js';

const DAY = 86_400_000;

withBothDatabases('dormant wallets', (getDb) => {
  let f: Fixture;
  let fedToken = '';
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  const T0 = Date.now() - 60_000;
  const A = uid();
  const B = uid();
  const C = uid();
  let walletA = 0;

  const sync = (items: object[]) => syncBatch(f, items);
  const item = (type: 'topup' | 'spend', card: string, amount: number, at: number) => ({
    id: id(),
    type,
    cardUid: card,
    at,
    legs: [{ asset: 'EUR', amount }],
    ...(type === 'topup' ? { funding: 'cash' } : {}),
  });
  const balance = async (card: string) => {
    const { rows } = await getDb().query<{ balance: unknown }>(
      "SELECT a.balance FROM accounts a JOIN cards c ON c.wallet_id = a.wallet_id WHERE c.uid = $1 AND a.asset = 'EUR'",
      [card],
    );
    return num(rows[0].balance);
  };
  const fund = async () => {
    const { rows } = await getDb().query<{ balance: unknown }>(
      "SELECT balance FROM accounts WHERE system = $1 AND asset = 'EUR'",
      [`fund:${f.fed}`],
    );
    return rows[0] ? num(rows[0].balance) : 0;
  };
  const outbox = async () =>
    (
      await getDb().query<{ to_address: string; kind: string; subject: string; body: string }>(
        'SELECT to_address, kind, subject, body FROM email_outbox ORDER BY id',
      )
    ).rows;
  const giveEmail = async (card: string, email: string) => {
    const pid = id('p');
    await getDb().query(
      "INSERT INTO people (id, federation_id, display_name, email) VALUES ($1, $2, 'Holder', $3)",
      [pid, f.fed, email],
    );
    await getDb().query(
      'UPDATE wallets SET person_id = $1 WHERE id = (SELECT wallet_id FROM cards WHERE uid = $2)',
      [pid, card],
    );
  };

  beforeAll(async () => {
    f = await fixture(getDb());
    smtp = await startSmtp();
    fedToken = await staffToken(getDb(), f, { email: `fed-${f.fed}@example.org`, role: 'federation_admin' });
    const r = await sync([
      item('topup', A, 10_000, T0),
      item('topup', B, 10_000, T0),
      item('topup', C, 10_000, T0),
    ]);
    expect(r.map((x: { status: string }) => x.status)).toEqual(['applied', 'applied', 'applied']);
    await giveEmail(A, 'alice@example.org');
    await giveEmail(C, 'carol@example.org');
    walletA = num(
      (await getDb().query<{ wallet_id: unknown }>('SELECT wallet_id FROM cards WHERE uid = $1', [A])).rows[0]
        .wallet_id,
    );
  });
  afterAll(async () => {
    await f?.close();
    await smtp?.close();
  });

  it('a federation admin sets the policy (validated)', async () => {
    const bad = await f.app.inject({
      method: 'PUT',
      url: '/v1/dormancy/policy',
      headers: auth(fedToken),
      payload: { inactivityDays: 365, reminderDays: [400], periodDays: 30, ratePercent: 25, floor: 500 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('bad-policy');
    const r = await f.app.inject({
      method: 'PUT',
      url: '/v1/dormancy/policy',
      headers: auth(fedToken),
      payload: { inactivityDays: 365, reminderDays: [7, 30], periodDays: 30, ratePercent: 25, floor: 500 },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      inactivityDays: 365,
      reminderDays: [30, 7],
      periodDays: 30,
      ratePercent: 25,
      floor: 500,
      asset: 'EUR',
    });
    const anon = await f.app.inject({
      method: 'PUT',
      url: '/v1/dormancy/policy',
      payload: { inactivityDays: 1, reminderDays: [0], periodDays: 1, ratePercent: 100, floor: 0 },
    });
    expect(anon.statusCode).toBe(401);
  });

  it('nothing happens before the first reminder is due', async () => {
    const r = await runDormancy(getDb(), T0 + 300 * DAY);
    expect(r.reminders).toBe(0);
    expect(r.reclaims).toEqual([]);
    expect(await outbox()).toEqual([]);
  });

  it('the holder sees the whole schedule in advance', async () => {
    const r = await f.app.inject({ method: 'GET', url: `${walletPath(f.masterKey, A)}/dormancy` });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.balance).toBe(10_000);
    expect(body.dormantAt).toBe(new Date(T0 + 365 * DAY).toISOString());
    const steps = body.steps.map(
      (s: { kind: string; at: string; amount?: number; balanceAfter?: number }) => [
        s.kind,
        s.at,
        s.amount,
        s.balanceAfter,
      ],
    );
    expect(steps).toEqual([
      ['reminder', new Date(T0 + 335 * DAY).toISOString(), undefined, undefined],
      ['reminder', new Date(T0 + 358 * DAY).toISOString(), undefined, undefined],
      ['reclaim', new Date(T0 + 365 * DAY).toISOString(), 2500, 7500],
      ['reclaim', new Date(T0 + 395 * DAY).toISOString(), 2500, 5000],
      ['reclaim', new Date(T0 + 425 * DAY).toISOString(), 2500, 2500],
      ['reclaim', new Date(T0 + 455 * DAY).toISOString(), 2000, 500],
    ]);
    const forged = await f.app.inject({ method: 'GET', url: `/wallet/${A}/${'0'.repeat(32)}/dormancy` });
    expect(forged.statusCode).toBe(404);
  });

  it('sends the first reminder to holders with an email; anonymous wallets are never reclaimed', async () => {
    const r = await runDormancy(getDb(), T0 + 336 * DAY);
    expect(r.reminders).toBe(2);
    expect(r.skippedNoContact).toBe(1);
    const again = await runDormancy(getDb(), T0 + 336 * DAY);
    expect(again.reminders).toBe(0);
    const mails = await outbox();
    expect(mails.map((m) => [m.to_address, m.kind]).sort()).toEqual([
      ['alice@example.org', 'dormancy-reminder'],
      ['carol@example.org', 'dormancy-reminder'],
    ]);
    expect(mails[0].body).toContain('25.00 EUR to the cooperative fund');
  });

  it('any activity stops it: a new cycle starts', async () => {
    const r = await sync([item('spend', C, 100, T0 + 340 * DAY)]);
    expect(r[0].status).toBe('applied');
    const run = await runDormancy(getDb(), T0 + 359 * DAY);
    expect(run.reminders).toBe(1); // A's second reminder only
    const at366 = await runDormancy(getDb(), T0 + 365 * DAY + 3600_000);
    expect(at366.reclaims.map((x) => x.walletId)).toEqual([walletA]);
    expect(await balance(C)).toBe(9_900);
    const sched = (
      await f.app.inject({ method: 'GET', url: `${walletPath(f.masterKey, C)}/dormancy` })
    ).json();
    expect(sched.lastActivity).toBe(new Date(T0 + 340 * DAY).toISOString());
    expect(sched.steps.every((s: { done: boolean }) => !s.done)).toBe(true);
  });

  it('reclaims once per period, gradually, down to the floor, with a logged transfer and a notice', async () => {
    expect(await balance(A)).toBe(7_500);
    expect(await fund()).toBe(2_500);
    // Same period again, and concurrently: nothing more.
    const again = await Promise.all([
      runDormancy(getDb(), T0 + 366 * DAY),
      runDormancy(getDb(), T0 + 366 * DAY),
    ]);
    expect(again.flatMap((x) => x.reclaims)).toEqual([]);
    expect(await balance(A)).toBe(7_500);
    // Period 1, run twice concurrently: one reclaim.
    const p1 = await Promise.all([
      runDormancy(getDb(), T0 + 395 * DAY + 1),
      runDormancy(getDb(), T0 + 395 * DAY + 2),
    ]);
    expect(p1.flatMap((x) => x.reclaims).map((x) => x.amount)).toEqual([2500]);
    expect(await balance(A)).toBe(5_000);
    // Period 2 missed; period 3 catches up to the cumulative target but stops at the floor.
    const p3 = await runDormancy(getDb(), T0 + 455 * DAY + 1);
    expect(p3.reclaims.map((x) => x.amount)).toEqual([4500]);
    expect(await balance(A)).toBe(500);
    expect(await fund()).toBe(9_500);
    const later = await runDormancy(getDb(), T0 + 600 * DAY);
    expect(later.reclaims).toEqual([]);
    expect(await balance(A)).toBe(500);
    expect(await balance(B)).toBe(10_000);

    const transfers = await getDb().query<{ amount: unknown; kind: string; id: unknown }>(
      `SELECT t.amount, t.kind, t.id FROM transfers t JOIN accounts a ON a.id = t.credit WHERE a.system = $1 ORDER BY t.id`,
      [`fund:${f.fed}`],
    );
    expect(transfers.rows.map((t) => [num(t.amount), t.kind])).toEqual([
      [2500, 'dormancy-reclaim'],
      [2500, 'dormancy-reclaim'],
      [4500, 'dormancy-reclaim'],
    ]);
    const notices = (await outbox()).filter((m) => m.kind === 'dormancy-notice');
    expect(notices.length).toBe(3);
    expect(notices.every((m) => m.to_address === 'alice@example.org')).toBe(true);
    expect(notices[0].subject).toContain('25.00 EUR returned to the cooperative fund');
    expect(notices[0].body).toContain(`#${num(transfers.rows[0].id)}`);
    expect(notices[2].body).toContain('Nothing more will be moved');
    await assertBalanced(getDb());
    await verifyLog(getDb());

    const sched = (
      await f.app.inject({ method: 'GET', url: `${walletPath(f.masterKey, A)}/dormancy` })
    ).json();
    expect(
      sched.steps
        .filter((s: { kind: string; done: boolean }) => s.kind === 'reclaim' && s.done)
        .map((s: { amount: number }) => s.amount),
    ).toEqual([2500, 2500, 4500]);
  });

  it('activity after a partial reclaim keeps the rest and restarts the clock', async () => {
    const r = await sync([item('spend', A, 100, T0 + 610 * DAY)]);
    expect(r[0].status).toBe('applied');
    const run = await runDormancy(getDb(), T0 + 700 * DAY);
    expect(run.reclaims).toEqual([]);
    expect(await balance(A)).toBe(400);
  });

  it('the outbox is delivered to a real SMTP server, each message once', async () => {
    const transport = smtpTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
    const total = (await outbox()).length;
    const sent = await sendOutbox(getDb(), transport, { from: 'cooperative@example.org' });
    expect(sent).toEqual({ sent: total, failed: 0 });
    expect(smtp.received.length).toBe(total);
    expect(smtp.received.every((m) => m.from === 'cooperative@example.org')).toBe(true);
    const alice = smtp.received.filter((m) => m.to.includes('alice@example.org'));
    expect(alice.length).toBe(5); // 2 reminders + 3 notices
    expect(alice.some((m) => /Subject: Your TiBillet wallet: 25\.00 EUR returned/.test(m.raw))).toBe(true);
    expect(alice.some((m) => /^X-TiBillet-Kind: dormancy-notice$/im.test(m.raw))).toBe(true);
    expect(await sendOutbox(getDb(), transport, { from: 'cooperative@example.org' })).toEqual({
      sent: 0,
      failed: 0,
    });
    expect(smtp.received.length).toBe(total);
    transport.close();
  });

  it('a failing SMTP server leaves the mail queued with the error', async () => {
    await getDb().query(
      "INSERT INTO email_outbox (to_address, subject, body, kind) VALUES ('x@example.org', 's', 'b', 'test')",
    );
    const dead = smtpTransport({ host: '127.0.0.1', port: 1, secure: false, ignoreTLS: true });
    const r = await sendOutbox(getDb(), dead, { from: 'cooperative@example.org' });
    expect(r).toEqual({ sent: 0, failed: 1 });
    const row = (
      await getDb().query<{ last_error: string | null; sent_at: unknown; attempts: number }>(
        "SELECT last_error, sent_at, attempts FROM email_outbox WHERE kind = 'test'",
      )
    ).rows[0];
    expect(row.sent_at).toBeNull();
    expect(row.last_error).toBeTruthy();
    dead.close();
  });
});
