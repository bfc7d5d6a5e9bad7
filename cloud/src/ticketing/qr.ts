// Plain QR pages for tickets (no Apple/Google wallet needed): the HTML page shows the QR as inline
// SVG with the event, category and validity; PNG and SVG downloads. The signed token is the URL
// (whoever holds it can enter, like the QR itself).
import QRCode from 'qrcode';
import { Html, html, page } from '../agenda/html.js';
import { DICT, formatDate, type Lang } from '../agenda/i18n.js';
import type { Queryable } from '../db/connect.js';
import type { Audience, TicketStatus } from './schema.js';

const QR_OPTS = { errorCorrectionLevel: 'M' as const, margin: 2 };

export const qrSvg = (token: string): Promise<string> => QRCode.toString(token, { ...QR_OPTS, type: 'svg' });
export const qrPng = (token: string, width = 480): Promise<Buffer> =>
  QRCode.toBuffer(token, { ...QR_OPTS, type: 'png', width });

export interface TicketPageData {
  ticketId: string;
  status: TicketStatus;
  audience: Audience;
  categoryName: string;
  eventTitle: string;
  eventStatus: string;
  venueName: string;
  location: string;
  startsAt: string;
  timezone: string;
  validFrom: string;
  validUntil: string;
  checkedInAt: string | null;
}

export async function loadTicketPage(
  q: Queryable,
  ticketId: string,
  token: string,
): Promise<TicketPageData | null> {
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT t.id, t.status, t.audience, c.name AS category_name, e.title, e.status AS event_status, v.name AS venue_name,
       e.location, e.starts_at, e.timezone, t.valid_from, t.valid_until, t.checked_in_at
     FROM tickets t JOIN ticket_events e ON e.id = t.event_id JOIN ticket_categories c ON c.id = t.category_id
       JOIN venues v ON v.id = t.venue_id
     WHERE t.id = $1 AND t.token = $2`,
    [ticketId, token],
  );
  const r = rows[0];
  if (!r) return null;
  const iso = (v: unknown) => new Date(v as string).toISOString();
  return {
    ticketId: r.id as string,
    status: r.status as TicketStatus,
    audience: r.audience as Audience,
    categoryName: r.category_name as string,
    eventTitle: r.title as string,
    eventStatus: r.event_status as string,
    venueName: r.venue_name as string,
    location: r.location as string,
    startsAt: iso(r.starts_at),
    timezone: r.timezone as string,
    validFrom: iso(r.valid_from),
    validUntil: iso(r.valid_until),
    checkedInAt: r.checked_in_at ? iso(r.checked_in_at) : null,
  };
}

export async function ticketPage(lang: Lang, token: string, d: TicketPageData): Promise<string> {
  const t = DICT[lang];
  const status =
    d.eventStatus === 'cancelled'
      ? html`<div class="status bad">${t.statusCancelled}</div>`
      : d.status === 'refunded'
        ? html`<div class="status bad">${t.statusRefunded}</div>`
        : d.status === 'revoked'
          ? html`<div class="status bad">${t.statusRevoked}</div>`
          : html`<div class="status ok">${t.statusValid}</div>`;
  // The SVG comes from the QR encoder (no user text inside); strip its XML prolog if any.
  const svg = (await qrSvg(token))
    .replace(/^<\?xml[^>]*>/, '')
    .replace('<svg ', '<svg class="qr" role="img" aria-label="QR" ');
  const body = html`<article class="card"><h1>${d.eventTitle}</h1>
<p class="meta">${formatDate(lang, d.startsAt, d.timezone)} · ${d.venueName}${d.location ? html`, ${d.location}` : html``}</p>
${status}${d.status === 'valid' && d.eventStatus !== 'cancelled' ? new Html(svg) : html``}
<p>${t.showAtDoor}</p>
<table><tr><th>${t.ticket}</th><td><code>${d.ticketId}</code></td></tr>
<tr><th>${t.category}</th><td>${d.categoryName} · ${t[d.audience]}</td></tr>
<tr><th>${t.validFrom}</th><td>${formatDate(lang, d.validFrom, d.timezone)} ${t.validUntil} ${formatDate(lang, d.validUntil, d.timezone)}</td></tr>
${d.checkedInAt ? html`<tr><th>${t.checkedIn}</th><td>${formatDate(lang, d.checkedInAt, d.timezone)}</td></tr>` : html``}</table>
<p><a href="/tickets/${token}/qr.png" download="ticket-${d.ticketId}.png">${t.download}</a> · <a href="/tickets/${token}/ticket.pdf?lang=${lang}" download="ticket-${d.ticketId}.pdf">${t.downloadPdf}</a></p></article>`;
  return page({ lang, title: `${t.ticket} · ${d.eventTitle}`, body });
}

export function badTicketPage(lang: Lang, message: string): string {
  return page({
    lang,
    title: message,
    body: html`<article class="card"><div class="status bad">${message}</div></article>`,
  });
}
