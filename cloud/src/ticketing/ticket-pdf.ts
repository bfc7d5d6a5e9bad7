// Printable ticket (PDF, A6 portrait): event, venue, date, category and audience, the QR code
// (the same PNG as /qr.png, from the `qrcode` package, embedded by pdfkit) and the signed token
// in clear, so a door can type it in if the print is damaged.
import PDFDocument from 'pdfkit';
import { DICT, formatDate, type Lang } from '../agenda/i18n.js';
import { qrPng, type TicketPageData } from './qr.js';

/** The standard PDF fonts speak WinAnsi: anything outside Latin-1 becomes '?'. */
const latin1 = (s: string): string => s.replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
/** Characters of the token per printed line (Courier 7 pt fits the A6 width). */
const TOKEN_LINE = 60;

export async function ticketPdf(lang: Lang, token: string, d: TicketPageData): Promise<Buffer> {
  const t = DICT[lang];
  const png = await qrPng(token, 600);
  const doc = new PDFDocument({
    size: 'A6',
    margin: 24,
    info: { Title: latin1(`${t.ticket} - ${d.eventTitle}`), Creator: 'TiBillet cloud', Subject: d.ticketId },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - 48;
  doc.font('Helvetica-Bold').fontSize(14).text(latin1(d.eventTitle), { width });
  doc.font('Helvetica').fontSize(9);
  doc.text(latin1(`${formatDate(lang, d.startsAt, d.timezone)}`), { width });
  doc.text(latin1([d.venueName, d.location].filter(Boolean).join(', ')), { width });
  doc.moveDown(0.4);
  doc.font('Helvetica-Bold').text(latin1(`${t.category}: ${d.categoryName} - ${t[d.audience]}`), { width });
  const side = Math.min(width, 190);
  doc.image(png, 24 + (width - side) / 2, doc.y + 6, { width: side, height: side });
  doc.y += side + 12;
  doc.font('Helvetica').fontSize(8);
  doc.text(
    latin1(
      `${t.validFrom} ${formatDate(lang, d.validFrom, d.timezone)} ${t.validUntil} ${formatDate(lang, d.validUntil, d.timezone)}`,
    ),
    24,
    doc.y,
    { width },
  );
  doc.text(`${t.ticket}: ${d.ticketId}`, { width });
  doc.moveDown(0.3);
  doc.font('Courier').fontSize(7);
  for (let i = 0; i < token.length; i += TOKEN_LINE)
    doc.text(token.slice(i, i + TOKEN_LINE), { width, lineBreak: false }).moveDown(0);
  doc.end();
  return done;
}
