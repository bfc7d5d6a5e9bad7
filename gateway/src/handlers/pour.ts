/**
 * pour: a self-service tap reports what flowed after its authorization (hold). The charge is
 * recomputed from the hold and must match the terminal's; it is journaled once, as `<tx>-p`,
 * and the rest of the hold goes back to the card. A repeated pour gets the same answer.
 */
import { protocol } from '@tibillet/firmware';
import { pourCharge, takeFromLegs } from '../authorizer/selfpour.js';
import type { GatewayContext } from '../context.js';
import type { ResultBody } from '../types.js';

export async function handlePour(
  ctx: GatewayContext,
  deviceId: string,
  m: protocol.Message<'pour'>,
): Promise<void> {
  const p = m.b;
  const id = `${p.tx}-p`.slice(0, 64);
  const refuse = (why: string) => {
    ctx.metrics.declines.inc({ reason: 'not-allowed' });
    ctx.log.warn({ deviceId, tx: p.tx, why }, 'pour refused');
    return ctx.send(deviceId, 'result', { tx: p.tx, ok: false, reason: 'not-allowed' });
  };
  const done = ctx.journal.find(id);
  if (done) return ctx.send(deviceId, 'result', JSON.parse(done.result) as ResultBody);
  const hold = ctx.journal.find(p.tx);
  if (!p.tx.startsWith(`${deviceId}-`) || hold?.type !== 'hold')
    return refuse('no authorization for this tx');
  const auth = JSON.parse(hold.result) as ResultBody;
  const amount = auth.amt ?? 0;
  const expected = pourCharge(amount, auth.ml ?? 1, p.ml);
  if (p.amt !== expected) return refuse(`amount ${p.amt} differs from ${expected}`);
  const card = ctx.book.get(hold.card);
  const legs = takeFromLegs(hold.legs, expected);
  // A hold of a former holder (the card was re-issued since) is no longer in this holder's balances.
  const mine = ctx.book.sameHolder(card, hold.extra?.issue);
  if (mine) {
    ctx.book.apply(card, hold.legs, 1); // release the hold…
    ctx.book.apply(card, legs, -1); // …and take what was poured
  }
  const body: ResultBody = { tx: p.tx, ok: true, amt: expected };
  const bal = ctx.book.shown(card);
  if (bal.length > 0) body.bal = bal;
  const result = protocol.encodeCanonical(body as unknown as protocol.Json);
  const moves = expected > 0;
  const inserted = await ctx.journal.append(
    {
      tx: id,
      device: deviceId,
      card: hold.card,
      type: moves ? 'spend' : 'declined',
      legs: moves ? legs : [],
      result,
      offline: hold.offline,
      at: Date.now(),
      extra:
        hold.extra?.issue === undefined
          ? { reason: `pour ${p.ml} ml (${p.end})` }
          : { reason: `pour ${p.ml} ml (${p.end})`, issue: hold.extra.issue },
    },
    moves ? 0 : 3,
  );
  if (!inserted) {
    // A concurrent copy of this pour won: undo ours, answer with the journaled one.
    if (mine) {
      ctx.book.apply(card, legs, 1);
      ctx.book.apply(card, hold.legs, -1);
    }
    const first = ctx.journal.find(id);
    return ctx.send(deviceId, 'result', first ? (JSON.parse(first.result) as ResultBody) : body);
  }
  if (moves) ctx.sync?.notify();
  ctx.log.info({ deviceId, tx: p.tx, ml: p.ml, amt: expected, end: p.end }, 'pour charged');
  await ctx.send(deviceId, 'result', body);
}
