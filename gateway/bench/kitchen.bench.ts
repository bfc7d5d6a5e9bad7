// kitchen.eventP95Ms500 (and the full-render guard's counts): the kitchen display in headless
// Chromium with 500 open orders; each measured event is a paid order reaching the screen (HTTP
// order + payment, routing, SSE, DOM patch, next animation frame) or a bump recolouring a card.
// kitchen.cardsRebuiltPerEvent is how many other cards an event rebuilt (0 when patched in place).
import { json, rig } from '../test/apps/apps-helpers.js';
import { launchChromium } from '../test/apps/browser.js';
import { changesDuring, openTickets, sellBurger, watchKitchen } from '../test/apps/kitchen-load.js';

const OPEN = 500;
const EVENTS = 30;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

export async function run(): Promise<Record<string, number>> {
  const r = await rig();
  const browser = await launchChromium();
  try {
    await openTickets(r, OPEN);
    const page = await watchKitchen(browser, r.base, OPEN);
    const ms: number[] = [];
    let rebuilt = 0;
    for (let i = 0; i < EVENTS; i++) {
      const c = await changesDuring(
        page,
        () => sellBurger(r),
        `document.querySelectorAll('#tickets .ticket').length === ${OPEN + i + 1}`,
      );
      ms.push(c.ms);
      rebuilt += c.removed + Math.max(0, c.added - 1);
    }
    const open = (await json(r.base, 'GET', '/apps/api/kitchen/kitchen/tickets')).body as { id: number }[];
    for (const t of open.slice(0, EVENTS)) {
      const c = await changesDuring(
        page,
        () => json(r.base, 'POST', `/apps/api/kitchen/tickets/${t.id}/bump`, { from: 'new' }),
        `document.querySelector('[data-id="${t.id}"]').classList.contains('s-preparing')`,
      );
      ms.push(c.ms);
      rebuilt += c.added + c.removed + Math.max(0, c.touched - 1);
    }
    return {
      'kitchen.eventP50Ms500': quantile(ms, 0.5),
      'kitchen.eventP95Ms500': quantile(ms, 0.95),
      'kitchen.cardsRebuiltPerEvent': rebuilt / ms.length,
    };
  } finally {
    await browser.close();
    await r.close();
  }
}
