/**
 * tap: the money path. Verified message in → idempotency (journal, in-flight) → SUN check →
 * lease if needed → decision → local balances → durable journal → result out.
 * The result is published only after the journal record is on disk.
 */
import { protocol } from '@tibillet/firmware';
import { decide } from '../authorizer/authorizer.js';
import { checkSun } from '../authorizer/sun-check.js';
import type { GatewayContext, PosCharge } from '../context.js';
import { handleDoorTap } from '../door/door-tap.js';
import type { TxRecord } from '../journal/journal.js';
import { cardHistory } from '../promotions/history.js';
import { memberForPrices, partnerForPrices } from '../sync/membership-cache.js';
import type { ResultBody, TapBody } from '../types.js';
import { configIndex, type PointOfSale } from '../venue-config.js';

const LEASE_WAIT_MS = 800;

export async function handleTap(
  ctx: GatewayContext,
  deviceId: string,
  m: protocol.Message<'tap'>,
): Promise<void> {
  const started = performance.now();
  const tap = m.b;
  if (!tap.tx.startsWith(`${deviceId}-`)) {
    // tx ids are minted by the terminal as "<device>-<counter>": another device's id is refused.
    ctx.metrics.rejected.inc({ reason: 'bad-tx' });
    ctx.log.warn({ deviceId, tx: tap.tx }, 'tap with a tx id of another device');
    return;
  }
  // Door mode: tickets, not money (the door desk admits once across the venue's doors).
  if (tap.mode === 'door') return handleDoorTap(ctx, deviceId, tap);
  let result = ctx.inflight.get(tap.tx);
  if (!result) {
    // A first send carries its own counter in its tx id; counters only rise (verified), so such a
    // tx cannot be journaled yet. Only re-sends (queued offline, or after a timeout) are looked up.
    const stored = tap.tx === `${deviceId}-${m.n}` ? undefined : ctx.journal.find(tap.tx);
    if (stored) {
      ctx.metrics.taps.inc({ mode: 'replay' });
      await ctx.send(deviceId, 'result', JSON.parse(stored.result) as ResultBody);
      return;
    }
    result = decideAndJournal(ctx, deviceId, tap);
    ctx.inflight.set(tap.tx, result);
    const done = () => ctx.inflight.delete(tap.tx);
    result.then(done, done);
  }
  const body = await result;
  ctx.events?.emit('result', { deviceId, tap, body });
  await ctx.send(deviceId, 'result', body);
  ctx.metrics.tapLatency.observe((performance.now() - started) / 1000);
}

/**
 * `via`: a payment the POS takes itself (the wallet QR on a phone, a card read by the POS's own NFC):
 * its point of sale and the charge it pays, with no terminal in between.
 */
