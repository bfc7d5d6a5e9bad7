// The gateway's membership cache (the cloud's status with an expiry) and its two users, the door
// desk and the tills: the same card gets the same answer at both, a door refusal says why
// ('membership-expired' and when), a stale entry is trusted offline only within the stand-in
// window, and the cache survives a restart.
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { decide } from '../src/authorizer/authorizer.js';
import { CardBook } from '../src/authorizer/card-book.js';
import { DoorDesk } from '../src/door/door-desk.js';
import { MembershipCache, membershipVerdict } from '../src/sync/membership-cache.js';
import { venueConfig } from './helpers.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 5, 1, 20, 0, 0);

describe('membershipVerdict (pure)', () => {
  const ttl = 15 * 60_000;
  const standIn = DAY;
  it('valid ⇔ validFrom <= now < validUntil; expired and never-member are told apart', () => {
    const e = { validFrom: NOW - DAY, validUntil: NOW + DAY, fetchedAt: NOW };
    expect(membershipVerdict(e, NOW, ttl, standIn)).toEqual({
      member: true,
      validUntil: NOW + DAY,
      stale: false,
    });
    expect(membershipVerdict({ ...e, validUntil: NOW }, NOW, ttl, standIn)).toMatchObject({
      member: false,
      reason: 'membership-expired',
      validUntil: NOW,
    });
    expect(
      membershipVerdict({ validFrom: null, validUntil: null, fetchedAt: NOW }, NOW, ttl, standIn),
    ).toMatchObject({
      member: false,
      reason: 'membership-required',
    });
    expect(membershipVerdict(undefined, NOW, ttl, standIn)).toMatchObject({ reason: 'membership-unknown' });
  });
  it('past the TTL the entry is stale; past TTL + stand-in it is unknown', () => {
    const e = { validFrom: NOW - DAY, validUntil: NOW + 7 * DAY, fetchedAt: NOW };
    expect(membershipVerdict(e, NOW + ttl + 1, ttl, standIn)).toMatchObject({ member: true, stale: true });
    expect(membershipVerdict(e, NOW + ttl + standIn + 1, ttl, standIn)).toMatchObject({
      member: false,
      reason: 'membership-unknown',
    });
  });
});

function setup() {
  const db = new Database(':memory:');
  const cache = new MembershipCache(db);
  let now = NOW;
  const desk = new DoorDesk({ db, venueId: 'bar', log: pino({ level: 'silent' }), now: () => now });
  const event = (id: string) =>
    db
      .prepare(
        'INSERT INTO door_events (event_id, title, status, timezone, valid_from, valid_until, cursor) VALUES (?, ?, ?, ?, ?, ?, 0)',
      )
      .run(id, `Event ${id}`, 'scheduled', 'Europe/Paris', NOW - HOUR, NOW + 4 * HOUR);
  let n = 0;
  const ticket = (eventId: string, card: string, audience = 'full') =>
    db
      .prepare(
        `INSERT INTO door_tickets (ticket_id, event_id, card_uid, category_no, audience, status, valid_from, valid_until)
         VALUES (?, ?, ?, 1, ?, 'valid', ?, ?)`,
      )
      .run(`t${n++}`, eventId, card, audience, NOW - HOUR, NOW + 4 * HOUR);
  return {
    db,
    cache,
    desk,
    event,
    ticket,
    setNow: (t: number) => {
      now = t;
    },
  };
}

const MEMBER = '04AA000000000A';
const LAPSED = '04AA000000000B';
const NEVER = '04AA000000000C';

