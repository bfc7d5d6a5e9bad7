/** heartbeat: liveness, uptime and the terminal's offline queue length. */
import type { protocol } from '@tibillet/firmware';
import type { GatewayContext } from '../context.js';

export function handleHeartbeat(
  ctx: GatewayContext,
  deviceId: string,
  m: protocol.Message<'heartbeat'>,
): void {
  ctx.devices.seen(deviceId, { online: true, lastSeen: Date.now(), uptime: m.b.up, queued: m.b.q });
}
