// Membership and prices at the bar (pure parts): a member pays member prices on a POS order paid
// whole by card (the member price's part named apart from the rules'), and partner perks follow
// the membership periods the cloud ships (valid / expired / cancelled / unknown, the stand-in
// window), not the badge balance; a badge the cloud names no membership for still reads the
// balance (standalone gateways, older clouds, non-membership badges).
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { decide } from '../src/authorizer/authorizer.js';
import { CardBook } from '../src/authorizer/card-book.js';
import { MEMBER_PRICE_RULE, promoteCharge } from '../src/authorizer/promotions.js';
import { priceLines } from '../src/promotions/engine.js';
import type { PromotionRule } from '../src/promotions/rules.js';
import { MembershipCache } from '../src/sync/membership-cache.js';
import { defaultVenueConfig } from '../src/venue-config.js';

const NOW = Date.parse('2026-12-02T21:00:00+01:00'); // a Wednesday
const DAY = 86_400_000;
const MIN = 60_000;

const perkByBadge: PromotionRule = {
  id: 'cafe-badge',
  name: 'Café',
  kind: 'partner',
  badge: 'MEMBER:cafe',
  pct: 20,
  categories: ['food'],
};
const perkByProduct: PromotionRule = {
  id: 'cafe-year',
  name: 'Café annuel',
  kind: 'partner',
  product: 'mp-cafe-year',
  pct: 50,
  skus: ['soda'],
};
const perkPlainBadge: PromotionRule = {
  id: 'friends',
  name: 'Amis',
  kind: 'partner',
  badge: 'BADGE:friends',
  pct: 10,
  skus: ['burger'],
};

const products = [
  { sku: 'beer', label: 'Bière', price: 350, memberPrice: 300, category: 'drinks' },
  { sku: 'soda', label: 'Soda', price: 200, category: 'drinks' },
  { sku: 'burger', label: 'Burger', price: 900, memberPrice: 800, category: 'food' },
];
const config = {
  ...defaultVenueConfig('bar'),
  timeZone: 'Europe/Paris',
  promotions: [perkByBadge, perkByProduct, perkPlainBadge],
  pointsOfSale: [{ id: 'bar', name: 'Bar', mode: 'cashier' as const, devices: [], products }],
};
const pos = config.pointsOfSale[0];

describe('member prices on a whole POS order paid by card (promoteCharge)', () => {
  const cart = [
    { sku: 'beer', qty: 2, price: 350 },
    { sku: 'soda', qty: 1, price: 200 },
    { sku: 'burger', qty: 1, price: 900 },
  ];

  it('a member pays the member prices; the member price is its own line of discount', () => {
    const p = promoteCharge({ config, pos, cart, member: true, badges: [], now: NOW });
    expect(p).toEqual({
      total: 2 * 300 + 200 + 800,
      promo: [{ rule: MEMBER_PRICE_RULE, amount: 2 * 50 + 100 }],
      items: [
        { sku: 'beer', qty: 2, unit: 300, rule: MEMBER_PRICE_RULE },
        { sku: 'soda', qty: 1, unit: 200 },
        { sku: 'burger', qty: 1, unit: 800, rule: MEMBER_PRICE_RULE },
      ],
      lines: ['Membre -2.00'],
    });
  });

  it('not a member: the order prices stand', () => {
    const p = promoteCharge({ config, pos, cart, member: false, badges: [], now: NOW });
    expect(p).toMatchObject({ total: 2 * 350 + 200 + 900, promo: [] });
    expect(p?.items.every((i) => i.rule === undefined)).toBe(true);
  });

  it('a member with a partner perk: the rule applies on the member price, each part measured apart', () => {
    const p = promoteCharge({ config, pos, cart, member: true, badges: ['MEMBER:cafe'], now: NOW });
    // burger: 900 → member 800 → 20 % off 800 = 640
    expect(p?.items[2]).toEqual({ sku: 'burger', qty: 1, unit: 640, rule: 'cafe-badge', member: 800 });
    expect(p?.promo).toEqual([
      { rule: MEMBER_PRICE_RULE, amount: 200 },
      { rule: 'cafe-badge', amount: 160 },
    ]);
    expect(p?.total).toBe(600 + 200 + 640);
    // the discounts add up to what the card did not pay
    expect(p!.promo.reduce((s, x) => s + x.amount, 0)).toBe(2 * 350 + 200 + 900 - p!.total);
  });

  it('an order line already below the member price (a happy price) is not raised', () => {
    const p = promoteCharge({
      config,
      pos,
      cart: [{ sku: 'beer', qty: 1, price: 250 }],
      member: true,
      badges: [],
      now: NOW,
    });
    expect(p).toMatchObject({ total: 250, promo: [], items: [{ sku: 'beer', qty: 1, unit: 250 }] });
  });

  it('decide(): a POS charge for a whole order is priced for a member; a split payment is not', () => {
    const book = new CardBook();
    const card = book.get('04000000000201');
    book.apply(card, [{ asset: 'EUR', amount: 5000 }], 1);
    const tap = { tx: 't-1', uid: card.uid, mode: 'cashier' as const, ref: 'c1' };
    const noRules = { ...config, promotions: [] };
    const base = { config: noRules, pos, book, card, now: NOW, leaseValid: true };
    const whole = decide(tap, {
      ...base,
      member: true,
      charge: { amt: 900 + 350, cart: [cart[2], { ...cart[0], qty: 1 }] },
    });
    expect(whole).toMatchObject({
      ok: true,
      amount: 800 + 300,
      promo: [{ rule: MEMBER_PRICE_RULE, amount: 150 }],
      lines: ['Membre -1.50'],
    });
    // a member of the cache's verdict only: false → list prices even with rules absent
    expect(
      decide(tap, { ...base, member: false, charge: { amt: 1250, cart: [cart[2], { ...cart[0], qty: 1 }] } }),
    ).toMatchObject({ ok: true, amount: 1250 });
    // the card pays part of the order: charged as asked
    const part = decide(tap, { ...base, member: true, charge: { amt: 1250 } });
    expect(part).toMatchObject({ ok: true, amount: 1250 });
    expect(part.ok && part.type === 'spend' && part.promo).toBeFalsy();
  });
});

