import type { protocol } from '@tibillet/firmware';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, tap } from '../helpers.js';
import { CARD, cartId, EVIL, json, type Rig, rig, sse } from './apps-helpers.js';

const balance = (r: Rig) => r.gw.ctx.book.available(r.gw.ctx.book.get(CARD), 'EUR');
const charges = (r: Rig) =>
  r.till.received.filter((m) => m.k === 'charge').map((m) => m.b as protocol.ChargeBody);

async function waitCharge(r: Rig, ref: string, ms = 2000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const c = charges(r).find((x) => x.ref === ref);
    if (c) return c;
    await sleep(10);
  }
  throw new Error(`charge ${ref} never reached the terminal`);
}

describe('cashier POS over HTTP', () => {
  let r: Rig;
  let events: Awaited<ReturnType<typeof sse>>;
  beforeAll(async () => {
    r = await rig({ credit: 2000 });
    events = await sse(`${r.base}/apps/api/pos/bar/events`);
  });
  afterAll(async () => {
    events?.close();
    await r?.close();
  });

  it('serves the POS page with every product label escaped, in French by default and English on request', async () => {
    const res = await fetch(`${r.base}/apps/pos/bar`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<html lang="fr"');
    expect(html).toContain('Carte cashless');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    // the boot JSON cannot close its script element
    const boot = html.match(/<script type="application\/json" id="boot">([\s\S]*?)<\/script>/)![1];
    expect(boot).not.toMatch(/<|>/);
    expect(JSON.parse(boot).products.find((p: { sku: string }) => p.sku === 'evil').label).toBe(EVIL);
    const en = await (await fetch(`${r.base}/apps/pos/bar?lang=en`)).text();
    expect(en).toContain('<html lang="en"');
    expect(en).toContain('Cashless card');
    const accept = await (
      await fetch(`${r.base}/apps/pos/bar`, { headers: { 'accept-language': 'en-US,en;q=0.8' } })
    ).text();
    expect(accept).toContain('Cashless card');
    expect((await fetch(`${r.base}/apps/pos/nope`)).status).toBe(404);
    for (const a of ['app.css', 'pos.js', 'kitchen.js'])
      expect((await fetch(`${r.base}/apps/static/${a}`)).status).toBe(200);
    expect((await fetch(`${r.base}/apps/`)).status).toBe(200);
  });

  it('prices orders from the menu: stale prices, unknown products and unchecked ages are refused with a clear message', async () => {
    const stale = await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id: cartId(),
      cashier: 'alice',
      lines: [{ sku: 'beer', qty: 1, price: 300 }],
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      error: 'stale-price',
      stale: [{ sku: 'beer', price: 350, was: 300 }],
    });
    expect(stale.body.message).toContain('Bière 300 → 350');
    expect(stale.body.products).toHaveLength(5);
    const unknown = await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id: cartId(),
      cashier: 'alice',
      lines: [{ sku: 'wine', qty: 1, price: 300 }],
    });
    expect(unknown).toMatchObject({ status: 409, body: { error: 'unknown-sku' } });
    const age = await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id: cartId(),
      cashier: 'alice',
      lines: [{ sku: 'rum', qty: 1, price: 600 }],
    });
    expect(age).toMatchObject({ status: 409, body: { error: 'age-check' } });
    const bad = await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id: 'x',
      cashier: 'alice',
      lines: [],
    });
    expect(bad.status).toBe(400);
  });

  it('a cart id is idempotent: the same cart twice is one order', async () => {
    const id = cartId();
    const body = { id, cashier: 'alice', lines: [{ sku: 'soda', qty: 2, price: 200 }] };
    const a = await json(r.base, 'POST', '/apps/api/pos/bar/orders', body);
    const b = await json(r.base, 'POST', '/apps/api/pos/bar/orders', body);
    expect(a.status).toBe(200);
    expect(b.body.order).toEqual(a.body.order);
    expect(a.body.order).toMatchObject({ total: 400, status: 'open', remaining: 400 });
    const reused = await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      ...body,
      lines: [{ sku: 'beer', qty: 1, price: 350 }],
    });
    expect(reused).toMatchObject({ status: 409, body: { error: 'cart-id-reused' } });
  });

  it('pay by card: the charge goes to the paired terminal once (double click), the tap pays it, the POS learns the result and balance over SSE', async () => {
    const id = cartId();
    await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id,
      cashier: 'alice',
      lines: [
        { sku: 'beer', qty: 2, price: 350 },
        { sku: 'soda', qty: 1, price: 200 },
      ],
    });
    const [p1, p2] = await Promise.all([
      json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
        method: 'card',
        deviceId: 'till-1',
        cashier: 'alice',
      }),
      json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
        method: 'card',
        deviceId: 'till-1',
        cashier: 'alice',
      }),
    ]);
    expect(p1.status).toBe(200);
    expect(p2.status).toBe(200);
    expect(p1.body.payment).toMatchObject({ status: 'pending', amount: 900, device: 'till-1' });
    expect(p2.body.payment.id).toBe(p1.body.payment.id);
    const ref = p1.body.payment.ref as string;
    const charge = await waitCharge(r, ref);
    expect(charge).toMatchObject({ ref, amt: 900 });
    expect(charge.lines).toEqual(['2x Bière', '1x Soda', '= 9.00 EUR']);
    await sleep(50);
    expect(charges(r).filter((c) => c.amt === 900)).toHaveLength(1);

    const tx = tap(r.till, CARD, { ref });
    expect(await r.till.waitResult(tx)).toMatchObject({ ok: true, amt: 900 });
    const e = await events.next(
      (x) => x.event === 'order' && x.data.order.id === id && x.data.order.status === 'paid',
    );
    expect(e.data.payment).toMatchObject({
      status: 'approved',
      tx,
      amount: 900,
      bal: [{ a: 'EUR', v: 1100 }],
    });
    expect(balance(r)).toBe(1100);
    const order = (await json(r.base, 'GET', `/apps/api/orders/${id}`)).body;
    expect(order).toMatchObject({ status: 'paid', paid: 900, remaining: 0 });
    // paying again (a late double click) charges nothing
    const again = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'card',
      deviceId: 'till-1',
      cashier: 'alice',
    });
    expect(again.body.order.status).toBe('paid');
    expect(again.body.payment).toBeUndefined();
  });

  it('a declined card (insufficient funds) is shown with its reason, then the order is paid cash with change', async () => {
    const id = cartId();
    await json(r.base, 'POST', '/apps/api/orders/none/payments', { method: 'cash', cashier: 'a' });
    await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id,
      cashier: 'bob',
      lines: [{ sku: 'burger', qty: 2, price: 900 }],
    });
    const p = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'card',
      cashier: 'bob',
    });
    expect(p.body.payment.device).toBe('till-1'); // the first paired terminal by default
    await waitCharge(r, p.body.payment.ref);
    const tx = tap(r.till, CARD, { ref: p.body.payment.ref });
    expect(await r.till.waitResult(tx)).toMatchObject({ ok: false, reason: 'insufficient-funds' });
    const e = await events.next(
      (x) => x.event === 'order' && x.data.order.id === id && x.data.payment?.status === 'declined',
    );
    expect(e.data.payment).toMatchObject({ reason: 'insufficient-funds', tx });
    expect(e.data.order).toMatchObject({ status: 'open', remaining: 1800 });
    const cash = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'cash',
      tendered: 2000,
      cashier: 'bob',
    });
    expect(cash.body).toMatchObject({
      change: 200,
      order: { status: 'paid', paid: 1800 },
      payment: { method: 'cash', amount: 1800 },
    });
    expect(balance(r)).toBe(1100);
  });

  it('split payment: bank card for part, cash for the rest', async () => {
    const id = cartId();
    await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id,
      cashier: 'bob',
      lines: [{ sku: 'burger', qty: 1, price: 900 }],
    });
    const a = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'bankcard',
      amount: 500,
      cashier: 'bob',
    });
    expect(a.body.order).toMatchObject({ status: 'open', paid: 500, remaining: 400 });
    const b = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'cash',
      tendered: 100,
      cashier: 'bob',
    });
    expect(b.body.order).toMatchObject({ status: 'open', remaining: 300 });
    const c = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'cash',
      cashier: 'bob',
    });
    expect(c.body.order).toMatchObject({ status: 'paid', paid: 900, remaining: 0 });
  });

  it('a charge cancelled at the POS and tapped afterwards is refunded at once', async () => {
    const id = cartId();
    await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id,
      cashier: 'alice',
      lines: [{ sku: 'soda', qty: 1, price: 200 }],
    });
    const p = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'card',
      cashier: 'alice',
    });
    const ref = p.body.payment.ref;
    await waitCharge(r, ref);
    const other = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'cash',
      cashier: 'alice',
    });
    expect(other).toMatchObject({ status: 409, body: { error: 'payment-pending' } });
    const cancel = await json(r.base, 'POST', `/apps/api/orders/${id}/payments/${p.body.payment.id}/cancel`);
    expect(cancel.body.order.payments[0].status).toBe('cancelled');
    await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, { method: 'cash', cashier: 'alice' });
    const before = balance(r);
    const tx = tap(r.till, CARD, { ref });
    expect(await r.till.waitResult(tx)).toMatchObject({ ok: true, amt: 200 });
    const e = await events.next((x) => x.event === 'refund' && x.data.tx === tx);
    expect(e.data).toMatchObject({ orderId: id, amount: 200 });
    expect(balance(r)).toBe(before);
    expect(r.gw.ctx.journal.find(`void-${tx}`)).toMatchObject({ type: 'void', extra: { voids: tx } });
  });

  it('void: refused without the right, then done by a manager with a reason; the card is refunded', async () => {
    expect(
      (await json(r.base, 'PUT', '/apps/api/staff/mona', { name: 'Mona', role: 'manager' })).status,
    ).toBe(200); // setup mode
    expect(
      (await json(r.base, 'PUT', '/apps/api/staff/alice', { name: 'Alice', role: 'cashier' })).status,
    ).toBe(403);
    expect(
      (await json(r.base, 'PUT', '/apps/api/staff/alice', { name: 'Alice', role: 'cashier', by: 'mona' }))
        .status,
    ).toBe(200);
    const id = cartId();
    await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id,
      cashier: 'alice',
      lines: [{ sku: 'beer', qty: 1, price: 350 }],
    });
    const p = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'card',
      cashier: 'alice',
    });
    await waitCharge(r, p.body.payment.ref);
    const before = balance(r);
    const tx = tap(r.till, CARD, { ref: p.body.payment.ref });
    await r.till.waitResult(tx);
    await events.next((x) => x.event === 'order' && x.data.order.id === id && x.data.order.status === 'paid');
    expect(balance(r)).toBe(before - 350);

    const denied = await json(r.base, 'POST', `/apps/api/orders/${id}/void`, {
      reason: 'oops',
      cashier: 'alice',
    });
    expect(denied).toMatchObject({ status: 403, body: { error: 'no-right' } });
    const stranger = await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id: cartId(),
      cashier: 'eve',
      lines: [{ sku: 'soda', qty: 1, price: 200 }],
    });
    expect(stranger.status).toBe(403);
    const ok = await json(r.base, 'POST', `/apps/api/orders/${id}/void`, {
      reason: 'wrong drink',
      cashier: 'mona',
    });
    expect(ok.status).toBe(200);
    expect(ok.body.order).toMatchObject({
      status: 'voided',
      voidReason: 'wrong drink',
      payments: [{ status: 'voided' }],
    });
    expect(balance(r)).toBe(before);
    expect(r.gw.ctx.journal.find(`void-${tx}`)).toMatchObject({
      extra: { reason: 'wrong drink', cashierId: 'mona' },
    });
    const twice = await json(r.base, 'POST', `/apps/api/orders/${id}/void`, {
      reason: 'again',
      cashier: 'mona',
    });
    expect(twice.body.order.voidReason).toBe('wrong drink');
    await events.next(
      (x) => x.event === 'order' && x.data.order.id === id && x.data.order.status === 'voided',
    );
    const recent = (await json(r.base, 'GET', '/apps/api/pos/bar/orders')).body as {
      id: string;
      status: string;
    }[];
    expect(recent.find((o) => o.id === id)?.status).toBe('voided');
  });

  it('no terminal, unknown terminal: refused clearly', async () => {
    const id = cartId();
    await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id,
      cashier: 'mona',
      lines: [{ sku: 'soda', qty: 1, price: 200 }],
    });
    const p = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'card',
      deviceId: 'top-1',
      cashier: 'mona',
    });
    expect(p).toMatchObject({ status: 409, body: { error: 'no-terminal' } });
  });
});

