// Card-less payments clicked through in Debian's Chromium. The camera is Chromium's fake capture
// device playing a video of the holder's wallet QR (the page decodes real frames with jsQR); Web
// NFC, which desktop Chromium lacks, is given to the page as the reading an Android phone's
// NDEFReader would deliver (serial number + the card's URL record). Screenshots in
// test-output/apps/.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD, type Rig, rig } from './apps-helpers.js';
import { launchChromium, SHOTS } from './browser.js';
import { newSigner, qrVideo, trust, walletCode } from './cardless.js';

describe('card-less payments in Chromium', () => {
  let r: Rig;
  let browser: Browser;
  beforeAll(async () => {
    r = await rig({ credit: 3000 });
    const fed = newSigner();
    trust(r.gw.ctx.journal.db, fed);
    const video = qrVideo(mkdtempSync(join(tmpdir(), 'tb-cam-')), walletCode(fed, CARD));
    browser = await launchChromium([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await r?.close();
  });

  it('phone: the cashier scans the wallet QR with the camera and the sale is approved with the new balance', {
    timeout: 60_000,
  }, async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await ctx.grantPermissions(['camera']);
    const page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${r.base}/apps/pos/bar?lang=en&cashier=alice`);
    await page.waitForSelector('#conn.on');
    expect(await page.locator('#pay-nfc').isHidden()).toBe(true); // no Web NFC on this browser
    await page.click('.tile[data-sku="beer"]');
    await page.click('.tile[data-sku="soda"]');
    await page.click('#pay-qr');
    await page.waitForSelector('.overlay.ok');
    expect(await page.locator('#ov-title').textContent()).toBe('Approved');
    expect(await page.locator('#ov-balance').textContent()).toMatch(/24[.,]50/);
    await page.screenshot({ path: join(SHOTS, 'pos-wallet-qr-phone.png') });
    await ctx.close();
  });

  it('tablet with Web NFC: the card held against the device pays', { timeout: 60_000 }, async () => {
    const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    await ctx.addInitScript((uid: string) => {
      // what Chrome on Android hands the page when an NTAG21x is held to the phone
      class NDEFReader {
        onreading: ((ev: unknown) => void) | null = null;
        async scan() {
          setTimeout(() => {
            this.onreading?.({
              serialNumber: uid.match(/../g)?.join(':').toLowerCase(),
              message: { records: [] },
            });
          }, 300);
        }
      }
      (window as unknown as { NDEFReader: unknown }).NDEFReader = NDEFReader;
    }, CARD);
    const page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${r.base}/apps/pos/bar?lang=fr&cashier=alice`);
    await page.waitForSelector('#conn.on');
    await page.click('.tile[data-sku="burger"]');
    await page.click('#pay-nfc');
    await page.waitForSelector('.overlay.ok');
    expect(await page.locator('#ov-title').textContent()).toBe('Accepté');
    // 30,00 topped up, 5,50 paid by QR in the previous test, 9,00 now
    expect(await page.locator('#ov-balance').textContent()).toMatch(/15,50/);
    await page.screenshot({ path: join(SHOTS, 'pos-web-nfc-tablet.png') });
    await ctx.close();
  });
});
