// Invoices. Before the return the PDF is a pro forma computed from the booking; at the return the
// invoice is frozen (lines, damage charges, deposit settlement) and numbered once (R-000001…).
import PDFDocument from 'pdfkit';
import type { Queryable, Tx } from '../db/connect.js';
import { num } from '../db/connect.js';
import { getBooking } from './bookings.js';
import { formatMoney, type Lang } from './money.js';

export interface InvoiceLine {
  kind: 'rental' | 'damage';
  /** Device id for damage lines. */
  deviceId?: string;
  note?: string;
  quantity: number;
  unitPrice: number;
  amount: number;
}

export interface InvoiceContent {
  number: string | null;
  proForma: boolean;
  issuedAt: string;
  bookingId: string;
  federation: { id: string; name: string };
  venue: { id: string; name: string };
  kit: { id: string; name: string };
  from: string;
  to: string;
  days: number;
  currency: string;
  lines: InvoiceLine[];
  total: number;
  deposit: { amount: number; received: number; retained: number; refunded: number };
  /** Total minus the deposit retained against it. */
  balanceDue: number;
}

const invoiceNumber = (n: number): string => `R-${String(n).padStart(6, '0')}`;

async function compute(q: Queryable, bookingId: string): Promise<InvoiceContent> {
  const b = await getBooking(q, bookingId);
  const names = await q.query<{ venue: string; federation: string; kit: string }>(
    `SELECT v.name AS venue, f.name AS federation, k.name AS kit FROM venues v, federations f, rental_kits k
     WHERE v.id = $1 AND f.id = $2 AND k.id = $3`,
    [b.venueId, b.federationId, b.kitId],
  );
  const damages = await q.query<{ device_id: string; damage_note: string | null; damage_charge: unknown }>(
    'SELECT device_id, damage_note, damage_charge FROM rental_allocations WHERE booking_id = $1 AND damage_charge > 0 ORDER BY device_id',
    [bookingId],
  );
  const deposits = await q.query<{ kind: string; s: unknown }>(
    'SELECT kind, sum(amount) AS s FROM rental_deposits WHERE booking_id = $1 GROUP BY kind',
    [bookingId],
  );
  const dep = (k: string) => num(deposits.rows.find((r) => r.kind === k)?.s ?? 0);
  const lines: InvoiceLine[] = [
    { kind: 'rental', quantity: b.days, unitPrice: b.pricePerDay, amount: b.rentalAmount },
    ...damages.rows.map((d) => ({
      kind: 'damage' as const,
      deviceId: d.device_id,
      note: d.damage_note ?? '',
      quantity: 1,
      unitPrice: num(d.damage_charge),
      amount: num(d.damage_charge),
    })),
  ];
  const total = lines.reduce((s, l) => s + l.amount, 0);
  const n = names.rows[0];
  return {
    number: null,
    proForma: b.status !== 'returned',
    issuedAt: new Date().toISOString(),
    bookingId,
    federation: { id: b.federationId, name: n?.federation ?? b.federationId },
    venue: { id: b.venueId, name: n?.venue ?? b.venueId },
    kit: { id: b.kitId, name: n?.kit ?? b.kitId },
    from: b.from,
    to: b.to,
    days: b.days,
    currency: b.currency,
    lines,
    total,
    deposit: {
      amount: b.deposit,
      received: dep('received'),
      retained: dep('retained'),
      refunded: dep('refunded'),
    },
    balanceDue: total - dep('retained'),
  };
}

/** Freezes and numbers the invoice of a returned booking (inside the return transaction). */
export async function issueInvoice(tx: Tx, bookingId: string): Promise<InvoiceContent> {
  const content = await compute(tx, bookingId);
  const { rows } = await tx.query<{ number: number }>(
    'INSERT INTO rental_invoices (booking_id, content) VALUES ($1, $2) RETURNING number',
    [bookingId, JSON.stringify(content)],
  );
  return { ...content, number: invoiceNumber(num(rows[0].number)) };
}

/** The issued invoice, or a pro forma while the booking is not returned. */
export async function getInvoice(q: Queryable, bookingId: string): Promise<InvoiceContent> {
  const { rows } = await q.query<{ number: unknown; content: InvoiceContent | string }>(
    'SELECT number, content FROM rental_invoices WHERE booking_id = $1',
    [bookingId],
  );
  if (!rows[0]) return compute(q, bookingId);
  const content =
    typeof rows[0].content === 'string' ? (JSON.parse(rows[0].content) as InvoiceContent) : rows[0].content;
  return { ...content, number: invoiceNumber(num(rows[0].number)) };
}