describe('partner perks on membership periods', () => {
  const VALID = '04000000000301';
  const EXPIRED = '04000000000302';
  const CANCELLED = '04000000000303';
  const NEVER = '04000000000304';
  const YEAR = '04000000000305';

  /** The doc the cloud ships: `cards` for this venue, `partners` per key its partner rules name. */
  const doc = {
    ttlMs: 15 * MIN,
    standInMs: DAY,
    cards: [],
    partners: [
      {
        key: 'MEMBER:cafe',
        cards: [
          { cardUid: VALID, validFrom: NOW - 30 * DAY, validUntil: NOW + 300 * DAY },
          { cardUid: EXPIRED, validFrom: NOW - 400 * DAY, validUntil: NOW - 35 * DAY },
          // cancelled yesterday: the cloud ends the period at the cancellation
          { cardUid: CANCELLED, validFrom: NOW - 60 * DAY, validUntil: NOW - DAY },
          { cardUid: YEAR, validFrom: NOW - DAY, validUntil: NOW + 364 * DAY },
        ],
      },
      {
        key: 'product:mp-cafe-year',
        cards: [{ cardUid: YEAR, validFrom: NOW - DAY, validUntil: NOW + 364 * DAY }],
      },
    ],
  };

  const setup = (fetchedAt = NOW) => {
    const db = new Database(':memory:');
    const cache = new MembershipCache(db);
    cache.applyDoc(doc, fetchedAt);
    const book = new CardBook();
    for (const uid of [VALID, EXPIRED, CANCELLED, NEVER, YEAR]) {
      const c = book.get(uid);
      book.apply(c, [{ asset: 'EUR', amount: 10_000 }], 1);
      // every card still holds the badges: they must not decide
      book.apply(c, [{ asset: 'MEMBER:cafe', amount: 1 }], 1);
    }
    book.apply(book.get(NEVER), [{ asset: 'BADGE:friends', amount: 1 }], 1);
    const pay = (uid: string, at = NOW, c = cache) => {
      const card = book.get(uid);
      const d = decide(
        { tx: `t-${uid}`, uid, mode: 'cashier', ref: 'c1' },
        {
          config,
          pos,
          book,
          card,
          now: at,
          leaseValid: true,
          member: false,
          partner: (key) => {
            const v = c.partnerVerdict(uid, key, at);
            return v === undefined ? undefined : v.member;
          },
          charge: {
            amt: 900 + 200,
            cart: [
              { sku: 'burger', qty: 1, price: 900 },
              { sku: 'soda', qty: 1, price: 200 },
            ],
          },
        },
      );
      if (!d.ok || d.type !== 'spend') throw new Error(`declined: ${JSON.stringify(d)}`);
      return { amount: d.amount, promo: d.promo ?? [] };
    };
    return { db, cache, book, pay };
  };

  it('a valid member of the partner venue gets the perk; expired, cancelled or never: none, badge or not', () => {
    const { pay } = setup();
    expect(pay(VALID)).toEqual({ amount: 720 + 200, promo: [{ rule: 'cafe-badge', amount: 180 }] });
    expect(pay(EXPIRED)).toEqual({ amount: 1100, promo: [] });
    expect(pay(CANCELLED)).toEqual({ amount: 1100, promo: [] });
    // NEVER holds the cafe badge but no period; its friends badge names no membership: the balance counts
    expect(pay(NEVER)).toEqual({ amount: 810 + 200, promo: [{ rule: 'friends', amount: 90 }] });
  });

  it("a rule naming the membership product: only that product's holders", () => {
    const { pay } = setup();
    expect(pay(YEAR)).toEqual({
      amount: 720 + 100,
      promo: [
        { rule: 'cafe-badge', amount: 180 },
        { rule: 'cafe-year', amount: 100 },
      ],
    });
    expect(pay(VALID).promo.some((p) => p.rule === 'cafe-year')).toBe(false);
  });

  it('a period ending while cached: no perk from its end on, without waiting for the cloud', () => {
    const end = NOW + 300 * DAY;
    const { pay } = setup(end - MIN); // confirmed by the cloud a minute before the end
    expect(pay(VALID, end - 1).promo).toEqual([{ rule: 'cafe-badge', amount: 180 }]);
    expect(pay(VALID, end).promo).toEqual([]);
  });

  it('offline: trusted within the stand-in window, no perk on a guess after it', () => {
    const { pay } = setup(NOW - 15 * MIN - DAY + MIN); // fetched a day ago: stale, still within the stand-in
    expect(pay(VALID).promo).toEqual([{ rule: 'cafe-badge', amount: 180 }]);
    const old = setup(NOW - 15 * MIN - DAY - MIN); // past TTL + stand-in
    expect(old.pay(VALID)).toEqual({ amount: 1100, promo: [] });
    // a lease answered now (the cloud reachable again) refreshes the card, cancellation included
    old.cache.applyLease(
      VALID,
      {
        state: 'none',
        validFrom: null,
        validUntil: null,
        partners: [{ key: 'MEMBER:cafe', validFrom: NOW - 30 * DAY, validUntil: NOW + 300 * DAY }],
      },
      NOW,
    );
    expect(old.pay(VALID).promo).toEqual([{ rule: 'cafe-badge', amount: 180 }]);
    old.cache.applyLease(
      VALID,
      {
        state: 'none',
        validFrom: null,
        validUntil: null,
        partners: [{ key: 'MEMBER:cafe', validFrom: NOW - 30 * DAY, validUntil: NOW - MIN }],
      },
      NOW,
    );
    expect(old.pay(VALID).promo).toEqual([]);
  });

  it('kept across a restart (SQLite); an older cloud without partners leaves the badge balance in charge', () => {
    const { db, pay } = setup();
    const again = new MembershipCache(db);
    expect(pay(VALID, NOW, again).promo).toEqual([{ rule: 'cafe-badge', amount: 180 }]);
    expect(pay(EXPIRED, NOW, again).promo).toEqual([]);
    const older = new MembershipCache(new Database(':memory:'));
    older.applyDoc({ ttlMs: 15 * MIN, standInMs: DAY, cards: [] }, NOW);
    expect(older.partnerVerdict(EXPIRED, 'MEMBER:cafe', NOW)).toBeUndefined();
    expect(pay(EXPIRED, NOW, older).promo).toEqual([{ rule: 'cafe-badge', amount: 180 }]);
  });

  it('the engine keys partner rules by product or badge (the old rule format works as before)', () => {
    const p = priceLines({
      products,
      lines: [
        { sku: 'burger', qty: 1 },
        { sku: 'soda', qty: 1 },
      ],
      rules: [perkByBadge, perkByProduct],
      at: NOW,
      timeZone: 'Europe/Paris',
      member: false,
      badges: ['product:mp-cafe-year'],
      history: [],
    });
    expect(p.ok && p.lines.map((l) => [l.sku, l.unit, l.rule])).toEqual([
      ['burger', 900, undefined],
      ['soda', 100, 'cafe-year'],
    ]);
  });
});
