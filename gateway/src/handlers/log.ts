/** log: a terminal reports a fault (reader error, a forged down message it refused…). */
import type { protocol } from '@tibillet/firmware';
import type { GatewayContext } from '../context.js';

export function handleLog(ctx: GatewayContext, deviceId: string, m: protocol.Message<'log'>): void {
  const b = m.b;
  if (b.lvl === 'error' || b.lvl === 'warn')
    ctx.devices.seen(deviceId, { lastError: b.code, lastSeen: Date.now() });
  const level = b.lvl === 'debug' ? 'debug' : b.lvl;
  ctx.log[level]({ deviceId, code: b.code, text: b.text }, 'terminal log');
}