const LABELS = {
  fr: {
    invoice: 'Facture',
    proForma: 'Facture pro forma',
    number: 'Numéro',
    date: 'Date',
    booking: 'Réservation',
    from: 'Loueur',
    to: 'Client',
    period: 'Période',
    periodText: (a: string, b: string, d: number) => `du ${a} au ${b} (${d} jour${d > 1 ? 's' : ''})`,
    rental: (kit: string) => `Location du kit ${kit}`,
    damage: (dev: string) => `Dommage, terminal ${dev}`,
    qty: 'Qté',
    unit: 'Prix unitaire',
    amount: 'Montant',
    total: 'Total',
    deposit: 'Caution',
    depositHeld: 'Caution demandée',
    depositReceived: 'Caution reçue',
    depositRetained: 'Caution retenue',
    depositRefunded: 'Caution restituée',
    balance: 'Reste à payer',
    notFinal: 'Document provisoire : la facture définitive est émise au retour du matériel.',
  },
  en: {
    invoice: 'Invoice',
    proForma: 'Pro forma invoice',
    number: 'Number',
    date: 'Date',
    booking: 'Booking',
    from: 'From',
    to: 'Bill to',
    period: 'Period',
    periodText: (a: string, b: string, d: number) => `${a} to ${b} (${d} day${d > 1 ? 's' : ''})`,
    rental: (kit: string) => `Rental of kit ${kit}`,
    damage: (dev: string) => `Damage, terminal ${dev}`,
    qty: 'Qty',
    unit: 'Unit price',
    amount: 'Amount',
    total: 'Total',
    deposit: 'Deposit',
    depositHeld: 'Deposit required',
    depositReceived: 'Deposit received',
    depositRetained: 'Deposit retained',
    depositRefunded: 'Deposit refunded',
    balance: 'Balance due',
    notFinal: 'Provisional document: the final invoice is issued when the equipment is returned.',
  },
} as const;

/** The standard PDF fonts speak WinAnsi: anything outside Latin-1 becomes '?'. */
const latin1 = (s: string): string => s.replace(/[^\x20-\x7e\xa0-\xff]/g, '?');

export function renderInvoicePdf(inv: InvoiceContent, lang: Lang = 'fr'): Promise<Buffer> {
  const L = LABELS[lang];
  const money = (n: number) => formatMoney(n, inv.currency, lang);
  const title = inv.proForma ? L.proForma : L.invoice;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: {
      Title: latin1(`${title} ${inv.number ?? inv.bookingId}`),
      Author: latin1(inv.federation.name),
      Creator: 'TiBillet cloud',
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font('Helvetica-Bold').fontSize(20).text(title);
  doc.moveDown(0.5).font('Helvetica').fontSize(10);
  if (inv.number) doc.text(`${L.number}: ${inv.number}`);
  doc.text(`${L.date}: ${inv.issuedAt.slice(0, 10)}`);
  doc.text(latin1(`${L.booking}: ${inv.bookingId}`));
  doc.moveDown();
  doc.font('Helvetica-Bold').text(L.from).font('Helvetica').text(latin1(inv.federation.name));
  doc.moveDown(0.5);
  doc
    .font('Helvetica-Bold')
    .text(L.to)
    .font('Helvetica')
    .text(latin1(`${inv.venue.name} (${inv.venue.id})`));
  doc.moveDown(0.5);
  doc.text(`${L.period}: ${L.periodText(inv.from, inv.to, inv.days)}`);
  doc.moveDown();

  const cols = [50, 330, 380, 470];
  const row = (cells: string[], bold = false) => {
    const y = doc.y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica');
    doc.text(cells[0], cols[0], y, { width: 270 });
    const h = doc.y;
    doc.text(cells[1], cols[1], y, { width: 45, align: 'right' });
    doc.text(cells[2], cols[2], y, { width: 85, align: 'right' });
    doc.text(cells[3], cols[3], y, { width: 75, align: 'right' });
    doc.x = cols[0];
    doc.y = Math.max(h, doc.y) + 4;
  };
  row(['', L.qty, L.unit, L.amount], true);
  for (const l of inv.lines) {
    const label =
      l.kind === 'rental'
        ? L.rental(inv.kit.name)
        : `${L.damage(l.deviceId ?? '')}${l.note ? `: ${l.note}` : ''}`;
    row([latin1(label), String(l.quantity), money(l.unitPrice), money(l.amount)]);
  }
  doc.moveDown(0.5);
  row([L.total, '', '', money(inv.total)], true);
  doc.moveDown();
  doc.font('Helvetica-Bold').text(L.deposit, cols[0]).font('Helvetica');
  row([L.depositHeld, '', '', money(inv.deposit.amount)]);
  row([L.depositReceived, '', '', money(inv.deposit.received)]);
  row([L.depositRetained, '', '', money(inv.deposit.retained)]);
  row([L.depositRefunded, '', '', money(inv.deposit.refunded)]);
  doc.moveDown(0.5);
  row([L.balance, '', '', money(inv.balanceDue)], true);
  if (inv.proForma) doc.moveDown().font('Helvetica-Oblique').fontSize(9).text(L.notFinal, cols[0]);
  doc.end();
  return done;
}
