// Paying at the POS without a terminal tap: the holder's wallet QR (signed by the federation,
// checked offline, accepted once) and the card read by the POS device's own NFC. Both go through
// the authorizer and the journal like a tap; a void gives the money back; refused codes say why
// and change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD, cartId, json, type Rig, rig } from './apps-helpers.js';
import { newSigner, type Signer, trust, walletCode } from './cardless.js';

describe('card-less payments at the POS', () => {
  let r: Rig;
  let fed: Signer;
  const balance = () => r.gw.ctx.book.available(r.gw.ctx.book.get(CARD), 'EUR');
  const order = async (lines = [{ sku: 'beer', qty: 2, price: 350 }]) => {
    const id = cartId();
    const o = await json(r.base, 'POST', '/apps/api/pos/bar/orders', { id, cashier: 'alice', lines });
    expect(o.status).toBe(200);
    return id;
  };
  const payQr = (id: string, token: string) =>
    json(r.base, 'POST', `/apps/api/orders/${id}/payments`, { method: 'qr', token, cashier: 'alice' });

  beforeAll(async () => {
    r = await rig({ credit: 2000 });
    fed = newSigner();
    trust(r.gw.ctx.journal.db, fed);
  });
  afterAll(async () => {
    await r?.close();
  });

  it('a wallet QR pays the order from the card, journaled like a tap, with the new balance', async () => {
    const id = await order();
    const res = await payQr(id, walletCode(fed, CARD));
    expect(res.status).toBe(200);
    expect(res.body.order.status).toBe('paid');
    expect(res.body.payment).toMatchObject({
      method: 'qr',
      status: 'approved',
      amount: 700,
      device: 'pos:bar',
    });
    expect(res.body.payment.bal).toEqual([{ a: 'EUR', v: 1300 }]);
    const rec = r.gw.ctx.journal.find(res.body.payment.tx);
    expect(rec).toMatchObject({ card: CARD, type: 'spend', device: 'pos:bar' });
    expect(balance()).toBe(1300);
  });

  it('refuses a code used twice, expired, forged, of an unknown key or not a wallet code; nothing is charged', async () => {
    const token = walletCode(fed, CARD);
    const first = await payQr(await order([{ sku: 'soda', qty: 1, price: 200 }]), token);
    expect(first.body.payment.status).toBe('approved');
    const before = balance();
    const id = await order([{ sku: 'soda', qty: 1, price: 200 }]);
    const cases: [string, number, string, RegExp][] = [
      [token, 409, 'qr-used', /already used/],
      [walletCode(fed, CARD, Math.floor(Date.now() / 1000) - 600), 400, 'bad-qr', /expired/],
      [walletCode({ ...newSigner(), keyId: fed.keyId }, CARD), 400, 'bad-qr', /forged/],
      [walletCode(newSigner(), CARD), 400, 'bad-qr', /unknown key/],
      ['https://example.org/ticket/abc', 400, 'bad-qr', /not a wallet payment code/],
    ];
    for (const [t, status, error, message] of cases) {
      const res = await payQr(id, t);
      expect([res.status, res.body.error]).toEqual([status, error]);
      expect(res.body.message).toMatch(message);
    }
    expect(balance()).toBe(before);
    const o = await json(r.base, 'GET', `/apps/api/orders/${id}`);
    expect(o.body).toMatchObject({ status: 'open', payments: [] });
  });

  it('a wallet without enough money is declined with the reason and the balance; the order stays open', async () => {
    const id = await order([{ sku: 'burger', qty: 2, price: 900 }]);
    const res = await payQr(id, walletCode(fed, CARD));
    expect(res.status).toBe(200);
    expect(res.body.payment).toMatchObject({ status: 'declined', reason: 'insufficient-funds' });
    expect(res.body.order.status).toBe('open');
  });

  it('a card read by the POS NFC pays; a void gives the money back to the card', async () => {
    const before = balance();
    const id = await order([{ sku: 'soda', qty: 2, price: 200 }]);
    const res = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'nfc',
      uid: CARD,
      cashier: 'alice',
    });
    expect(res.body.payment).toMatchObject({ method: 'nfc', status: 'approved', amount: 400 });
    expect(balance()).toBe(before - 400);
    const v = await json(r.base, 'POST', `/apps/api/orders/${id}/void`, {
      reason: 'wrong item',
      cashier: 'alice',
    });
    expect(v.status).toBe(200);
    expect(balance()).toBe(before);
    const bad = await json(r.base, 'POST', `/apps/api/orders/${await order()}/payments`, {
      method: 'nfc',
      uid: '04:A1',
      cashier: 'alice',
    });
    expect(bad.status).toBe(400);
  });
});
