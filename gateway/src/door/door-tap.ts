/** A tap in door mode: the venue's door desk admits the card's ticket once, or says why not. */
import type { protocol } from '@tibillet/firmware';
import type { GatewayContext } from '../context.js';
import { membershipCacheOf } from '../sync/membership-cache.js';
import type { ResultBody, TapBody } from '../types.js';
import { doorDeskOf } from './door-desk.js';

const MEMBERSHIP_WAIT_MS = 800;

export async function handleDoorTap(ctx: GatewayContext, deviceId: string, tap: TapBody): Promise<void> {
  ctx.metrics.taps.inc({ mode: 'door' });
  const desk = doorDeskOf(ctx);
  const members = membershipCacheOf(ctx);
  let body: ResultBody;
  const pos = ctx.config().pointsOfSale.find((p) => p.devices.includes(deviceId));
  if (pos?.mode !== 'door') body = { tx: tap.tx, ok: false, reason: 'not-allowed', lines: ['not a door'] };
  else if (!desk) body = { tx: tap.tx, ok: false, reason: 'no-ticket', lines: ['no ticket list'] };
  else {
    try {
      // A stale membership is refreshed (with the card's lease) before a ticket that needs it.
      const sync = ctx.sync;
      if (
        members &&
        sync?.online &&
        members.stale(tap.uid, Date.now()) &&
        desk.needsMembership(tap.uid, members)
      )
        await Promise.race([
          sync.fetchLeases([tap.uid]),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error('lease timeout')), MEMBERSHIP_WAIT_MS),
          ),
        ]).catch(() => undefined); // unreachable: the cache's stand-in rule decides
      const a = desk.check(tap.uid, deviceId, tap.tx, members);
      // The terminal words the verdict itself, in its language ('approved' / the reason's text):
      // it gets the details only (event title; when and where first scanned; validity dates).
      body = { tx: tap.tx, ok: a.ok, lines: a.lines.slice(1, 4) };
      if (a.reason) body.reason = a.reason;
      if (a.ok) ctx.metrics.approvals.inc({ offline: String(ctx.sync?.online === false) });
      else ctx.metrics.declines.inc({ reason: a.reason ?? 'no-ticket' });
    } catch (e) {
      ctx.log.error({ err: (e as Error).message, tx: tap.tx }, 'door check failed');
      body = { tx: tap.tx, ok: false, reason: 'gateway-error' };
    }
  }
  ctx.events?.emit('result', { deviceId, tap, body });
  await ctx.send(deviceId, 'result', body as protocol.ResultBody);
}
