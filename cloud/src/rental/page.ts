// Server-rendered booking page for venues, FR/EN: catalog with prices, availability calendar and a
// booking form. The form carries the venue admin's email and password (checked like /v1/auth/login),
// so no session cookie and no CSRF token are needed. Every interpolated value goes through esc();
// a strict Content-Security-Policy forbids scripts altogether.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Db } from '../db/connect.js';
import type { Role } from '../db/schema.js';
import { verifyPassword } from '../util/secrets.js';
import { availability, createBooking } from './bookings.js';
import { type Kit, listKits } from './catalog.js';
import { addDays, parseDate, today } from './dates.js';
import { RentalError } from './errors.js';
import { formatMoney, type Lang } from './money.js';

export const esc = (s: unknown): string =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const CALENDAR_DAYS = 42;

const T = {
  fr: {
    title: 'Location de terminaux',
    intro:
      'Réservez un kit de terminaux cashless pour votre événement. Prix par jour, caution encaissée au retrait et rendue au retour.',
    perDay: 'par jour',
    deposit: 'caution',
    devices: (n: number) => `${n} ${n > 1 ? 'terminaux' : 'terminal'}`,
    calendar: 'Disponibilités',
    free: 'libre',
    booked: 'réservé',
    earlier: '← semaines précédentes',
    later: 'semaines suivantes →',
    book: 'Réserver',
    kit: 'Kit',
    from: 'Premier jour',
    to: 'Dernier jour',
    contact: 'Contact sur place (nom, téléphone)',
    note: 'Remarque',
    email: 'E-mail (compte du lieu)',
    password: 'Mot de passe',
    venue: 'Lieu (administrateurs de la fédération seulement)',
    submit: 'Réserver',
    noKits: 'Aucun kit à louer pour le moment.',
    okTitle: 'Réservation confirmée',
    okText: (kit: string, a: string, b: string) => `Le kit ${kit} est réservé du ${a} au ${b}.`,
    amount: 'Montant de la location',
    number: 'Numéro de réservation',
    errTitle: 'Réservation impossible',
    back: 'Retour',
    badCredentials: 'E-mail ou mot de passe incorrect.',
    notAllowed: 'Ce compte ne peut pas réserver de matériel.',
    needVenue: 'Indiquez le lieu pour lequel vous réservez.',
    unavailable: (a: string, b: string, list: string) =>
      `Ce kit n’est pas disponible du ${a} au ${b} : déjà réservé ${list}.`,
    unknownFed: 'Fédération inconnue.',
    lang: 'English',
  },
  en: {
    title: 'Terminal rental',
    intro:
      'Book a kit of cashless terminals for your event. Price per day; the deposit is taken at pick-up and returned with the kit.',
    perDay: 'per day',
    deposit: 'deposit',
    devices: (n: number) => `${n} terminal${n > 1 ? 's' : ''}`,
    calendar: 'Availability',
    free: 'free',
    booked: 'booked',
    earlier: '← earlier weeks',
    later: 'later weeks →',
    book: 'Book',
    kit: 'Kit',
    from: 'First day',
    to: 'Last day',
    contact: 'On-site contact (name, phone)',
    note: 'Note',
    email: 'E-mail (venue account)',
    password: 'Password',
    venue: 'Venue (federation admins only)',
    submit: 'Book',
    noKits: 'No kit for rent at the moment.',
    okTitle: 'Booking confirmed',
    okText: (kit: string, a: string, b: string) => `Kit ${kit} is booked from ${a} to ${b}.`,
    amount: 'Rental amount',
    number: 'Booking number',
    errTitle: 'Booking refused',
    back: 'Back',
    badCredentials: 'Wrong e-mail or password.',
    notAllowed: 'This account may not book equipment.',
    needVenue: 'Say which venue you are booking for.',
    unavailable: (a: string, b: string, list: string) =>
      `This kit is not available from ${a} to ${b}: already booked ${list}.`,
    unknownFed: 'Unknown federation.',
    lang: 'Français',
  },
} as const;

const CSS = `body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#222}
.kit{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}.price{font-weight:bold}
table.cal{border-collapse:collapse;font-size:.75rem}table.cal td{width:1.6rem;height:1.6rem;text-align:center;border:1px solid #ddd}
td.free{background:#dfd}td.booked{background:#fcc;text-decoration:line-through}label{display:block;margin:.4rem 0}
.err{color:#a00}.ok{color:#060}`;

