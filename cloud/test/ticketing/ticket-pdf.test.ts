// Printable tickets: the PDF carries the event, category, audience and the signed token, and its
// embedded QR code decodes (jsQR, as a phone would) to that token; the PNG download too.
import { PNG } from 'pngjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withBothDatabases } from '../helpers/databases.js';
import { jsQR } from '../helpers/qr-svg.js';
import { parsePdf } from '../rental/helpers.js';
import { pdfImages } from './pdf-image.js';
import { type TicketingCtx, ticketingContext } from './setup.js';

withBothDatabases('ticket PDF and PNG', (getDb) => {
  let t: TicketingCtx;
  beforeAll(async () => {
    t = await ticketingContext(getDb());
  });
  afterAll(() => t?.close());

  it('the PDF shows event, category, audience, and its QR decodes to the signed token', async () => {
    const e = await t.createEvent({ title: 'Fête de la Musique', location: 'Place du Marché' });
    const card = await t.card(10_000);
    const order = (await t.buy(card, e, { category: 1, audience: 'reduced' })).json();
    const { token, ticketId } = order.tickets[0];
    for (const [lang, audience] of [
      ['fr', 'Tarif réduit'],
      ['en', 'Reduced price'],
    ]) {
      const r = await t.get(null, `/tickets/${token}/ticket.pdf?lang=${lang}`);
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toBe('application/pdf');
      const pdf = parsePdf(r.rawPayload);
      expect(pdf.pages).toBe(1);
      const text = pdf.text;
      expect(text).toContain('Fête de la Musique');
      expect(text).toContain('Bar, Place du Marché');
      expect(text).toContain(`Standing - ${audience}`);
      expect(text).toContain(ticketId);
      // The token is printed in clear (several lines): joined back, it is the signed token.
      expect(text.replace(/\n/g, '')).toContain(token);
      const images = pdfImages(r.rawPayload);
      expect(images).toHaveLength(1);
      const qr = jsQR(images[0].rgba, images[0].width, images[0].height);
      expect(qr?.data).toBe(token);
    }
    const png = await t.get(null, `/tickets/${token}/qr.png`);
    const img = PNG.sync.read(png.rawPayload);
    expect(jsQR(new Uint8ClampedArray(img.data), img.width, img.height)?.data).toBe(token);
    // The ticket page links both downloads.
    const page = (await t.get(null, `/tickets/${token}?lang=en`)).body;
    expect(page).toContain(`/tickets/${token}/ticket.pdf?lang=en`);
    expect(page).toContain(`/tickets/${token}/qr.png`);
  });

  it('no PDF for forged, refunded or cancelled tickets', async () => {
    const e = await t.createEvent();
    const card = await t.card(10_000);
    const { tickets } = (await t.buy(card, e, { quantity: 2 })).json();
    const forged = `${tickets[0].token.slice(0, -3)}${tickets[0].token.endsWith('A') ? 'BBB' : 'AAA'}`;
    const bad = await t.get(null, `/tickets/${forged}/ticket.pdf`);
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('text/html');
    expect(
      (await t.post('barAdmin', `/v1/venues/${t.f.bar}/tickets/${tickets[0].ticketId}/refund`, {}))
        .statusCode,
    ).toBe(200);
    const refunded = await t.get(null, `/tickets/${tickets[0].token}/ticket.pdf?lang=en`);
    expect(refunded.statusCode).toBe(410);
    expect(refunded.body).toContain('Refunded ticket');
    expect((await t.get(null, `/tickets/${tickets[1].token}/ticket.pdf`)).statusCode).toBe(200);
    expect((await t.post('barAdmin', `/v1/venues/${t.f.bar}/events/${e.id}/cancel`, {})).statusCode).toBe(
      200,
    );
    const cancelled = await t.get(null, `/tickets/${tickets[1].token}/ticket.pdf?lang=fr`);
    expect(cancelled.statusCode).toBe(410);
    expect(cancelled.body).toContain('Événement annulé');
  });
});
