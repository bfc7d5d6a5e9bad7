/** hello: a terminal (re)booted. Record what it runs, send it its config. */
import type { protocol } from '@tibillet/firmware';
import type { GatewayContext } from '../context.js';

export async function handleHello(
  ctx: GatewayContext,
  deviceId: string,
  m: protocol.Message<'hello'>,
): Promise<void> {
  const b = m.b;
  ctx.devices.seen(deviceId, {
    online: true,
    firmware: b.fw,
    board: b.board,
    reader: b.reader,
    freeMemory: b.mem,
    lastSeen: Date.now(),
  });
  if (b.corrupt) ctx.log.warn({ deviceId }, 'terminal storage was corrupt at boot and was reset');
  ctx.log.info({ deviceId, fw: b.fw, board: b.board, reader: b.reader, reset: b.reset }, 'terminal hello');
  await ctx.pushConfig(deviceId);
}
