// VAT on the inalterable records: each sale line keeps the rate it was sold at, tickets and
// closures carry the per-rate breakdown, the FEC credits sales before tax and the VAT collected
// per rate, the receipt prints the VAT table; a void reverses the rates of the sale even after
// the menu changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayOf, FEC_COLUMNS, type TicketData } from '../../src/apps/fiscal.js';
import { receiptDoc } from '../../src/apps/printing.js';
import { taxIncluded, vatBreakdown } from '../../src/apps/vat.js';
import { cartId, json, type Rig, rig } from './apps-helpers.js';
import { decodeEscPos } from './printer-sim.js';

describe('VAT arithmetic', () => {
  it('extracts the tax included in a price, rounded half away from zero, voids symmetric', () => {
    expect(taxIncluded(1200, 2000)).toBe(200); // 12,00 TTC at 20 % = 10,00 + 2,00
    expect(taxIncluded(350, 1000)).toBe(32); // 3,50 at 10 %: 31,8 → 32
    expect(taxIncluded(-350, 1000)).toBe(-32);
    expect(taxIncluded(1000, 550)).toBe(52); // 5,5 %: 52,13 → 52
    expect(taxIncluded(999, 0)).toBe(0);
    expect(() => taxIncluded(1.5, 2000)).toThrow(/integer/);
    expect(() => taxIncluded(100, -5)).toThrow(/rate/);
  });

  it('computes the tax per rate on the ticket total, not per line', () => {
    // three lines of 0,35 at 20 %: per line 0,06 each (0,18), on the total 1,05 → 0,18 too;
    // seven lines of 0,15: per line 0,03 × 7 = 0,21 but on 1,05 → 0,18 (what the receipt shows)
    const b = vatBreakdown([
      ...Array.from({ length: 7 }, () => ({ total: 15, rate: 2000 })),
      { total: 500, rate: 550 },
    ]);
    expect(b).toEqual({
      '2000': { ttc: 105, base: 87, tax: 18 },
      '550': { ttc: 500, base: 474, tax: 26 },
    });
  });
});

