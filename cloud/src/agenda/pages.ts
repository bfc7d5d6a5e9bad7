// Agenda pages (list with filters, event detail). Every value goes through `html` (escaped).
import type { EventView } from '../ticketing/events.js';
import { Html, html, page, safeUrl } from './html.js';
import { DICT, formatDate, formatPrice, formatTime, LANGS, type Lang } from './i18n.js';
import type { AgendaFilter } from './query.js';

const link = (path: string, params: Record<string, string | undefined>): string => {
  const qs = new URLSearchParams(
    Object.entries(params).filter((e): e is [string, string] => !!e[1]),
  ).toString();
  return qs ? `${path}?${qs}` : path;
};

function langLinks(lang: Lang, path: string, params: Record<string, string | undefined>): Html {
  return html`<header><strong>TiBillet</strong><nav class="lang">${LANGS.map((l) =>
    l === lang
      ? html`<strong>${l.toUpperCase()}</strong>`
      : html`<a href="${link(path, { ...params, lang: l })}" hreflang="${l}">${l.toUpperCase()}</a>`,
  )}</nav></header>`;
}

function minPrice(e: EventView): number | null {
  const prices = e.categories.flatMap((c) => Object.values(c.prices).filter((p): p is number => p !== null));
  return prices.length ? Math.min(...prices) : null;
}

function badges(lang: Lang, e: EventView): Html {
  const t = DICT[lang];
  if (e.status === 'cancelled') return html` <span class="badge cancelled">${t.cancelled}</span>`;
  if (e.available === 0) return html` <span class="badge soldout">${t.soldOut}</span>`;
  return html``;
}

function excerpt(text: string, max = 280): string {
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}

export function agendaPage(
  lang: Lang,
  events: EventView[],
  filter: AgendaFilter,
  facets: { venues: { id: string; name: string }[]; tags: string[] },
): string {
  const t = DICT[lang];
  const keep = { venue: filter.venue, tag: filter.tag, fed: filter.federation };
  const withLang = (p: Record<string, string | undefined>) => ({ ...p, lang });
  const cards = events.map((e) => {
    const price = minPrice(e);
    return html`<article class="card"><h2><a href="${link(`/agenda/events/${e.id}`, { lang })}">${e.title}</a>${badges(lang, e)}</h2>
<div class="meta">${formatDate(lang, e.startsAt, e.timezone)} · <a href="${link('/agenda', withLang({ venue: e.venueId, fed: filter.federation }))}">${e.venueName}</a>${e.location ? html` · ${e.location}` : html``}</div>
<p>${excerpt(e.description)}</p>
<div class="meta">${price === null ? '' : price === 0 ? t.free : `${t.priceFrom} ${formatPrice(lang, price, e.asset)}`}${e.available !== null && e.available > 0 && e.status !== 'cancelled' ? ` · ${e.available} ${t.seatsLeft}` : ''}</div>
<div class="tags">${e.tags.map((tag) => html`<a href="${link('/agenda', withLang({ tag, venue: filter.venue, fed: filter.federation }))}">#${tag}</a>`)}</div></article>`;
  });
  const body = html`<h1>${t.agendaTitle}</h1><p class="meta">${t.agendaIntro} <a href="${link('/agenda.ics', keep)}">${t.ical}</a></p>
<form class="filters" method="get" action="/agenda"><input type="hidden" name="lang" value="${lang}">${filter.federation ? html`<input type="hidden" name="fed" value="${filter.federation}">` : html``}
<label>${t.venue}<select name="venue"><option value="">${t.allVenues}</option>${facets.venues.map(
    (v) =>
      html`<option value="${v.id}"${new Html(v.id === filter.venue ? ' selected' : '')}>${v.name}</option>`,
  )}</select></label>
<label>${t.tag}<select name="tag"><option value="">${t.allTags}</option>${facets.tags.map(
    (tag) => html`<option value="${tag}"${new Html(tag === filter.tag ? ' selected' : '')}>${tag}</option>`,
  )}</select></label><button type="submit">${t.filter}</button></form>
<section>${cards.length ? cards : html`<p>${t.noEvents}</p>`}</section>`;
  return page({ lang, title: t.agendaTitle, body, langLinks: langLinks(lang, '/agenda', keep) });
}

