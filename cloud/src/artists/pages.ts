// Artists' server-rendered pages (FR/EN, phone-sized, no script): search, public profile, sign-in,
// proposal form and the artist's proposals. Every artist-supplied value goes through `html`
// (escaped); links and pictures only as http(s) URLs.
import { Html, html, page, safeUrl } from '../agenda/html.js';
import { formatDate, formatPrice, LANGS, type Lang } from '../agenda/i18n.js';
import { ADICT } from './i18n.js';
import type { ArtistEvent } from './lineup.js';
import type { ArtistProfile, ArtistSearch, ArtistSummary } from './profile.js';
import type { Proposal } from './proposals.js';

const link = (path: string, params: Record<string, string | undefined>): string => {
  const qs = new URLSearchParams(
    Object.entries(params).filter((e): e is [string, string] => !!e[1]),
  ).toString();
  return qs ? `${path}?${qs}` : path;
};

function header(lang: Lang, path: string, params: Record<string, string | undefined> = {}): Html {
  return html`<header><a href="${link('/artists', { lang })}"><strong>TiBillet · ${ADICT[lang].artists}</strong></a><nav class="lang"><a href="${link('/artists/me/proposals', { lang })}">${ADICT[lang].mySpace}</a> ${LANGS.map(
    (l) =>
      l === lang
        ? html`<strong>${l.toUpperCase()}</strong>`
        : html`<a href="${link(path, { ...params, lang: l })}" hreflang="${l}">${l.toUpperCase()}</a>`,
  )}</nav></header>`;
}

const para = (text: string): Html[] =>
  text
    .split(/\n{2,}/)
    .filter((p) => p.trim())
    .map((p) => html`<p>${p.split('\n').map((line, i) => (i ? html`<br>${line}` : html`${line}`))}</p>`);

const dayFmt = (lang: Lang, d: string): string =>
  new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(
    new Date(`${d}T00:00:00Z`),
  );

export function searchPage(
  lang: Lang,
  found: ArtistSummary[],
  s: ArtistSearch,
  facets: { tags: string[]; regions: string[] },
): string {
  const t = ADICT[lang];
  const cards = found.map(
    (a) => html`<article class="card"><h2><a href="${link(`/artists/${a.id}`, { lang })}">${a.name}</a></h2>
<div class="meta">${a.region}</div><div class="tags">${a.tags.map((tag) => html`<a href="${link('/artists', { tag, lang })}">#${tag}</a>`)}</div></article>`,
  );
  const body = html`<h1>${t.artists}</h1><p class="meta">${t.searchIntro}</p>
<form class="filters" method="get" action="/artists"><input type="hidden" name="lang" value="${lang}">
<label>${t.tag}<select name="tag"><option value="">${t.allTags}</option>${facets.tags.map(
    (tag) => html`<option value="${tag}"${new Html(tag === s.tag ? ' selected' : '')}>${tag}</option>`,
  )}</select></label>
<label>${t.region}<input name="region" value="${s.region ?? ''}" list="regions" maxlength="120"></label>
<datalist id="regions">${facets.regions.map((r) => html`<option value="${r}">`)}</datalist>
<label>${t.availableOn}<input type="date" name="availableOn" value="${s.availableOn ?? ''}"></label>
<button type="submit">${t.search}</button></form>
<section>${cards.length ? cards : html`<p>${t.noArtists}</p>`}</section>`;
  return page({
    lang,
    title: t.artists,
    body,
    langLinks: header(lang, '/artists', { tag: s.tag, region: s.region, availableOn: s.availableOn }),
  });
}

