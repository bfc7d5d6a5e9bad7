// The holder's wallet page (capability link) and the public log explorer, on both databases.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { walletPath } from '../src/public/wallet-link.js';
import { verifyPayToken } from '../src/wallet-pay/pay-token.js';
import { withBothDatabases } from './helpers/databases.js';
import { auth, type Fixture, fixture, id, uid } from './helpers/fixture.js';
import { decodeQrSvg } from './helpers/qr-svg.js';

withBothDatabases('public pages', (getDb) => {
  let f: Fixture;
  const card = uid();
  beforeAll(async () => {
    f = await fixture(getDb());
    const items = [
      {
        id: id(),
        type: 'topup',
        cardUid: card,
        at: Date.now(),
        legs: [{ asset: 'EUR', amount: 2000 }],
        funding: 'cash',
      },
      {
        id: id(),
        type: 'topup',
        cardUid: card,
        at: Date.now(),
        legs: [{ asset: `GIFT:${f.bar}`, amount: 300 }],
        funding: 'cash',
      },
      {
        id: id(),
        type: 'spend',
        cardUid: card,
        at: Date.now(),
        legs: [{ asset: 'EUR', amount: 350 }],
        offline: false,
      },
    ];
    const r = await f.app.inject({
      method: 'POST',
      url: '/v1/sync/batches',
      headers: auth(f.barKey),
      payload: { batchId: id('b'), venueId: f.bar, items },
    });
    expect(r.statusCode).toBe(200);
  });
  afterAll(() => f?.close());

  it('the wallet link shows balances with refundability and movements linked to the log; a forged link is 404', async () => {
    const ok = await f.app.inject({ url: `${walletPath(f.masterKey, card)}?lang=en` });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toMatch(/€16\.50<\/b> EUR <small>\(refundable\)/);
    expect(ok.body).toMatch(/€3\.00<\/b> GIFT:[^ ]+ <small>\(not refundable\)/);
    expect(ok.body).toMatch(/href="\/log\/\d+"/);
    const forged = await f.app.inject({ url: `/wallet/${card}/${'0'.repeat(32)}` });
    expect(forged.statusCode).toBe(404);
    expect(forged.body).not.toMatch(/16[.,]50|GIFT/);
    expect((await f.app.inject({ url: `/wallet/${card}/<script>` })).statusCode).toBe(400);
  });

  it('the wallet page shows a payment QR a camera reads as a token signed by a published key', async () => {
    const ok = await f.app.inject({ url: walletPath(f.masterKey, card) });
    const svg = /<figure class="qr pay-qr">(<svg[\s\S]*?<\/svg>)/.exec(ok.body)?.[1];
    expect(svg).toBeTruthy();
    const token = decodeQrSvg(svg as string) as string;
    const published = (await f.app.inject({ url: '/v1/ticketing/keys' })).json().keys as {
      keyId: string;
      publicKey: string;
    }[];
    const keys = new Map(
      published.map((k) => [k.keyId, new Uint8Array(Buffer.from(k.publicKey, 'base64url'))]),
    );
    expect(verifyPayToken(token, keys)).toMatchObject({ ok: true, claims: { uid: card } });
    // the page renews itself before the code expires
    expect(ok.body).toMatch(/<meta http-equiv="refresh" content="90">/);
  });

  it('the log explorer shows the signed checkpoint and a verified inclusion proof per entry', async () => {
    const list = await f.app.inject({ url: '/log?lang=en' });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Latest signed checkpoint');
    const seq = /href="\/log\/(\d+)"/.exec(list.body)?.[1];
    const entry = await f.app.inject({ url: `/log/${seq}?lang=en` });
    expect(entry.body).toMatch(/<b>verified<\/b>/);
    expect((await f.app.inject({ url: '/log/99999999' })).statusCode).toBe(404);
  });
});