export async function decideAndJournal(
  ctx: GatewayContext,
  deviceId: string,
  tap: TapBody,
  via?: { pos: PointOfSale; charge: PosCharge },
): Promise<ResultBody> {
  const config = ctx.config();
  const card = ctx.book.get(tap.uid);
  ctx.metrics.taps.inc({ mode: tap.mode });

  let reason: string | undefined;
  const keys = configIndex(config).cardKeys.get(tap.uid);
  let sunCounter: number | undefined;
  if (keys) {
    const sun = checkSun(tap.uid, tap.sun, keys, card.sunCounter);
    if (!sun.ok) reason = sun.reason;
    else {
      sunCounter = sun.counter;
      card.sunCounter = sun.counter; // before any await: a concurrent clone with the same counter fails
    }
  }

  let leaseValid = card.leaseUntil > Date.now();
  if (!reason && !leaseValid && ctx.sync?.online !== false && ctx.sync) {
    try {
      await Promise.race([
        ctx.sync.fetchLeases([tap.uid]),
        new Promise((_, reject) => setTimeout(() => reject(new Error('lease timeout')), LEASE_WAIT_MS)),
      ]);
      leaseValid = card.leaseUntil > Date.now();
    } catch {
      leaseValid = false; // the cloud is slow or down: stand-in rules
    }
  }
  if (!ctx.sync) leaseValid = true; // standalone venue: the gateway is the ledger

  const pos = via?.pos ?? config.pointsOfSale.find((p) => p.devices.includes(deviceId));
  const decision = reason
    ? ({ ok: false, reason } as const)
    : decide(tap, {
        config,
        pos,
        book: ctx.book,
        card,
        now: Date.now(),
        leaseValid,
        charge: via?.charge ?? (tap.ref ? ctx.charge(deviceId, tap.ref) : undefined),
        member: memberForPrices(ctx, tap.uid, Date.now()),
        partner: (key) => partnerForPrices(ctx, tap.uid, key, Date.now()),
        history: (since) => cardHistory(ctx.journal.db, tap.uid, since),
      });

  let body: ResultBody;
  let rec: TxRecord;
  const at = Date.now();
  if (!decision.ok) {
    ctx.metrics.declines.inc({ reason: decision.reason });
    body = { tx: tap.tx, ok: false, reason: decision.reason };
    rec = {
      tx: tap.tx,
      device: deviceId,
      card: tap.uid,
      type: 'declined',
      legs: [],
      result: '',
      offline: false,
      at,
      extra: { reason: decision.reason },
    };
  } else {
    // A spend, and a self-service hold, take from the card now; a top-up credits it.
    if (decision.type !== 'balance')
      ctx.book.apply(card, decision.legs, decision.type === 'topup' ? 1 : -1, decision.standIn);
    ctx.metrics.approvals.inc({ offline: String(decision.offline) });
    body = { tx: tap.tx, ok: true, amt: decision.amount };
    if (decision.type === 'hold') body.ml = decision.ml;
    if (decision.type === 'spend' && decision.lines?.length) body.lines = decision.lines;
    rec = {
      tx: tap.tx,
      device: deviceId,
      card: tap.uid,
      type: decision.type,
      legs: decision.legs,
      result: '',
      offline: decision.offline,
      at,
      extra:
        decision.type === 'topup'
          ? { funding: 'cash' }
          : decision.standIn > 0
            ? { standIn: decision.standIn }
            : undefined,
    };
    // Which promotion rules applied, and what a terminal cart bought (history promotions read it).
    if (decision.type === 'spend' && (decision.items || decision.promo))
      rec.extra = { ...rec.extra, items: decision.items, promo: decision.promo };
    // The card issue whose balances approved it: the cloud never books it on a later holder.
    if (card.issue !== undefined && decision.type !== 'balance')
      rec.extra = { ...rec.extra, issue: card.issue };
  }
  const bal = ctx.book.shown(card);
  if (bal.length > 0) body.bal = bal;
  rec.result = protocol.encodeCanonical(body as unknown as protocol.Json);
  const moves = rec.type === 'spend' || rec.type === 'topup';
  const undo = () => {
    if (moves && decision.ok && ctx.book.sameHolder(card, rec.extra?.issue))
      ctx.book.apply(card, decision.legs, decision.type === 'spend' ? 1 : -1, -decision.standIn);
  };
  try {
    if (!(await ctx.journal.append(rec, moves ? 0 : 3))) {
      // Already journaled (a re-send raced the first): the first answer stands, this one never happened.
      undo();
      const stored = ctx.journal.find(tap.tx);
      return stored
        ? (JSON.parse(stored.result) as ResultBody)
        : { tx: tap.tx, ok: false, reason: 'gateway-error' };
    }
  } catch (e) {
    undo();
    ctx.log.error({ err: (e as Error).message, tx: tap.tx }, 'journal write failed: tap declined');
    return { tx: tap.tx, ok: false, reason: 'gateway-error' };
  }
  if (sunCounter !== undefined)
    ctx.journal.saveCard({
      uid: card.uid,
      cloud: [...card.cloud].map(([asset, amount]) => ({ asset, amount })),
      leaseUntil: card.leaseUntil,
      blocked: card.blocked,
      sunCounter,
      issue: card.issue,
      baseIssue: card.baseIssue,
    });
  if (moves) ctx.sync?.notify();
  return body;
}