function pickLang(query: { lang?: string }, accept: string | undefined): Lang {
  if (query.lang === 'fr' || query.lang === 'en') return query.lang;
  return /^\s*en\b/i.test(accept ?? '') ? 'en' : 'fr';
}

function layout(lang: Lang, title: string, body: string, switchHref: string): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head><body>
<p style="text-align:right"><a href="${esc(switchHref)}">${esc(T[lang].lang)}</a></p>
${body}</body></html>`;
}

function send(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    )
    .header('x-content-type-options', 'nosniff')
    .send(html);
}

async function calendar(db: Db, kit: Kit, from: string, lang: Lang): Promise<string> {
  const days = await availability(db, kit.federationId, kit.kitId, from, addDays(from, CALENDAR_DAYS - 1));
  const cells = days.map((d) => {
    const cls = d.available ? 'free' : 'booked';
    return `<td class="${cls}" title="${esc(d.date)} ${esc(d.available ? T[lang].free : T[lang].booked)}">${esc(Number(d.date.slice(8)))}</td>`;
  });
  const rows: string[] = [];
  for (let i = 0; i < cells.length; i += 14) rows.push(`<tr>${cells.slice(i, i + 14).join('')}</tr>`);
  return `<table class="cal" aria-label="${esc(T[lang].calendar)}">${rows.join('')}</table>`;
}

export function registerBookingPage(app: FastifyInstance, db: Db): void {
  // HTML form posts (this plugin's scope only).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  const federationName = async (id: string): Promise<string | null> =>
    (await db.query<{ name: string }>('SELECT name FROM federations WHERE id = $1', [id])).rows[0]?.name ??
    null;

  app.get(
    '/rental/:federationId',
    {
      schema: {
        hide: true,
        params: { type: 'object', properties: { federationId: { type: 'string', maxLength: 64 } } },
        querystring: { type: 'object', properties: { lang: { type: 'string' }, from: { type: 'string' } } },
      },
    },
    async (req, reply) => {
      const { federationId } = req.params as { federationId: string };
      const q = req.query as { lang?: string; from?: string };
      const lang = pickLang(q, req.headers['accept-language']);
      const t = T[lang];
      const base = `/rental/${encodeURIComponent(federationId)}`;
      const name = await federationName(federationId);
      if (name === null)
        return send(
          reply,
          404,
          layout(
            lang,
            t.unknownFed,
            `<h1>${esc(t.unknownFed)}</h1>`,
            `${base}?lang=${lang === 'fr' ? 'en' : 'fr'}`,
          ),
        );
      let from = today();
      if (q.from) {
        try {
          parseDate(q.from);
          if (q.from > from) from = q.from;
        } catch {
          /* ignore a bad ?from= */
        }
      }
      const kits = await listKits(db, federationId, { activeOnly: true });
      const nav = (d: string) => `${base}?lang=${lang}&from=${d}`;
      const blocks: string[] = [];
      for (const k of kits) {
        blocks.push(`<section class="kit" id="kit-${esc(k.kitId)}"><h2>${esc(k.name)}</h2><p>${esc(k.description)}</p>
<p><span class="price">${esc(formatMoney(k.pricePerDay, k.currency, lang))} ${esc(t.perDay)}</span>, ${esc(t.deposit)} ${esc(formatMoney(k.deposit, k.currency, lang))} · ${esc(t.devices(k.devices))}</p>
<h3>${esc(t.calendar)}</h3>${await calendar(db, k, from, lang)}</section>`);
      }
      const form = kits.length
        ? `<h2>${esc(t.book)}</h2><form method="post" action="${esc(`${base}/book?lang=${lang}`)}">
<label>${esc(t.kit)} <select name="kitId" required>${kits.map((k) => `<option value="${esc(k.kitId)}">${esc(k.name)}</option>`).join('')}</select></label>
<label>${esc(t.from)} <input type="date" name="from" required min="${esc(today())}"></label>
<label>${esc(t.to)} <input type="date" name="to" required min="${esc(today())}"></label>
<label>${esc(t.contact)} <input name="contact" maxlength="200"></label>
<label>${esc(t.note)} <textarea name="note" maxlength="2000"></textarea></label>
<label>${esc(t.email)} <input type="email" name="email" required autocomplete="username"></label>
<label>${esc(t.password)} <input type="password" name="password" required autocomplete="current-password"></label>
<label>${esc(t.venue)} <input name="venueId" maxlength="40"></label>
<button type="submit">${esc(t.submit)}</button></form>`
        : `<p>${esc(t.noKits)}</p>`;
      const body = `<h1>${esc(t.title)} · ${esc(name)}</h1><p>${esc(t.intro)}</p>
