// Debian's Chromium driven by playwright-core (never a downloaded browser), on a phone-sized page
// of a cloud listening on a real port. Screenshots go to test-output/cloud/.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import type { Db } from '../../src/index.js';
import { openTestDb } from './databases.js';
import type { Fixture } from './fixture.js';
import { jsQR } from './qr-svg.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = join(process.cwd(), 'test-output', 'cloud');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  mkdirSync(SHOTS, { recursive: true });
  console.log(`screenshots: ${SHOTS}`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface PhoneSite<C> {
  db: Db;
  /** What `open` built on the database; its app is the one listening. */
  ctx: C;
  /** The listening app's origin. */
  base: string;
  page: Page;
  /** The messages of the dialogs the page opened (each dismissed), for a test to assert there were none. */
  dialogs: string[];
  /** A full-page screenshot saved as SHOTS/<name>.png: its path. */
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** A fresh PGlite schema, `open`'s context on it with its app listening, and a phone-sized page in Chromium. */
export async function phoneSite<C extends { f: Fixture; close(): Promise<void> }>(
  open: (db: Db) => Promise<C>,
): Promise<PhoneSite<C>> {
  const handle = await openTestDb('pglite');
  let ctx: C | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await ctx?.close();
    await handle.drop();
  };
  try {
    ctx = await open(handle.db);
    const base = await ctx.f.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    page.setDefaultTimeout(15_000);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const shot = async (name: string) => {
      const path = join(SHOTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    };
    return { db: handle.db, ctx, base, page, dialogs, shot, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** What a phone camera reads from the page's QR code (svg.qr), as a door scanner would. */
export async function qrOnScreen(page: Page): Promise<string | undefined> {
  const png = PNG.sync.read(await page.locator('svg.qr').screenshot());
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}
