// Debian's Chromium driven by playwright-core (never a downloaded browser), shared by the browser
// tests and the POS bench; and the wait for the charge the POS pushed to the simulated terminal.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { protocol } from '@tibillet/firmware';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { sleep } from '../helpers.js';
import type { Rig } from './apps-helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = join(process.cwd(), 'test-output', 'apps');

/** `extraArgs`: e.g. a fake camera (--use-file-for-fake-video-capture=…). */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', ...extraArgs],
  });
}

/**
 * A phone-sized page in a fresh context (the admin screens' target), its confirm dialogs accepted
 * and recorded (a test asserts none came unexpectedly).
 */
export async function phonePage(
  browser: Browser,
): Promise<{ ctx: BrowserContext; page: Page; dialogs: string[] }> {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15_000);
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.accept();
  });
  return { ctx, page, dialogs };
}

/** The `seen`-th charge the POS pushed to the rig's terminal. */
export async function nextCharge(r: Rig, seen: number, ms = 15_000): Promise<protocol.ChargeBody> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const list = r.till.received.filter((m) => m.k === 'charge');
    if (list.length > seen) return list[seen].b as protocol.ChargeBody;
    await sleep(20);
  }
  throw new Error('no charge reached the terminal');
}