<p><a href="${esc(nav(addDays(from, -CALENDAR_DAYS)))}">${esc(t.earlier)}</a> · <a href="${esc(nav(addDays(from, CALENDAR_DAYS)))}">${esc(t.later)}</a></p>
${blocks.join('\n')}${form}`;
      return send(
        reply,
        200,
        layout(lang, `${t.title} · ${name}`, body, `${base}?lang=${lang === 'fr' ? 'en' : 'fr'}`),
      );
    },
  );

  app.post(
    '/rental/:federationId/book',
    {
      schema: {
        hide: true,
        params: { type: 'object', properties: { federationId: { type: 'string', maxLength: 64 } } },
        querystring: { type: 'object', properties: { lang: { type: 'string' } } },
      },
    },
    async (req, reply) => {
      const { federationId } = req.params as { federationId: string };
      const lang = pickLang(req.query as { lang?: string }, req.headers['accept-language']);
      const t = T[lang];
      const base = `/rental/${encodeURIComponent(federationId)}`;
      const f = (req.body ?? {}) as Record<string, unknown>;
      const field = (k: string, max: number): string =>
        typeof f[k] === 'string' ? (f[k] as string).slice(0, max) : '';
      const back = `<p><a href="${esc(`${base}?lang=${lang}`)}">${esc(t.back)}</a></p>`;
      const fail = (status: number, message: string) =>
        send(
          reply,
          status,
          layout(
            lang,
            t.errTitle,
            `<h1>${esc(t.errTitle)}</h1><p class="err">${esc(message)}</p>${back}`,
            `${base}?lang=${lang}`,
          ),
        );

      const email = field('email', 200).toLowerCase();
      const { rows } = await db.query<{
        id: string;
        password_hash: string;
        role: Role;
        venue_id: string | null;
        federation_id: string;
      }>('SELECT id, password_hash, role, venue_id, federation_id FROM admin_users WHERE email = $1', [
        email,
      ]);
      const ok = await verifyPassword(
        field('password', 200),
        rows[0]?.password_hash ??
          'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      );
      const user = rows[0];
      if (!user || !ok || user.federation_id !== federationId) {
        req.log.warn({ email }, 'booking page: bad credentials');
        return fail(401, t.badCredentials);
      }
      if (user.role !== 'venue_admin' && user.role !== 'federation_admin') return fail(403, t.notAllowed);
      const venueId = user.role === 'venue_admin' ? user.venue_id! : field('venueId', 40);
      if (!venueId) return fail(400, t.needVenue);
      const kitId = field('kitId', 64);
      const from = field('from', 10);
      const to = field('to', 10);
      try {
        const b = await createBooking(db, federationId, {
          kitId,
          venueId,
          from,
          to,
          contact: field('contact', 200),
          note: field('note', 2000),
          createdBy: user.id,
        });
        const kit = (await listKits(db, federationId)).find((k) => k.kitId === kitId);
        req.log.info({ bookingId: b.bookingId, kitId, from, to }, 'kit booked (page)');
        const body = `<h1 class="ok">${esc(t.okTitle)}</h1><p>${esc(t.okText(kit?.name ?? kitId, b.from, b.to))}</p>
<dl><dt>${esc(t.number)}</dt><dd>${esc(b.bookingId)}</dd><dt>${esc(t.amount)}</dt><dd>${esc(formatMoney(b.rentalAmount, b.currency, lang))}</dd>
<dt>${esc(t.deposit)}</dt><dd>${esc(formatMoney(b.deposit, b.currency, lang))}</dd>${b.contact ? `<dt>${esc(t.contact)}</dt><dd>${esc(b.contact)}</dd>` : ''}</dl>${back}`;
        return send(reply, 201, layout(lang, t.okTitle, body, `${base}?lang=${lang}`));
      } catch (err) {
        if (!(err instanceof RentalError) && !(err instanceof Error && 'status' in err)) throw err;
        const e = err as RentalError;
        const conflicts = (e.details?.conflicts ?? []) as { from: string; to: string }[];
        const message =
          e.code === 'kit-unavailable'
            ? t.unavailable(
                from,
                to,
                conflicts.map((c) => (c.from === c.to ? c.from : `${c.from}..${c.to}`)).join(', '),
              )
            : e.message;
        return fail(e.status, message);
      }
    },
  );
}
