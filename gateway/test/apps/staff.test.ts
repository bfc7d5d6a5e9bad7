// Staff credentials and rights, enforced by the server: PIN sessions (scrypt), a claimed member
// with credentials refused without a session, a session's member replacing what a page claims,
// a cashier who cannot void, PIN lockout; staff cards: a tap on the POS terminal opens the POS,
// a lost card revoked ends its sessions everywhere at once and opens nothing any more.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tap } from '../helpers.js';
import { cartId, json, type Rig, rig, sse } from './apps-helpers.js';

const BOB_CARD = 'A1B2C3D4E5F607';

describe('staff credentials and rights', () => {
  let r: Rig;
  let events: Awaited<ReturnType<typeof sse>>;
  let mona: Record<string, string>;
  beforeAll(async () => {
    r = await rig();
    events = await sse(`${r.base}/apps/api/pos/bar/events`);
  });
  afterAll(async () => {
    events?.close();
    await r?.close();
  });
  const login = async (staff: string, pin: string) =>
    json(r.base, 'POST', '/apps/api/session', { staff, pin });

  it('PINs are stored with scrypt; a member with a PIN acts only through a session, whatever the page claims', async () => {
    expect(
      (await json(r.base, 'PUT', '/apps/api/staff/mona', { name: 'Mona', role: 'manager', pin: '1234' }))
        .status,
    ).toBe(200);
    const stored = r.gw.ctx.journal.db.prepare("SELECT pin FROM app_staff_auth WHERE id = 'mona'").get() as {
      pin: string;
    };
    expect(stored.pin).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(stored.pin).not.toContain('1234');
    // claiming to be Mona without her PIN is refused
    const claim = await json(r.base, 'PUT', '/apps/api/staff/alice', {
      name: 'Alice',
      role: 'cashier',
      pin: '5678',
      by: 'mona',
    });
    expect(claim).toMatchObject({ status: 401, body: { error: 'session-needed' } });
    expect((await login('mona', '0000')).body).toEqual({ error: 'bad-pin' });
    expect((await login('nobody', '1234')).status).toBe(401);
    const ok = await fetch(`${r.base}/apps/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ staff: 'mona', pin: '1234' }),
    });
    expect(ok.headers.get('set-cookie')).toMatch(
      /^tb_pos_session=[A-Za-z0-9_-]+; Path=\/apps; HttpOnly; SameSite=Strict/,
    );
    const body = (await ok.json()) as { token: string; rights: string[] };
    expect(body.rights).toContain('void');
    mona = { 'x-tb-session': body.token };
    expect(
      (
        await json(
          r.base,
          'PUT',
          '/apps/api/staff/alice',
          { name: 'Alice', role: 'cashier', pin: '5678' },
          mona,
        )
      ).status,
    ).toBe(200);
    expect(
      (await json(r.base, 'PUT', '/apps/api/staff/bob', { name: 'Bob', role: 'waiter' }, mona)).status,
    ).toBe(200);
    expect((await json(r.base, 'GET', '/apps/api/session', undefined, mona)).body.session).toMatchObject({
      staff: 'mona',
      role: 'manager',
    });
  });

  it('a cashier sells but cannot void, even claiming to be the manager; the manager can', async () => {
    const alice = { 'x-tb-session': (await login('alice', '5678')).body.token as string };
    const id = cartId();
    const denied = await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id,
      cashier: 'alice',
      lines: [{ sku: 'soda', qty: 1, price: 200 }],
    });
    expect(denied).toMatchObject({ status: 401, body: { error: 'session-needed' } });
    const o = await json(
      r.base,
      'POST',
      '/apps/api/pos/bar/orders',
      { id, cashier: 'mona', lines: [{ sku: 'soda', qty: 1, price: 200 }] },
      alice,
    );
    expect(o.body.order.cashier).toBe('alice'); // the session's member, not the claim
    await json(
      r.base,
      'POST',
      `/apps/api/orders/${id}/payments`,
      { method: 'cash', cashier: 'alice' },
      alice,
    );
    const v = await json(
      r.base,
      'POST',
      `/apps/api/orders/${id}/void`,
      { reason: 'oops', cashier: 'mona' },
      alice,
    );
    expect(v).toMatchObject({ status: 403, body: { error: 'no-right' } });
    expect((await json(r.base, 'GET', `/apps/api/orders/${id}`)).body.status).toBe('paid');
    const m = await json(
      r.base,
      'POST',
      `/apps/api/orders/${id}/void`,
      { reason: 'wrong', cashier: 'alice' },
      mona,
    );
    expect(m.body.order).toMatchObject({ status: 'voided', voidReason: 'wrong' });
    const log = r.gw.ctx.journal.db.prepare('SELECT voided_by FROM app_orders WHERE id = ?').get(id) as {
      voided_by: string;
    };
    expect(log.voided_by).toBe('mona');
    // the cashier cannot close the fiscal day or change the staff either
    expect(
      (await json(r.base, 'POST', '/apps/api/fiscal/closures', { kind: 'day', period: '2025-01-01' }, alice))
        .status,
    ).toBe(403);
    expect(
      (await json(r.base, 'PUT', '/apps/api/staff/eve', { name: 'Eve', role: 'manager' }, alice)).status,
    ).toBe(403);
    // logging out ends the session
    await json(r.base, 'DELETE', '/apps/api/session', undefined, alice);
    expect((await json(r.base, 'GET', '/apps/api/session', undefined, alice)).status).toBe(401);
  });

  it('five wrong PINs lock the member for a minute', async () => {
    for (let i = 0; i < 4; i++) expect((await login('alice', '0000')).status).toBe(401);
    expect((await login('alice', '0000')).body).toEqual({ error: 'locked' });
    expect((await login('alice', '5678')).status).toBe(429);
  });

  it('a staff card tap on the POS terminal opens the POS; the lost card revoked ends its sessions at once', async () => {
    expect(
      (await json(r.base, 'PUT', `/apps/api/staff-cards/${BOB_CARD}`, { staff: 'bob' }, mona)).status,
    ).toBe(200);
    const alerts = await sse(`${r.base}/apps/api/room/bar/events`);
    const sessions: Record<string, string>[] = [];
    for (let i = 0; i < 2; i++) {
      const tx = tap(r.till, BOB_CARD);
      await r.till.waitResult(tx);
      const e = await events.next((x) => x.event === 'staff');
      expect(e.data).toMatchObject({ staff: { id: 'bob', name: 'Bob', role: 'waiter' }, device: 'till-1' });
      const s = await json(r.base, 'POST', '/apps/api/session', { claim: e.data.claim });
      expect(s.body.session).toMatchObject({ staff: 'bob', pos: 'bar', card: BOB_CARD });
      expect((await json(r.base, 'POST', '/apps/api/session', { claim: e.data.claim })).body.error).toBe(
        'bad-claim',
      ); // one use
      sessions.push({ 'x-tb-session': s.body.token });
    }
    const sale = await json(
      r.base,
      'POST',
      '/apps/api/pos/bar/orders',
      { id: cartId(), cashier: 'x', lines: [{ sku: 'soda', qty: 1, price: 200 }] },
      sessions[0],
    );
    expect(sale.body.order.cashier).toBe('bob');
    // Bob now has a card: claiming to be him without a session is refused
    expect(
      (
        await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
          id: cartId(),
          cashier: 'bob',
          lines: [{ sku: 'soda', qty: 1, price: 200 }],
        })
      ).status,
    ).toBe(401);

    // lost: revoked once, every session it opened ends, pages are told
    expect(
      (await json(r.base, 'POST', `/apps/api/staff-cards/${BOB_CARD}/revoke`, {}, sessions[0])).status,
    ).toBe(403); // a waiter cannot
    const rev = await json(r.base, 'POST', `/apps/api/staff-cards/${BOB_CARD}/revoke`, {}, mona);
    expect(rev.body).toEqual({ ok: true, sessions: 2 });
    expect((await alerts.next((x) => x.event === 'session-end')).data).toMatchObject({
      staff: 'bob',
      card: BOB_CARD,
      reason: 'card-revoked',
    });
    for (const s of sessions)
      expect((await json(r.base, 'GET', '/apps/api/session', undefined, s)).status).toBe(401);
    const after = await json(
      r.base,
      'POST',
      '/apps/api/pos/bar/orders',
      { id: cartId(), cashier: 'bob', lines: [{ sku: 'soda', qty: 1, price: 200 }] },
      sessions[1],
    );
    expect(after).toMatchObject({ status: 401, body: { error: 'session-ended' } });
    const byName = await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id: cartId(),
      cashier: 'bob',
      lines: [{ sku: 'soda', qty: 1, price: 200 }],
    });
    expect(byName).toMatchObject({ status: 401, body: { error: 'session-needed' } });
    // the card opens nothing any more, and cannot be enrolled again
    const n = events.events.filter((x) => x.event === 'staff').length;
    await r.till.waitResult(tap(r.till, BOB_CARD));
    await new Promise((res) => setTimeout(res, 100));
    expect(events.events.filter((x) => x.event === 'staff')).toHaveLength(n);
    expect(
      (await json(r.base, 'PUT', `/apps/api/staff-cards/${BOB_CARD}`, { staff: 'bob' }, mona)).body.error,
    ).toBe('card-revoked');
    alerts.close();
  });
});