describe('VAT in the sales records, the FEC and the receipt', () => {
  let r: Rig;
  const db = () => r.gw.ctx.journal.db;
  const sell = async (lines: { sku: string; qty: number; price: number }[], method: string) => {
    const id = cartId();
    await json(r.base, 'POST', '/apps/api/pos/bar/orders', { id, cashier: 'alice', lines });
    const paid = await json(r.base, 'POST', `/apps/api/orders/${id}/payments`, { method, cashier: 'alice' });
    expect(paid.status).toBe(200);
    return id;
  };
  const ticket = (order: string, kind = 'ticket') =>
    JSON.parse(
      (
        db().prepare('SELECT data FROM app_fiscal WHERE kind = ? AND ref = ?').get(kind, order) as {
          data: string;
        }
      ).data,
    ) as TicketData;
  let sale: string;

  beforeAll(async () => {
    r = await rig();
    const c = r.gw.ctx.config();
    // beer at the venue's 20 %, soda and burger at 10 % (on-site food and soft drinks)
    await r.gw.setConfig({
      ...c,
      vatRate: 2000,
      pointsOfSale: c.pointsOfSale.map((p) => ({
        ...p,
        products: p.products.map((x) =>
          x.sku === 'soda' || x.sku === 'burger' ? { ...x, vatRate: 1000 } : x,
        ),
      })),
    });
    sale = await sell(
      [
        { sku: 'beer', qty: 2, price: 350 },
        { sku: 'burger', qty: 1, price: 900 },
      ],
      'cash',
    );
  });
  afterAll(async () => {
    await r?.close();
  });

  it('records the rate of every line and the breakdown of the ticket', () => {
    const lines = (
      db().prepare("SELECT data FROM app_fiscal WHERE kind = 'line' AND ref = ? ORDER BY seq").all(sale) as {
        data: string;
      }[]
    ).map((x) => JSON.parse(x.data));
    expect(lines.map((l) => [l.sku, l.total, l.vat])).toEqual([
      ['beer', 700, 2000],
      ['burger', 900, 1000],
    ]);
    expect(ticket(sale).vat).toEqual({
      '2000': { ttc: 700, base: 583, tax: 117 },
      '1000': { ttc: 900, base: 818, tax: 82 },
    });
  });

  it('prints the VAT table on the receipt', async () => {
    const order = (await json(r.base, 'GET', `/apps/api/orders/${sale}`)).body;
    const doc = receiptDoc(order, {
      venue: 'Bar',
      currency: 'EUR',
      fiscal: { seq: 1, mac: 'ab', vat: ticket(sale).vat },
    });
    const printed = decodeEscPos(doc).lines.map((l) => l.text.replace(/ +/g, ' '));
    expect(printed.filter((l) => l.startsWith('TVA'))).toEqual([
      'TVA 10 % HT 8,18 € 0,82 €',
      'TVA 20 % HT 5,83 € 1,17 €',
    ]);
  });

  it('a void after a menu change reverses the rates of the sale; the day closure sums the VAT', async () => {
    const c = r.gw.ctx.config();
    await r.gw.setConfig({ ...c, vatRate: 550 });
    const v = await sell([{ sku: 'beer', qty: 1, price: 350 }], 'cash');
    expect(ticket(v).vat).toEqual({ '550': { ttc: 350, base: 332, tax: 18 } });
    await r.gw.setConfig({ ...c, vatRate: 2000 });
    const voided = await json(r.base, 'POST', `/apps/api/orders/${v}/void`, {
      reason: 'wrong',
      cashier: 'alice',
    });
    expect(voided.status).toBe(200);
    expect(ticket(v, 'void').vat).toEqual({ '550': { ttc: -350, base: -332, tax: -18 } });

    const closed = await json(r.base, 'POST', '/apps/api/fiscal/closures', {
      kind: 'day',
      period: dayOf(Date.now()),
    });
    expect(closed.status).toBe(200);
    const day = (await json(r.base, 'GET', '/apps/api/fiscal/closures')).body.at(-1);
    expect(day.vat).toEqual({
      '2000': { ttc: 700, base: 583, tax: 117 },
      '1000': { ttc: 900, base: 818, tax: 82 },
      '550': { ttc: 0, base: 0, tax: 0 },
    });
    expect((await json(r.base, 'GET', '/apps/api/fiscal/verify')).body.ok).toBe(true);
  });

  it('the FEC credits sales before tax and the VAT collected per rate, each entry balanced', async () => {
    const day = dayOf(Date.now());
    const text = await (await fetch(`${r.base}/apps/api/fiscal/fec?from=${day}&to=${day}`)).text();
    const rows = text
      .replace(/\r\n$/, '')
      .split('\r\n')
      .map((l) => l.split('\t'));
    expect(rows[0]).toEqual([...FEC_COLUMNS]);
    const cents = (s: string) => Math.round(Number(s.replace(',', '.')) * 100);
    const first = rows.filter((x) => x[8] === sale).map((x) => [x[4], x[5], cents(x[11]), cents(x[12])]);
    expect(first).toEqual([
      ['530000', 'Caisse', 1600, 0],
      ['70701000', 'Ventes de marchandises TVA 10 %', 0, 818],
      ['44571000', 'TVA collectée 10 %', 0, 82],
      ['70702000', 'Ventes de marchandises TVA 20 %', 0, 583],
      ['44572000', 'TVA collectée 20 %', 0, 117],
    ]);
    const byNum = new Map<string, number>();
    for (const x of rows.slice(1)) byNum.set(x[2], (byNum.get(x[2]) ?? 0) + cents(x[11]) - cents(x[12]));
    expect(byNum.size).toBe(3);
    for (const balance of byNum.values()) expect(balance).toBe(0);
  });
});
