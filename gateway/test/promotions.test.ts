// The promotion engine (pure): windows and their boundaries in the venue's time zone (DST
// included), overlapping rules, rounding of percentages in minor units, history and partner
// rules, and the happy-hour menu overlay the POS and terminals see.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inWindow, localTime } from '../src/promotions/clock.js';
import { type PricingInput, percentOff, priceLines } from '../src/promotions/engine.js';
import { effectiveConfig, menuAt, openHappyHours, watchHappyHours } from '../src/promotions/menu.js';
import type { PromotionRule } from '../src/promotions/rules.js';
import { defaultVenueConfig, fromCloudConfig, type Product } from '../src/venue-config.js';

const TZ = 'Europe/Paris';
// Wednesday 25 November 2026, Paris is UTC+1 in winter.
const paris = (hhmm: string, day = 25, month = 11) =>
  Date.parse(`2026-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T${hhmm}:00+01:00`);

const products: Product[] = [
  { sku: 'beer', label: 'Bière', price: 350, memberPrice: 300, category: 'drinks' },
  { sku: 'soda', label: 'Soda', price: 255, category: 'drinks' },
  { sku: 'burger', label: 'Burger', price: 900, category: 'food' },
];

const happy: PromotionRule = {
  id: 'hh',
  name: 'Happy hour',
  kind: 'happy-hour',
  windows: [{ days: [3], from: '18:00', to: '20:00' }],
  prices: [{ sku: 'beer', price: 250 }],
  categories: [{ category: 'drinks', pct: 10 }],
};

const input = (o: Partial<PricingInput>): PricingInput => ({
  products,
  lines: [{ sku: 'beer', qty: 1 }],
  rules: [happy],
  at: paris('19:00'),
  timeZone: TZ,
  member: false,
  badges: [],
  history: [],
  ...o,
});

function priced(o: Partial<PricingInput>) {
  const r = priceLines(input(o));
  if (!r.ok) throw new Error(r.reason);
  return r;
}

describe('local time and windows', () => {
  it('reads the weekday and minute in the venue time zone, across daylight saving', () => {
    expect(localTime(paris('18:00'), TZ)).toEqual({ weekday: 3, minute: 18 * 60 });
    // 29 March 2026, 02:00 Paris becomes 03:00: 01:30 UTC is 03:30 local summer time, a Sunday.
    expect(localTime(Date.parse('2026-03-29T01:30:00Z'), TZ)).toEqual({ weekday: 7, minute: 3 * 60 + 30 });
    expect(localTime(Date.parse('2026-03-29T00:30:00Z'), TZ)).toEqual({ weekday: 7, minute: 60 + 30 });
    expect(localTime(paris('18:00'), 'America/New_York')).toEqual({ weekday: 3, minute: 12 * 60 });
  });
  it('start inclusive, end exclusive; a window past midnight belongs to the day it starts', () => {
    const w = { days: [5], from: '22:00', to: '02:00' };
    expect(inWindow(w, { weekday: 5, minute: 22 * 60 - 1 })).toBe(false);
    expect(inWindow(w, { weekday: 5, minute: 22 * 60 })).toBe(true);
    expect(inWindow(w, { weekday: 6, minute: 60 })).toBe(true);
    expect(inWindow(w, { weekday: 6, minute: 120 })).toBe(false);
    expect(inWindow(w, { weekday: 5, minute: 60 })).toBe(false); // Friday 01:00 is Thursday's night
    expect(inWindow({ days: [7], from: '23:00', to: '01:00' }, { weekday: 1, minute: 30 })).toBe(true);
    expect(inWindow({ days: [3], from: '10:00', to: '10:00' }, { weekday: 3, minute: 600 })).toBe(false);
  });
});