export function eventPage(lang: Lang, e: EventView, artists: { id: string; name: string }[] = []): string {
  const t = DICT[lang];
  const poster = safeUrl(e.imageUrl);
  const rows = e.categories.map(
    (c) =>
      html`<tr><td>${c.name}${c.available === 0 ? html` <span class="badge soldout">${t.soldOut}</span>` : html``}${
        c.description ? html`<div class="meta">${c.description}</div>` : html``
      }</td><td>${(['full', 'reduced', 'member'] as const)
        .filter((a) => c.prices[a] !== null)
        .map(
          (a) => html`<div>${t[a]} : ${formatPrice(lang, c.prices[a]!, e.asset)}</div>`,
        )}${buyForm(lang, e, c)}</td></tr>`,
  );
  const body = html`<p><a href="${link('/agenda', { lang })}">${t.back}</a></p><article class="card">
<h1>${e.title}${badges(lang, e)}</h1>${poster ? html`<img class="poster" src="${poster}" alt="">` : html``}
<p><strong>${t.when}</strong> : ${formatDate(lang, e.startsAt, e.timezone)} – ${formatTime(lang, e.endsAt, e.timezone)}</p>
<p><strong>${t.where}</strong> : ${e.venueName}${e.location ? html`, ${e.location}` : html``}</p>
${e.description.split(/\n{2,}/).map((para) => html`<p>${para.split('\n').map((line, i) => (i ? html`<br>${line}` : html`${line}`))}</p>`)}
<div class="tags">${e.tags.map((tag) => html`<a href="${link('/agenda', { tag, lang })}">#${tag}</a>`)}</div>
${artists.length ? html`<h2>${t.lineup}</h2><ul class="lineup">${artists.map((a) => html`<li><a href="${link(`/artists/${a.id}`, { lang })}">${a.name}</a></li>`)}</ul>` : html``}
<h2>${t.tickets}</h2><table>${rows}</table></article>`;
  return page({
    lang,
    title: `${e.title} · ${e.venueName}`,
    body,
    langLinks: langLinks(lang, `/agenda/events/${e.id}`, {}),
  });
}

const BUY = {
  fr: { buy: 'Acheter', quantity: 'Nombre', price: 'Tarif' },
  en: { buy: 'Buy tickets', quantity: 'Quantity', price: 'Price' },
} as const;

/** Leads to the holder's purchase page (/me/events/:id/buy, login first when needed). */
function buyForm(lang: Lang, e: EventView, c: EventView['categories'][number]): Html {
  if (e.status === 'cancelled' || c.available === 0 || new Date(e.endsAt).getTime() < Date.now())
    return html``;
  const b = BUY[lang];
  const audiences = (['full', 'reduced', 'member'] as const).filter((a) => c.prices[a] !== null);
  return html`<form class="buy" method="get" action="/me/events/${e.id}/buy"><input type="hidden" name="lang" value="${lang}"><input type="hidden" name="categoryId" value="${c.id}">
<label>${b.price} <select name="audience">${audiences.map((a) => html`<option value="${a}">${DICT[lang][a]}</option>`)}</select></label>
<label>${b.quantity} <input type="number" name="quantity" min="1" max="10" value="1" required style="width:4rem"></label>
<button type="submit">${b.buy}</button></form>`;
}

export function notFoundPage(lang: Lang, message: string): string {
  return page({
    lang,
    title: message,
    body: html`<h1>${message}</h1><p><a href="${link('/agenda', { lang })}">${DICT[lang].back}</a></p>`,
  });
}
