// ESC/POS printing to network printers (raw TCP): kitchen tickets per station and receipts per
// point of sale, checked by a printer simulator that decodes ESC/POS (init, code page, bold,
// size, cut) back to text; a duplicate is marked; a printer that is down is reported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp858, EscPos } from '../../src/apps/printing.js';
import { cartId, json, type Rig, rig, sse } from './apps-helpers.js';
import { decodeEscPos, printerSim } from './printer-sim.js';

describe('ESC/POS printing', () => {
  let r: Rig;
  let kitchen: Awaited<ReturnType<typeof printerSim>>;
  let till: Awaited<ReturnType<typeof printerSim>>;
  beforeAll(async () => {
    r = await rig();
    kitchen = await printerSim();
    till = await printerSim();
    await json(r.base, 'PUT', '/apps/api/kitchen/routes', {
      routes: { 'cat:food': 'kitchen', 'cat:drinks': 'bar' },
    });
    for (const [id, body] of [
      ['kp1', { host: '127.0.0.1', port: kitchen.port, kind: 'kitchen', target: 'kitchen' }],
      ['rp1', { host: '127.0.0.1', port: till.port, kind: 'receipt', target: 'bar', width: 32 }],
    ] as const)
      expect((await json(r.base, 'PUT', `/apps/api/printers/${id}`, body)).status).toBe(200);
  });
  afterAll(async () => {
    await kitchen?.close();
    await till?.close();
    await r?.close();
  });

  it('the encoder: init, code page 858 (accents, €), bold, size, cut; nothing raw from a label reaches the printer', () => {
    const j = decodeEscPos(
      new EscPos(32).bold(true).line('Bière à 3,50 €').bold(false).size(2, 2).line('x').cut().bytes(),
    );
    expect(j).toMatchObject({ inits: 1, codePage: 19, cut: true, unknown: [] });
    expect(j.lines).toEqual([
      { text: 'Bière à 3,50 €', bold: true, w: 1, h: 1, align: 'left' },
      { text: 'x', bold: false, w: 2, h: 2, align: 'left' },
    ]);
    expect(cp858('a\x1b@\x1dV')).toEqual([0x61, 0x3f, 0x40, 0x3f, 0x56]);
  });

  it('a paid order prints its kitchen ticket (station printer) and its receipt (POS printer)', async () => {
    const id = cartId();
    await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id,
      cashier: 'alice',
      note: 'table 4',
      lines: [
        { sku: 'burger', qty: 2, price: 900, note: 'saignant' },
        { sku: 'beer', qty: 1, price: 350 },
      ],
    });
    await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, { method: 'cash', cashier: 'alice' });
    const k = await kitchen.job(1);
    expect(k).toMatchObject({ inits: 1, codePage: 19, cut: true, unknown: [] });
    expect(k.lines[0]).toMatchObject({ text: 'KITCHEN', bold: true, w: 2, h: 2, align: 'center' });
    expect(k.lines.find((l) => l.text === 'table 4')).toMatchObject({ bold: true });
    expect(k.lines.find((l) => l.text === '2 x Burger')).toMatchObject({ bold: true, h: 2 });
    expect(kitchen.text(k)).toContain('   > saignant');
    expect(kitchen.text(k)).not.toContain('Bière'); // the beer goes to the bar, which has no printer

    const rc = await till.job(1);
    expect(rc).toMatchObject({ inits: 1, cut: true, unknown: [] });
    const text = till.text(rc);
    const row = (start: string) => rc.lines.find((l) => l.text.startsWith(start))!;
    expect(row('2 x Burger').text).toMatch(/^2 x Burger {2,}18,00 €$/);
    expect(row('1 x Bière').text).toMatch(/^1 x Bière {2,}3,50 €$/);
    for (const s of ['2 x Burger', '1 x Bière', 'TOTAL']) expect([...row(s).text]).toHaveLength(32);
    expect(row('TOTAL')).toMatchObject({ bold: true, h: 2, text: expect.stringMatching(/^TOTAL +21,50 €$/) });
    expect(text).toContain('Espèces');
    expect(text).toMatch(/N° \d+ · [0-9a-f]{16}/); // the sale's place on the inalterable chain
    expect(text).not.toContain('DUPLICATA');

    // a reprint on demand is marked as a duplicate
    expect((await json(r.base, 'POST', `/apps/api/orders/${id}/receipt`, {})).body).toEqual({
      printers: 1,
      printed: 1,
    });
    expect(till.text(await till.job(2))).toContain('*** DUPLICATA ***');
    expect((await json(r.base, 'POST', '/apps/api/orders/nope/receipt', {})).status).toBe(404);
  });

  it('a printer that is down is retried, then reported on the alerts channel', async () => {
    const dead = await printerSim();
    const port = dead.port;
    await dead.close();
    await json(r.base, 'PUT', '/apps/api/printers/kp2', {
      host: '127.0.0.1',
      port,
      kind: 'kitchen',
      target: 'bar',
    });
    const alerts = await sse(`${r.base}/apps/api/pos/bar/events`);
    const id = cartId();
    await json(r.base, 'POST', '/apps/api/pos/bar/orders', {
      id,
      cashier: 'alice',
      lines: [{ sku: 'soda', qty: 1, price: 200 }],
    });
    await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, { method: 'bankcard', cashier: 'alice' });
    const e = await alerts.next((x) => x.event === 'printer', 5000);
    expect(e.data).toMatchObject({
      printer: 'kp2',
      what: expect.stringMatching(/^ticket \d+$/),
      error: expect.stringContaining('ECONNREFUSED'),
    });
    alerts.close();
  });
});
