// A kitchen display with hundreds of open tickets, watched in Chromium: how each live event
// changes the DOM (a MutationObserver on the ticket list) and how long it takes from the server
// event to the patched screen. Shared by the browser test and the kitchen bench.
import type { Browser, Page } from 'playwright-core';
import { cartId, json, type Rig } from './apps-helpers.js';

/** Paid POS orders whose burger goes to the kitchen station: one open ticket each. */
export async function openTickets(r: Rig, n: number): Promise<void> {
  await json(r.base, 'PUT', '/apps/api/kitchen/routes', { routes: { 'cat:food': 'kitchen' } });
  for (let i = 0; i < n; i++) await sellBurger(r);
}

export async function sellBurger(r: Rig): Promise<string> {
  const id = cartId();
  const o = await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
    id,
    cashier: 'alice',
    lines: [{ sku: 'burger', qty: 1, price: 900 }],
  });
  if (o.status !== 200) throw new Error(`order refused: ${JSON.stringify(o.body)}`);
  const p = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, {
    method: 'cash',
    cashier: 'alice',
  });
  if (p.status !== 200) throw new Error(`payment refused: ${JSON.stringify(p.body)}`);
  return id;
}

export interface DomChange {
  /** Ticket cards added to / removed from the list. */
  added: number;
  removed: number;
  /** Distinct ticket cards touched (text or class changes inside them). */
  touched: number;
}

/** Opens the display and starts recording mutations of the ticket list. */
export async function watchKitchen(browser: Browser, base: string, expected: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  page.setDefaultTimeout(15_000);
  await page.goto(`${base}/apps/kitchen/kitchen?lang=en`);
  await page.waitForSelector('#conn.on');
  await page.waitForFunction((n) => document.querySelectorAll('#tickets .ticket').length === n, expected);
  await page.evaluate(() => {
    const w = window as unknown as { __muts: MutationRecord[]; __obs: MutationObserver };
    w.__muts = [];
    w.__obs = new MutationObserver((m) => w.__muts.push(...m));
    w.__obs.observe(document.getElementById('tickets') as HTMLElement, {
      childList: true,
      subtree: true,
      characterData: true,
      attributes: true,
    });
  });
  return page;
}

/**
 * Runs `act` (which makes the server emit events), waits until `done` holds on the page, and
 * returns the DOM changes it caused, ignoring the once-a-second timer refresh.
 */
export async function changesDuring(
  page: Page,
  act: () => Promise<unknown>,
  done: string,
): Promise<DomChange & { ms: number }> {
  await page.evaluate(() => {
    (window as unknown as { __muts: MutationRecord[] }).__muts.length = 0;
  });
  const t0 = performance.now();
  await act();
  await page.waitForFunction(done, undefined, { polling: 'raf' });
  const ms = performance.now() - t0;
  const c = await page.evaluate(() => {
    const muts = (window as unknown as { __muts: MutationRecord[] }).__muts;
    let added = 0;
    let removed = 0;
    const touched = new Set<Element>();
    for (const m of muts) {
      const target = m.target instanceof Element ? m.target : m.target.parentElement;
      if (target?.closest('.timer')) continue;
      if (m.type === 'childList' && (m.target as Element).id === 'tickets') {
        added += [...m.addedNodes].filter(
          (n) => n instanceof Element && n.classList.contains('ticket'),
        ).length;
        removed += [...m.removedNodes].filter(
          (n) => n instanceof Element && n.classList.contains('ticket'),
        ).length;
        continue;
      }
      // no named helper in here: tsx would wrap it in a __name() call the page does not have
      const t = target?.closest('.ticket');
      if (t) touched.add(t);
    }
    return { added, removed, touched: touched.size };
  });
  return { ...c, ms };
}
