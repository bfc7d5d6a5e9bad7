// The admin screen tests' rig: the apps rig with its till greeted and holding its first config (so
// a test counts the config pushes its own edits cause), and Chromium; close() closes both.
import type { Browser } from 'playwright-core';
import { until } from '../helpers.js';
import { type Rig, rig } from './apps-helpers.js';
import { launchChromium } from './browser.js';

export interface ScreenRig extends Rig {
  browser: Browser;
}

export async function adminScreenRig(): Promise<ScreenRig> {
  const r = await rig();
  try {
    r.till.send('hello', { fw: 't', board: 'sim', reader: 'none', mem: 0, reset: 'power' });
    await until('first config', () => r.till.received.some((m) => m.k === 'config'));
    const browser = await launchChromium();
    return {
      ...r,
      browser,
      async close() {
        await browser.close();
        await r.close();
      },
    };
  } catch (e) {
    await r.close();
    throw e;
  }
}