describe('priceLines', () => {
  it('a happy hour applies from its first minute and not at its end', () => {
    expect(priced({ at: paris('17:59') }).total).toBe(350);
    expect(priced({ at: paris('18:00') }).lines[0]).toMatchObject({ unit: 250, rule: 'hh', discount: 100 });
    expect(priced({ at: paris('19:59') }).total).toBe(250);
    expect(priced({ at: paris('20:00') }).total).toBe(350);
    expect(priced({ at: paris('19:00', 26) }).total).toBe(350); // Thursday
  });
  it('a fixed product price wins over the category percentage of the same rule; others get the %', () => {
    const r = priced({
      lines: [
        { sku: 'beer', qty: 2 },
        { sku: 'soda', qty: 1 },
        { sku: 'burger', qty: 1 },
      ],
    });
    expect(r.lines.map((l) => [l.sku, l.unit, l.rule])).toEqual([
      ['beer', 250, 'hh'],
      ['soda', 230, 'hh'], // 255 − floor(25.5) = 230
      ['burger', 900, undefined],
    ]);
    expect(r.total).toBe(2 * 250 + 230 + 900);
    expect(r.byRule).toEqual([{ rule: 'hh', amount: 200 + 25 }]);
  });
  it('rounds each unit discount down to the minor unit, in basis points', () => {
    expect(percentOff(255, 10)).toBe(230);
    expect(percentOff(999, 33.33)).toBe(999 - 332); // 332.96… → 332
    expect(percentOff(1, 50)).toBe(1); // half a cent off rounds to nothing
    expect(percentOff(3, 12.345)).toBe(3); // 1235 bp
    expect(percentOff(1000, 100)).toBe(0);
    const r = priced({
      rules: [{ id: 'p', name: 'P', kind: 'partner', badge: 'BADGE:a', pct: 33.33 }],
      badges: ['BADGE:a'],
      lines: [{ sku: 'burger', qty: 3 }],
    });
    expect(r.lines[0]).toMatchObject({ unit: 601, discount: 3 * 299 });
    expect(r.total).toBe(3 * 601);
  });
  it('overlapping rules: the lowest price wins, a tie goes to the smaller id, never stacked', () => {
    const rules: PromotionRule[] = [
      { id: 'z-partner', name: 'Z', kind: 'partner', badge: 'BADGE:a', pct: 20 },
      { id: 'a-partner', name: 'A', kind: 'partner', badge: 'BADGE:a', pct: 20 },
      happy,
    ];
    const r = priced({
      rules,
      badges: ['BADGE:a'],
      lines: [
        { sku: 'beer', qty: 1 },
        { sku: 'burger', qty: 1 },
      ],
    });
    expect(r.lines.map((l) => [l.unit, l.rule])).toEqual([
      [250, 'hh'], // 250 < 280
      [720, 'a-partner'],
    ]);
    // Order of the rules in the config does not matter.
    expect(priced({ rules: [...rules].reverse(), badges: ['BADGE:a'], lines: r.lines }).lines).toEqual(
      r.lines,
    );
  });
  it('a member pays the member price, and percentages apply to it; a rule that does not lower the price does not apply', () => {
    const r = priced({
      member: true,
      at: paris('12:00'),
      rules: [{ id: 'p', name: 'P', kind: 'partner', badge: 'BADGE:a', pct: 10 }],
      badges: ['BADGE:a'],
    });
    expect(r.lines[0]).toMatchObject({ base: 300, unit: 270, rule: 'p' });
    const dear = priced({
      member: true,
      rules: [{ ...happy, prices: [{ sku: 'beer', price: 320 }], categories: undefined }] as PromotionRule[],
    });
    expect(dear.lines[0]).toMatchObject({ unit: 300, rule: undefined, discount: 0 });
  });
  it('history: N units of X in the last D days, strictly before now, give P % off Z', () => {
    const rule: PromotionRule = {
      id: 'loyal',
      name: 'Loyal',
      kind: 'history',
      bought: 'beer',
      times: 3,
      days: 30,
      target: 'burger',
      pct: 50,
    };
    const at = paris('12:00');
    const day = 86_400_000;
    const base = { rules: [rule], at, lines: [{ sku: 'burger', qty: 1 }] };
    expect(priced({ ...base, history: [{ sku: 'beer', qty: 2, at: at - day }] }).total).toBe(900);
    expect(
      priced({
        ...base,
        history: [
          { sku: 'beer', qty: 2, at: at - day },
          { sku: 'beer', qty: 1, at: at - 30 * day },
        ],
      }).lines[0],
    ).toMatchObject({ unit: 450, rule: 'loyal' });
    // 30 days and one millisecond ago is too old; a purchase "now" is not history yet.
    const old = [
      { sku: 'beer', qty: 2, at: at - day },
      { sku: 'beer', qty: 1, at: at - 30 * day - 1 },
      { sku: 'beer', qty: 5, at },
      { sku: 'soda', qty: 9, at: at - day },
    ];
    expect(priced({ ...base, history: old }).total).toBe(900);
  });
  it('partner perks are scoped to categories or products; inactive rules and other points of sale are ignored', () => {
    const p: PromotionRule = {
      id: 'p',
      name: 'P',
      kind: 'partner',
      badge: 'BADGE:a',
      pct: 10,
      categories: ['food'],
    };
    const lines = [
      { sku: 'beer', qty: 1 },
      { sku: 'burger', qty: 1 },
    ];
    const at = paris('12:00');
    expect(priced({ rules: [p], badges: ['BADGE:a'], lines, at }).lines.map((l) => l.unit)).toEqual([
      350, 810,
    ]);
    expect(priced({ rules: [p], badges: ['BADGE:b'], lines, at }).total).toBe(1250);
    expect(priced({ rules: [{ ...p, active: false }], badges: ['BADGE:a'], lines, at }).total).toBe(1250);
    expect(
      priced({ rules: [{ ...p, pos: ['terrace'] }], badges: ['BADGE:a'], lines, at, pos: 'bar' }).total,
    ).toBe(1250);
    expect(
      priced({ rules: [{ ...p, pos: ['bar'] }], badges: ['BADGE:a'], lines, at, pos: 'bar' }).total,
    ).toBe(1160);
  });
  it('an unknown product is refused, not priced at zero', () => {
    expect(priceLines(input({ lines: [{ sku: 'ghost', qty: 1 }] }))).toEqual({
      ok: false,
      reason: 'unknown-sku',
      sku: 'ghost',
    });
  });
});

