// The authorizer's pure core: payment split by priority, cart pricing, stand-in limits, modes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../src/authorizer/authorizer.js';
import { CardBook } from '../src/authorizer/card-book.js';
import { splitPayment } from '../src/authorizer/payment.js';
import { priceCart } from '../src/authorizer/pricing.js';
import { venueConfig } from './helpers.js';

const config = venueConfig(['till-1', 'top-1'], {
  standIn: { perCard: 1000, perVenue: 1500 },
  memberBadges: ['MEMBER:coop'],
});
const bar = config.pointsOfSale[0];
const cash = config.pointsOfSale[1];

function ctx(
  balances: Record<string, number>,
  leaseValid: boolean,
  book = new CardBook(),
  uid = '04000000000001',
) {
  const card = book.lease(
    uid,
    Object.entries(balances).map(([asset, amount]) => ({ asset, amount })),
    leaseValid ? Date.now() + 60_000 : 0,
    false,
  );
  return { config, pos: bar, book, card, now: Date.now(), leaseValid };
}

describe('splitPayment', () => {
  it('spends gift, then local, then federated euro, and never more than asked', () => {
    const bal: Record<string, number> = { 'GIFT:bar': 150, 'LOC:bar': 100, EUR: 5000 };
    expect(splitPayment(700, (a) => bal[a] ?? 0, config.paymentPriority)).toEqual({
      legs: [
        { asset: 'GIFT:bar', amount: 150 },
        { asset: 'LOC:bar', amount: 100 },
        { asset: 'EUR', amount: 450 },
      ],
      missing: 0,
    });
  });
  it('property: legs + missing = amount, each leg ≤ its balance, all positive', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e7 }),
        fc.array(fc.integer({ min: -100, max: 1e6 }), { minLength: 3, maxLength: 3 }),
        (amount, b) => {
          const bal = Object.fromEntries(config.paymentPriority.map((a, i) => [a, b[i]]));
          const s = splitPayment(amount, (a) => bal[a], config.paymentPriority);
          expect(s.legs.reduce((t, l) => t + l.amount, 0) + s.missing).toBe(amount);
          for (const l of s.legs) {
            expect(l.amount).toBeGreaterThan(0);
            expect(l.amount).toBeLessThanOrEqual(bal[l.asset]);
          }
        },
      ),
    );
  });
});

describe('priceCart', () => {
  it('members pay the member price; the normal price shown is also accepted', () => {
    expect(priceCart(bar.products, [{ sku: 'beer', qty: 2, price: 350 }], true)).toEqual({
      ok: true,
      total: 600,
    });
    expect(priceCart(bar.products, [{ sku: 'beer', qty: 2, price: 350 }], false)).toEqual({
      ok: true,
      total: 700,
    });
    expect(priceCart(bar.products, [{ sku: 'beer', qty: 1, price: 300 }], false)).toEqual({
      ok: false,
      reason: 'stale-price',
    });
  });
});

describe('decide', () => {
  const beer = (qty: number) => ({
    tx: 'till-1-1',
    uid: '04000000000001',
    mode: 'cashier' as const,
    cart: [{ sku: 'beer', qty, price: 350 }],
  });

  it('online: the lease must cover the cart; member badge lowers the price', () => {
    expect(decide(beer(2), ctx({ EUR: 600 }, true))).toEqual({ ok: false, reason: 'insufficient-funds' });
    expect(decide(beer(2), ctx({ EUR: 600, 'MEMBER:coop': 1 }, true))).toMatchObject({
      ok: true,
      amount: 600,
      offline: false,
      standIn: 0,
    });
  });

  it('offline: stand-in credit within the per-card and per-venue limits, on the last priority asset', () => {
    const book = new CardBook();
    const c = ctx({ EUR: 200 }, false, book);
    const d = decide(beer(3), c); // 1050, 200 known → 850 stand-in
    expect(d).toEqual({
      ok: true,
      type: 'spend',
      legs: [{ asset: 'EUR', amount: 1050 }],
      amount: 1050,
      offline: true,
      standIn: 850,
    });
    if (d.ok) book.apply(c.card, d.legs, -1, d.standIn);
    expect(decide(beer(1), c)).toEqual({ ok: false, reason: 'stand-in-limit' }); // 850 + 350 > 1000 per card
    const other = ctx({}, false, book, '04000000000002');
    expect(decide(beer(2), other)).toEqual({ ok: false, reason: 'stand-in-limit' }); // venue: 850 + 700 > 1500
    expect(decide(beer(1), other)).toMatchObject({ ok: true, standIn: 350, offline: true }); // 850 + 350 ≤ 1500
  });

  it('blocked cards, wrong mode for the terminal, top-ups only on a top-up terminal', () => {
    const c = ctx({ EUR: 5000 }, true);
    expect(decide(beer(1), { ...c, config: { ...config, blocklist: ['04000000000001'] } })).toEqual({
      ok: false,
      reason: 'card-blocked',
    });
    expect(decide({ tx: 't', uid: '04000000000001', mode: 'topup', amt: 500 }, c)).toEqual({
      ok: false,
      reason: 'not-allowed',
    });
    expect(
      decide({ tx: 't', uid: '04000000000001', mode: 'topup', amt: 500 }, { ...c, pos: cash }),
    ).toMatchObject({ ok: true, type: 'topup', legs: [{ asset: 'EUR', amount: 500 }] });
    expect(decide({ tx: 't', uid: '04000000000001', mode: 'balance' }, c)).toMatchObject({
      ok: true,
      type: 'balance',
      legs: [],
    });
  });
});
