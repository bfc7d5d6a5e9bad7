// Paying with the wallet QR end to end: the holder opens the wallet page the cloud serves, the
// code it shows (read back from the SVG as a camera would) is paid at the venue gateway's POS,
// which trusts it with the keys it pulled from the cloud; the spend syncs back and the cloud's
// balance drops by exactly the sale.
import { randomUUID } from 'node:crypto';
import { walletPath } from '@tibillet/cloud';
import type { Gateway } from '@tibillet/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeQrSvg } from '../../cloud/test/helpers/qr-svg.js';
import { startHttp } from '../../gateway/src/http/server.js';
import { sleep } from '../../gateway/test/helpers.js';
import { cashTopUpBatch, cloudApi } from '../helpers/cloud-api.js';
import { startVenueGateway } from '../helpers/venue-gateway.js';
import { type CloudHarness, startCloud } from './cloud-harness.js';

const CARD = '04E1000000AB01';

describe('wallet QR payment: cloud wallet page → gateway POS → cloud ledger', () => {
  let cloud: CloudHarness;
  let gw: Gateway;
  let base: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    cloud = await startCloud('pglite');
    const venue = cloud.venues[0];
    const topUp = cashTopUpBatch(venue, CARD, 5000);
    const r = await cloudApi(cloud.url).call('POST', '/v1/sync/batches', cloud.apiKeys[0], topUp);
    expect(r.status).toBe(200);
    gw = await startVenueGateway(cloud, {
      dataDirPrefix: 'tb-e2e-qr-',
      venue: {
        pointsOfSale: [
          {
            id: 'bar',
            name: 'Bar',
            mode: 'cashier',
            devices: [],
            products: [{ sku: 'beer', label: 'Beer', price: 350 }],
          },
        ],
      },
    });
    const app = await startHttp(gw, { port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    close = async () => {
      await app.close();
      await gw.close();
    };
  }, 120_000);
  afterAll(async () => {
    await close?.();
    await cloud?.close();
  });

  it('the code on the wallet page pays a beer at the bar; the cloud sees the spend once', {
    timeout: 30_000,
  }, async () => {
    const page = await (await fetch(`${cloud.url}${walletPath(cloud.masterKey, CARD)}`)).text();
    const svg = /<figure class="qr pay-qr">(<svg[\s\S]*?<\/svg>)/.exec(page)?.[1] as string;
    const token = decodeQrSvg(svg) as string;
    expect(token).toMatch(/^TBPAY1\./);

    const post = async (path: string, body: unknown) =>
      (
        await fetch(base + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json() as Promise<{ order: { status: string }; payment?: { status: string; bal: unknown } }>;
    const id = `o${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    await post('/apps/api/pos/bar/orders', {
      id,
      cashier: 'alice',
      lines: [{ sku: 'beer', qty: 2, price: 350 }],
    });
    // the gateway pulls the federation's keys in the background when the apps start
    let paid = await post(`/apps/api/orders/${id}/payments`, { method: 'qr', token, cashier: 'alice' });
    for (let i = 0; i < 50 && paid.payment === undefined; i++) {
      await sleep(100);
      paid = await post(`/apps/api/orders/${id}/payments`, { method: 'qr', token, cashier: 'alice' });
    }
    expect(paid.payment).toMatchObject({ status: 'approved', bal: [{ a: 'EUR', v: 4300 }] });
    expect(paid.order.status).toBe('paid');

    const t0 = Date.now();
    while (Date.now() - t0 < 15_000 && (await cloud.balances(CARD)).EUR !== 4300) await sleep(200);
    expect(await cloud.balances(CARD)).toMatchObject({ EUR: 4300 });
    for (const v of Object.values(await cloud.sums())) expect(v).toBe(0);
  });
});