describe('happy-hour menu overlay', () => {
  const config = {
    ...defaultVenueConfig('bar'),
    timeZone: TZ,
    promotions: [happy],
    pointsOfSale: [{ id: 'bar', name: 'Bar', devices: ['till-1'], mode: 'cashier' as const, products }],
  };
  afterEach(() => vi.useRealTimers());

  it('shows happy prices with the own prices kept aside; member prices follow', () => {
    const menu = menuAt(config, config.pointsOfSale[0], paris('18:30'));
    expect(menu[0]).toMatchObject({
      sku: 'beer',
      price: 250,
      memberPrice: 250,
      list: { price: 350, memberPrice: 300, rule: 'hh' },
    });
    expect(menu[1]).toMatchObject({ sku: 'soda', price: 230, list: { price: 255, rule: 'hh' } });
    expect(menu[1].memberPrice).toBeUndefined();
    expect(menu[2]).toBe(products[2]);
    expect(menuAt(config, config.pointsOfSale[0], paris('20:00'))).toBe(products);
  });
  it('the effective config is the same object within a state, a new one when a window opens', () => {
    expect(effectiveConfig(config, paris('17:59'))).toBe(config);
    const on = effectiveConfig(config, paris('18:00'));
    expect(on).not.toBe(config);
    expect(on.pointsOfSale[0].products[0].price).toBe(250);
    expect(effectiveConfig(config, paris('18:45'))).toBe(on);
    expect(effectiveConfig(config, paris('20:00'))).toBe(config);
    // Prices from the engine on the effective menu are never applied twice.
    const r = priceLines(input({ products: on.pointsOfSale[0].products, lines: [{ sku: 'soda', qty: 1 }] }));
    expect(r.ok && r.total).toBe(230);
    expect(openHappyHours(config, paris('19:00'))).toEqual(['hh']);
  });
  it('the watcher fires at the minute a window opens and at the minute it closes', () => {
    vi.useFakeTimers();
    let now = paris('17:58');
    vi.setSystemTime(now);
    const changes: number[] = [];
    const w = watchHappyHours(
      () => config,
      () => changes.push(now),
      () => now,
    );
    for (let i = 0; i < 130; i++) {
      now += 60_000;
      vi.setSystemTime(now);
      vi.advanceTimersByTime(60_000);
    }
    w.stop();
    expect(changes.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(['17:00', '19:00']);
  });
});

describe('rules from the cloud and from the admin screen', () => {
  it("the cloud's download replaces the cloud's rules; local rules stay and win over a cloud rule of the same id", () => {
    const local: PromotionRule = {
      id: 'hh',
      name: 'Local HH',
      kind: 'partner',
      badge: 'B',
      pct: 5,
      source: 'local',
    };
    const current = {
      ...defaultVenueConfig('bar'),
      promotions: [{ ...happy, id: 'gone', source: 'cloud' as const }, local],
    };
    const next = fromCloudConfig(
      'bar',
      {
        venue: { id: 'bar', name: 'Bar', currency: 'EUR', timeZone: 'America/Montreal' },
        promotions: [
          happy,
          { id: 'p', name: 'P', kind: 'partner', badge: 'BADGE:a', pct: 10 },
          // Malformed rules (a newer cloud, a bug) are left out rather than break taps.
          {
            id: 'bad',
            name: 'Bad',
            kind: 'happy-hour',
            windows: [{ days: [9], from: '18:00', to: '19:00' }],
          },
          { id: 'odd', name: 'Odd', kind: 'lottery' },
        ] as PromotionRule[],
      },
      current,
    );
    expect(next.timeZone).toBe('America/Montreal');
    expect(next.promotions?.map((r) => [r.id, r.source, r.name])).toEqual([
      ['p', 'cloud', 'P'],
      ['hh', 'local', 'Local HH'],
    ]);
    // A document without rules (an older cloud) leaves the rules as they are.
    expect(fromCloudConfig('bar', {}, current).promotions).toEqual(current.promotions);
  });
});
