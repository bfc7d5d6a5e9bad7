/**
 * The virtual card of the pcscd end-to-end test, run as a process of its own (started by
 * vpcd-card-child.ts): it answers vpcd from its own event loop, so the test's, which pcsclite
 * blocks in calls that wait for pcscd (SCardEstablishContext, a reader mutex held by a pending
 * SCardTransmit), can no longer keep pcscd waiting for the card, hence the test waiting for good.
 * Driven over the IPC channel, one reply per request; exits when its parent goes.
 */
import { type Clock, pn532 } from '@tibillet/firmware';
import { Acr122uEmulator } from './emulator.js';
import { connectVirtualCard, type VirtualCard } from './vpcd-card.js';
import type { CardReply, CardRequest } from './vpcd-card-child.js';

const clock: Clock = {
  now: () => performance.now(),
  setTimeout: (cb, ms) => setTimeout(cb, ms) as unknown as number,
  clearTimeout: (id) => clearTimeout(id as unknown as NodeJS.Timeout),
};
const emu = new Acr122uEmulator(clock);
let card: VirtualCard | undefined;

async function handle(req: CardRequest): Promise<Omit<CardReply, 'id'>> {
  switch (req.op) {
    case 'connect':
      if (card !== undefined) return { error: 'already connected' };
      card = await connectVirtualCard(req.port, emu);
      return {};
    case 'disconnect':
      await card?.close();
      card = undefined;
      return {};
    case 'place':
      emu.sim.placeCard(pn532.uidCard(req.uid));
      return {};
    case 'remove':
      emu.sim.removeCard();
      return {};
    case 'state':
      return {
        state: { connected: card !== undefined, controls: card?.controls ?? [], apdus: card?.apdus ?? [] },
      };
  }
}

const send = (reply: CardReply) => process.send?.(reply);
process.on('message', (req: CardRequest) => {
  handle(req).then(
    (r) => send({ id: req.id, ...r }),
    (e: Error) => send({ id: req.id, error: e.message }),
  );
});
// The test worker killed (watchdog, Ctrl-C): nothing left to answer for.
process.on('disconnect', () => process.exit(0));
send({ id: 0 });