describe('door desk and tills share the cache', () => {
  it('members-only event: member admitted; expired told so with its date; never-member told members only', () => {
    const s = setup();
    s.event('ag');
    for (const c of [MEMBER, LAPSED, NEVER]) s.ticket('ag', c);
    s.cache.applyDoc(
      {
        ttlMs: 15 * 60_000,
        standInMs: DAY,
        membersOnlyEvents: ['ag'],
        cards: [
          { cardUid: MEMBER, validFrom: NOW - 30 * DAY, validUntil: NOW + 300 * DAY },
          { cardUid: LAPSED, validFrom: NOW - 400 * DAY, validUntil: Date.UTC(2026, 4, 20) },
        ],
      },
      NOW,
    );
    expect(s.desk.needsMembership(MEMBER, s.cache)).toBe(true);
    expect(s.desk.check(MEMBER, 'door-1', undefined, s.cache)).toMatchObject({ ok: true });
    const lapsed = s.desk.check(LAPSED, 'door-1', undefined, s.cache);
    expect(lapsed).toMatchObject({
      ok: false,
      reason: 'membership-expired',
      lines: ['membership expired', '2026-05-20'],
      membershipUntil: Date.UTC(2026, 4, 20),
    });
    expect(s.desk.check(NEVER, 'door-1', undefined, s.cache)).toMatchObject({
      ok: false,
      reason: 'membership-required',
      lines: ['members only'],
    });
    // Already admitted beats membership: the member's second tap says already scanned.
    expect(s.desk.check(MEMBER, 'door-2', undefined, s.cache)).toMatchObject({ reason: 'already-scanned' });
    expect(s.desk.needsMembership(MEMBER, s.cache)).toBe(false);
  });

  it('member-price tickets need the membership at the door; full-price ones do not', () => {
    const s = setup();
    s.event('gig');
    s.ticket('gig', LAPSED, 'member');
    s.ticket('gig', NEVER, 'full');
    s.cache.applyDoc(
      { cards: [{ cardUid: LAPSED, validFrom: NOW - 400 * DAY, validUntil: NOW - DAY }] },
      NOW,
    );
    expect(s.desk.check(LAPSED, 'door-1', undefined, s.cache)).toMatchObject({
      reason: 'membership-expired',
    });
    expect(s.desk.check(NEVER, 'door-1', undefined, s.cache)).toMatchObject({ ok: true });
  });

  it('one answer per card at the door and at the till, from valid to expired to unknown offline', () => {
    const s = setup();
    s.event('ag');
    s.ticket('ag', MEMBER);
    s.ticket('ag', MEMBER);
    const until = NOW + HOUR;
    s.cache.applyDoc(
      {
        ttlMs: 10 * 60_000,
        standInMs: 2 * HOUR,
        membersOnlyEvents: ['ag'],
        cards: [{ cardUid: MEMBER, validFrom: NOW - DAY, validUntil: until }],
      },
      NOW,
    );
    const config = venueConfig(['till-1'], { memberBadges: ['MEMBER:bar'] });
    const book = new CardBook();
    const card = book.lease(MEMBER, [{ asset: 'EUR', amount: 5000 }], NOW + HOUR, false);
    const till = (at: number) =>
      decide(
        {
          tx: 'till-1-1',
          uid: MEMBER,
          mode: 'cashier',
          cart: [{ sku: 'beer', qty: 1, price: 300 }],
        } as never,
        {
          config,
          pos: config.pointsOfSale[0],
          book,
          card,
          now: at,
          leaseValid: true,
          member: s.cache.verdict(MEMBER, at).member,
        },
      );
    // Valid: member price at the bar, admitted at the door.
    expect(till(NOW)).toMatchObject({ ok: true, amount: 300 });
    expect(s.desk.check(MEMBER, 'door-1', undefined, s.cache).ok).toBe(true);
    // An hour later the membership has ended (the cloud had said when): both places agree.
    const later = until + 60_000;
    s.setNow(later);
    s.db.prepare('DELETE FROM door_entries').run();
    expect(s.cache.verdict(MEMBER, later)).toMatchObject({
      member: false,
      reason: 'membership-expired',
      stale: true,
    });
    expect(till(later)).toMatchObject({ ok: false, reason: 'stale-price' }); // 300 is no longer this card's price
    expect(s.desk.check(MEMBER, 'door-1', undefined, s.cache)).toMatchObject({
      reason: 'membership-expired',
    });
    // Beyond TTL + stand-in without news from the cloud: unknown, at both places.
    const blind = NOW + 10 * 60_000 + 2 * HOUR + 1;
    s.setNow(blind);
    expect(s.cache.verdict(MEMBER, blind)).toMatchObject({ member: false, reason: 'membership-unknown' });
    expect(s.desk.check(MEMBER, 'door-1', undefined, s.cache)).toMatchObject({
      reason: 'membership-unknown',
      lines: ['membership unknown'],
    });
    // A lease from the cloud (renewed meanwhile) refreshes the card: valid again everywhere.
    s.cache.applyLease(MEMBER, { state: 'valid', validFrom: NOW - DAY, validUntil: NOW + 365 * DAY }, blind);
    expect(s.cache.verdict(MEMBER, blind)).toMatchObject({ member: true, stale: false });
    expect(s.desk.check(MEMBER, 'door-1', undefined, s.cache).ok).toBe(true);
  });

  it('a 304 on the config confirms the list; the cache survives a restart', () => {
    const s = setup();
    s.cache.applyDoc(
      {
        ttlMs: 60_000,
        standInMs: HOUR,
        membersOnlyEvents: ['ag'],
        cards: [{ cardUid: MEMBER, validFrom: NOW - DAY, validUntil: NOW + DAY }],
      },
      NOW,
    );
    expect(s.cache.stale(MEMBER, NOW + 2 * 60_000)).toBe(true);
    expect(s.cache.stale(NEVER, NOW + 2 * 60_000)).toBe(true);
    s.cache.confirmed(NOW + 2 * 60_000);
    expect(s.cache.stale(MEMBER, NOW + 2 * 60_000)).toBe(false);
    expect(s.cache.verdict(NEVER, NOW + 2 * 60_000)).toMatchObject({
      reason: 'membership-required',
      stale: false,
    });
    const again = new MembershipCache(s.db);
    expect(again.isMembersOnly('ag')).toBe(true);
    expect(again.ttlMs).toBe(60_000);
    expect(again.verdict(MEMBER, NOW + 2 * 60_000)).toMatchObject({ member: true });
    // A cache that never heard from the cloud knows nothing (standalone: badges decide prices).
    expect(new MembershipCache(new Database(':memory:')).known).toBe(false);
  });
});