export function profilePage(lang: Lang, a: ArtistProfile, events: ArtistEvent[]): string {
  const t = ADICT[lang];
  const picture = a.hasImage ? `/artists/${a.id}/image` : safeUrl(a.imageUrl);
  const links = a.mediaLinks
    .map((l) => ({ label: l.label, url: safeUrl(l.url) }))
    .filter((l): l is { label: string; url: string } => l.url !== null);
  const body = html`<article class="card"><h1>${a.name}</h1>
${picture ? html`<img class="poster" src="${picture}" alt="${a.name}">` : html``}
<div class="meta">${a.region}</div>
<div class="tags">${a.tags.map((tag) => html`<a href="${link('/artists', { tag, lang })}">#${tag}</a>`)}</div>
${a.bio.trim() ? html`<h2>${t.bio}</h2>${para(a.bio)}` : html``}
${links.length ? html`<h2>${t.media}</h2><ul>${links.map((l) => html`<li><a href="${l.url}" rel="nofollow noopener noreferrer">${l.label || l.url}</a></li>`)}</ul>` : html``}
${a.techRider.trim() ? html`<h2>${t.techRider}</h2>${para(a.techRider)}` : html``}
${a.availability.length ? html`<h2>${t.availability}</h2><ul>${a.availability.map((r) => html`<li>${t.from} ${dayFmt(lang, r.from)} ${t.to} ${dayFmt(lang, r.to)}</li>`)}</ul>` : html``}
</article><section class="card"><h2>${t.upcoming}</h2>${
    events.length
      ? html`<ul class="events">${events.map(
          (e) =>
            html`<li><a href="${link(`/agenda/events/${e.id}`, { lang })}">${e.title}</a> · ${e.venueName} · ${formatDate(lang, e.startsAt, e.timezone)}${
              e.status === 'cancelled' ? html` <span class="badge cancelled">${t.cancelled}</span>` : html``
            }</li>`,
        )}</ul>`
      : html`<p>${t.noUpcoming}</p>`
  }</section>`;
  return page({ lang, title: a.name, body, langLinks: header(lang, `/artists/${a.id}`) });
}

export function messagePage(lang: Lang, title: string): string {
  return page({
    lang,
    title,
    body: html`<h1>${title}</h1><p><a href="${link('/artists', { lang })}">${ADICT[lang].artists}</a></p>`,
    langLinks: header(lang, '/artists'),
  });
}

export function loginPage(
  lang: Lang,
  opts: { error?: string; next?: string; email?: string; unverified?: boolean } = {},
): string {
  const t = ADICT[lang];
  const alert = opts.error ? html`<div class="status bad" role="alert">${opts.error}</div>` : html``;
  // Unverified account: instead of the sign-in form, the resend form (the password proves who asks).
  const form = opts.unverified
    ? html`<form method="post" action="/artists/verify/resend"><input type="hidden" name="lang" value="${lang}">
<p>${t.resendIntro}</p>
<p><label>${t.email}<br><input type="email" name="email" required maxlength="200" autocomplete="username" value="${opts.email ?? ''}"></label></p>
<p><label>${t.password}<br><input type="password" name="password" required maxlength="200" autocomplete="current-password"></label></p>
<p><button type="submit">${t.resend}</button></p></form>
<p><a href="${link('/artists/login', { lang })}">${t.signIn}</a></p>`
    : html`<form method="post" action="/artists/login"><input type="hidden" name="lang" value="${lang}"><input type="hidden" name="next" value="${opts.next ?? ''}">
<p><label>${t.email}<br><input type="email" name="email" required maxlength="200" autocomplete="username" value="${opts.email ?? ''}"></label></p>
<p><label>${t.password}<br><input type="password" name="password" required maxlength="200" autocomplete="current-password"></label></p>
<p><button type="submit">${t.signIn}</button></p></form>
<p>${t.noAccount} <a href="${link('/artists/signup', { lang })}">${t.signUp}</a></p>`;
  const body = html`<article class="card"><h1>${t.login}</h1>${alert}
${form}</article>`;
  return page({ lang, title: t.login, body, langLinks: header(lang, '/artists/login') });
}

export function signUpPage(
  lang: Lang,
  opts: { error?: string; values?: { email?: string; name?: string } } = {},
): string {
  const t = ADICT[lang];
  const v = opts.values ?? {};
  const body = html`<article class="card"><h1>${t.signUp}</h1>${opts.error ? html`<div class="status bad" role="alert">${opts.error}</div>` : html``}
<form method="post" action="/artists/signup"><input type="hidden" name="lang" value="${lang}">
<p><label>${t.stageName}<br><input name="name" required maxlength="120" value="${v.name ?? ''}"></label></p>
<p><label>${t.email}<br><input type="email" name="email" required maxlength="200" autocomplete="email" value="${v.email ?? ''}"></label></p>
<p><label>${t.password} (${t.passwordHint})<br><input type="password" name="password" required minlength="10" maxlength="200" autocomplete="new-password"></label></p>
<p><button type="submit">${t.createAccount}</button></p></form>
<p>${t.haveAccount} <a href="${link('/artists/login', { lang })}">${t.signIn}</a></p></article>`;
  return page({ lang, title: t.signUp, body, langLinks: header(lang, '/artists/signup') });
}

/** A titled notice (sign-up sent, link used or expired…) with a way on to the sign-in page. */
export function noticePage(
  lang: Lang,
  title: string,
  text: string,
  role: 'status' | 'alert' = 'status',
): string {
  const t = ADICT[lang];
  const body = html`<article class="card"><h1>${title}</h1><div class="status${new Html(role === 'alert' ? ' bad' : '')}" role="${role}">${text}</div>
<p><a href="${link('/artists/login', { lang })}">${t.login}</a></p></article>`;
  return page({ lang, title, body, langLinks: header(lang, '/artists/login') });
}

/** The emailed link's page: a button (a POST) uses the link, so mail scanners that open links do not. */
export function verifyPage(lang: Lang, token: string, name: string): string {
  const t = ADICT[lang];
  const body = html`<article class="card"><h1>${t.verifyTitle}</h1><p>${t.verifyIntro} <strong>${name}</strong></p>
<form method="post" action="/artists/verify"><input type="hidden" name="lang" value="${lang}"><input type="hidden" name="token" value="${token}">
<p><button type="submit">${t.confirm}</button></p></form></article>`;
  return page({ lang, title: t.verifyTitle, body, langLinks: header(lang, `/artists/verify/${token}`) });
}

export function proposalFormPage(
  lang: Lang,
  artistName: string,
  venues: { id: string; name: string }[],
  opts: { venue?: string; error?: string; requestKey: string; values?: Record<string, string> },
): string {
  const t = ADICT[lang];
  const v = opts.values ?? {};
  const body = html`<p class="meta">${artistName} · <a href="${link('/artists/me/proposals', { lang })}">${t.myProposals}</a></p>
<article class="card"><h1>${t.newProposal}</h1>${opts.error ? html`<div class="status bad" role="alert">${opts.error}</div>` : html``}
<form method="post" action="/artists/me/proposals"><input type="hidden" name="lang" value="${lang}"><input type="hidden" name="requestKey" value="${opts.requestKey}">
<p><label>${t.venue}<br><select name="venueId" required>${venues.map(
    (x) =>
      html`<option value="${x.id}"${new Html(x.id === (v.venueId ?? opts.venue) ? ' selected' : '')}>${x.name}</option>`,
  )}</select></label></p>
<p><label>${t.message}<br><textarea name="message" required maxlength="5000" rows="6" style="width:100%">${v.message ?? ''}</textarea></label></p>
<p class="filters"><label>${t.datesFrom}<br><input type="date" name="from" required value="${v.from ?? ''}"></label>
<label>${t.datesTo}<br><input type="date" name="to" required value="${v.to ?? ''}"></label></p>
<p><label>${t.fee}<br><input name="fee" inputmode="decimal" pattern="[0-9]{1,7}([.,][0-9]{1,2})?" value="${v.fee ?? ''}"></label></p>
<p><button type="submit">${t.send}</button></p></form></article>`;
  return page({ lang, title: t.newProposal, body, langLinks: header(lang, '/artists/me/proposals/new') });
}

export function myProposalsPage(lang: Lang, artistName: string, list: Proposal[]): string {
  const t = ADICT[lang];
  const cards = list.map(
    (
      p,
    ) => html`<article class="card proposal" data-status="${p.status}"><h2>${p.venueName} <span class="badge">${t.status[p.status]}</span></h2>
<div class="meta">${t.sentOn} ${formatDate(lang, p.createdAt, 'Europe/Paris')} · ${p.dates.map((d) => `${dayFmt(lang, d.from)} – ${dayFmt(lang, d.to)}`).join(', ')} · ${
      p.feeAmount === null ? t.feeOpen : formatPrice(lang, p.feeAmount, p.feeCurrency)
    }</div>
${(p.messages ?? []).map((m) => html`<div class="msg"><strong>${m.author === 'artist' ? t.artistSays : t.venueSays}</strong> : ${para(m.body)}</div>`)}</article>`,
  );
  const body = html`<p class="meta">${artistName} · <a href="${link('/artists/me/proposals/new', { lang })}">${t.newProposal}</a></p>
<h1>${t.myProposals}</h1>${cards.length ? cards : html`<p>${t.noProposals}</p>`}`;
  return page({ lang, title: t.myProposals, body, langLinks: header(lang, '/artists/me/proposals') });
}

/** Euros typed in a form ("1200", "1200,50") to cents; null when empty. */
export function parseFee(text: string | undefined): number | null {
  const s = (text ?? '').trim();
  if (!s) return null;
  const m = /^(\d{1,7})(?:[.,](\d{1,2}))?$/.exec(s);
  if (!m) return Number.NaN;
  return Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
}