describe('apps access with a staff token', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ staffToken: 's3cret' });
  });
  afterAll(async () => r?.close());

  it('refuses without the token, accepts the bearer, and ?token= sets a cookie for the tablet', async () => {
    expect((await fetch(`${r.base}/apps/pos/bar`)).status).toBe(401);
    expect((await fetch(`${r.base}/apps/api/stock`)).status).toBe(401);
    expect(
      (await fetch(`${r.base}/apps/pos/bar`, { headers: { authorization: 'Bearer wrong' } })).status,
    ).toBe(401);
    expect(
      (await fetch(`${r.base}/apps/pos/bar`, { headers: { authorization: 'Bearer s3cret' } })).status,
    ).toBe(200);
    const first = await fetch(`${r.base}/apps/pos/bar?token=s3cret`);
    expect(first.status).toBe(200);
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^tb_staff=s3cret; Path=\/apps; HttpOnly; SameSite=Strict/);
    expect((await fetch(`${r.base}/apps/api/stock`, { headers: { cookie: 'tb_staff=s3cret' } })).status).toBe(
      200,
    );
    expect((await fetch(`${r.base}/apps/api/stock`, { headers: { cookie: 'tb_staff=nope' } })).status).toBe(
      401,
    );
    expect((await fetch(`${r.base}/healthz`)).status).toBe(200);
  });
});
