// Pure cores of the returned-card and time-voucher rules (no database).
import { describe, expect, it } from 'vitest';
import { reissueBlocker } from '../src/ledger/reissue.js';
import { normaliseRule, planConversion, type TimeVoucherRule } from '../src/ledger/time-vouchers.js';
import type { VenueCtx } from '../src/ledger/venue.js';

const venue = {
  id: 'bar',
  assets: new Map([
    ['GIFT:bar', { code: 'GIFT:bar', kind: 'gift', refundable: false, venueId: 'bar' }],
    ['LOYAL:bar', { code: 'LOYAL:bar', kind: 'loyalty', refundable: false, venueId: 'bar' }],
    ['LOC:bar', { code: 'LOC:bar', kind: 'local', refundable: true, venueId: 'bar' }],
    ['GIFT:cafe', { code: 'GIFT:cafe', kind: 'gift', refundable: false, venueId: 'cafe' }],
  ]),
} as unknown as VenueCtx;

describe('time → voucher rule', () => {
  const rule: TimeVoucherRule = {
    minutes: 60,
    giftAmount: 250,
    asset: 'GIFT:bar',
    capUnits: 4,
    periodDays: 7,
  };
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as { code: string }).code;
    }
    return 'ok';
  };

  it('normalises defaults and refuses assets that are not the venue’s own vouchers', () => {
    expect(normaliseRule(venue, { minutes: 30, giftAmount: 100 })).toEqual({
      minutes: 30,
      giftAmount: 100,
      asset: 'GIFT:bar',
      capUnits: null,
      periodDays: 7,
    });
    expect(normaliseRule(venue, { ...rule, asset: 'LOYAL:bar' }).asset).toBe('LOYAL:bar');
    for (const asset of ['GIFT:cafe', 'LOC:bar', 'EUR'])
      expect(code(() => normaliseRule(venue, { ...rule, asset }))).toBe('bad-rule');
    for (const bad of [
      { minutes: 0 },
      { minutes: 1.5 },
      { giftAmount: -1 },
      { capUnits: 0 },
      { periodDays: 400 },
    ])
      expect(code(() => normaliseRule(venue, { ...rule, ...bad }))).toBe('bad-rule');
  });

  it('plans whole blocks only, within the hours held and the cap', () => {
    expect(planConversion(rule, 120, 500, 1)).toEqual({ units: 2, minutes: 120, amount: 500 });
    expect(planConversion({ ...rule, capUnits: null }, 600, 600, 99)).toEqual({
      units: 10,
      minutes: 600,
      amount: 2500,
    });
    expect(code(() => planConversion(null, 60, 60, 0))).toBe('no-voucher-rule');
    expect(code(() => planConversion(rule, 90, 500, 0))).toBe('not-whole-units');
    expect(code(() => planConversion(rule, 0, 500, 0))).toBe('bad-amount');
    expect(code(() => planConversion(rule, 120, 119, 0))).toBe('insufficient-time');
    expect(code(() => planConversion(rule, 120, 500, 3))).toBe('voucher-cap-reached');
    expect(code(() => planConversion(rule, 60, 500, 3))).toBe('ok');
  });
});

describe('returned card blockers', () => {
  const card = { walletId: 7, blocked: false, replacedBy: null, personId: null };
  it('names the first reason a card cannot be re-issued', () => {
    expect(reissueBlocker('C1', card, null, 2)).toBeNull();
    expect(reissueBlocker('C1', null, null, 0)?.status).toBe(404);
    expect(reissueBlocker('C1', { ...card, blocked: true, replacedBy: 'C2' }, 'r1', 2)).toMatchObject({
      error: 'card-blocked',
      message: expect.stringContaining('replaced by C2'),
    });
    expect(reissueBlocker('C1', card, 'r1', 2)?.error).toBe('refund-pending');
    expect(reissueBlocker('C1', card, null, 2, 1)?.error).toBe('card-has-tickets');
    expect(reissueBlocker('C1', card, null, 0)?.error).toBe('card-already-clean');
    expect(reissueBlocker('C1', { ...card, walletId: null }, null, 0)?.error).toBe('card-already-clean');
  });
});
