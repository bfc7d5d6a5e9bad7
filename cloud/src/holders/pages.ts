// Holder pages, server-rendered (no script), FR/EN, phone-sized (the agenda's layout). Pure:
// data in, HTML out; every interpolated value is escaped by `html`.
import { type Html, html, page } from '../agenda/html.js';
import type { Lang } from '../agenda/i18n.js';
import type { WalletRef } from './access.js';
import type { MembershipRow, TicketRow, WalletData } from './data.js';
import { HT } from './i18n.js';

const locale = (lang: Lang) => (lang === 'fr' ? 'fr-FR' : 'en-GB');

export function amountText(asset: string, amount: number, lang: Lang): string {
  if (asset === 'TIME') return `${(amount / 60).toFixed(amount % 60 === 0 ? 0 : 1)} h`;
  if (asset.startsWith('LOYAL:') || asset.startsWith('MEMBER:')) return String(amount);
  return new Intl.NumberFormat(locale(lang), { style: 'currency', currency: 'EUR' }).format(amount / 100);
}

const day = (ms: number, lang: Lang) =>
  new Date(ms).toLocaleDateString(locale(lang), { timeZone: 'Europe/Paris', dateStyle: 'long' });
const stamp = (ms: number, lang: Lang) =>
  new Date(ms).toLocaleString(locale(lang), {
    timeZone: 'Europe/Paris',
    dateStyle: 'short',
    timeStyle: 'short',
  });

function langLinks(lang: Lang, path: string): Html {
  const other: Lang = lang === 'fr' ? 'en' : 'fr';
  return html`<header><a href="/me?lang=${lang}">TiBillet · ${HT[lang].space}</a><nav class="lang"><a href="${path}${path.includes('?') ? '&' : '?'}lang=${other}" hreflang="${other}">${other.toUpperCase()}</a></nav></header>`;
}

export function holderPage(lang: Lang, title: string, path: string, body: Html): string {
  return page({ lang, title, body, langLinks: langLinks(lang, path) });
}

const notice = (msg?: { ok: boolean; text: string }) =>
  msg ? html`<p class="status ${msg.ok ? 'ok' : 'bad'}" role="status">${msg.text}</p>` : html``;

export function loginPage(lang: Lang, msg?: { ok: boolean; text: string }): string {
  const t = HT[lang];
  return holderPage(
    lang,
    t.loginTitle,
    '/me/login',
    html`<h1>${t.loginTitle}</h1>${notice(msg)}<p>${t.loginIntro}</p>
<form method="post" action="/me/login?lang=${lang}" class="card"><label>${t.email}<br><input type="email" name="email" required maxlength="254" autocomplete="email" style="width:100%"></label>
<p><button type="submit">${t.sendLink}</button></p></form>`,
  );
}

export function homePage(lang: Lang, email: string, wallets: WalletRef[], csrf: string): string {
  const t = HT[lang];
  return holderPage(
    lang,
    t.space,
    '/me',
    html`<h1>${t.space}</h1><p class="meta">${email}</p>
<h2>${t.myWallets}</h2>
${wallets.length === 0 ? html`<p>${t.noWallet}</p>` : html``}
${wallets.map(
  (
    w,
  ) => html`<div class="card"><a href="/me/wallets/${w.walletId}?lang=${lang}"><b>${t.wallet} #${w.walletId}</b></a>
<span class="meta">${w.role === 'owner' ? t.owner : `${t.guardianOf} ${w.holderName ?? ''}`}</span><br>
<a href="/me/wallets/${w.walletId}/tickets?lang=${lang}">${t.tickets}</a> · <a href="/me/wallets/${w.walletId}/memberships?lang=${lang}">${t.memberships}</a>${
    w.role === 'owner'
      ? html` · <a href="/me/wallets/${w.walletId}/guardians?lang=${lang}">${t.guardians}</a>`
      : html``
  }</div>`,
)}
<form method="post" action="/me/logout"><input type="hidden" name="csrf" value="${csrf}"><button type="submit">${t.logout}</button></form>`,
  );
}

function walletNav(lang: Lang, w: WalletRef): Html {
  const t = HT[lang];
  return html`<p><a href="/me/wallets/${w.walletId}?lang=${lang}">${t.wallet}</a> · <a href="/me/wallets/${w.walletId}/tickets?lang=${lang}">${t.tickets}</a> · <a href="/me/wallets/${w.walletId}/memberships?lang=${lang}">${t.memberships}</a>${
    w.role === 'owner'
      ? html` · <a href="/me/wallets/${w.walletId}/guardians?lang=${lang}">${t.guardians}</a>`
      : html``
  } · <a href="/me?lang=${lang}">${t.back}</a></p>`;
}

export function walletPage(
  lang: Lang,
  w: WalletRef,
  d: WalletData,
  csrf: string,
  key: string,
  msg?: { ok: boolean; text: string },
): string {
  const t = HT[lang];
  const cards = d.cards.filter((c) => !c.blocked);
  return holderPage(
    lang,
    `${t.wallet} #${w.walletId}`,
    `/me/wallets/${w.walletId}`,
    html`<h1>${t.wallet} #${w.walletId}</h1>${walletNav(lang, w)}${notice(msg)}
${
  d.dormancy.length
    ? html`<div class="card bad"><h2>${t.dormant}</h2><ul>${d.dormancy.map(
        (x) =>
          html`<li>${stamp(x.at, lang)} · ${x.kind === 'reminder' ? t.dormantReminder : html`${t.dormantReclaim} : ${amountText(x.asset ?? 'EUR', x.amount, lang)}`}</li>`,
      )}</ul></div>`
    : html``
}
<div class="card"><h2>${t.balances}</h2><ul class="balances">${d.balances.map(
      (b) =>
        html`<li><b>${amountText(b.asset, b.amount, lang)}</b> ${b.asset} <small>(${b.refundable ? t.refundable : t.notRefundable})</small></li>`,
    )}</ul></div>
${
  cards.length
    ? html`<form method="post" action="/me/wallets/${w.walletId}/refund?lang=${lang}" class="card"><h2>${t.refund}</h2>
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="key" value="${key}">
<label>${t.refundCard}<br><select name="cardUid">${cards.map((c) => html`<option value="${c.uid}">${c.uid}</option>`)}</select></label><br>
<label>${t.refundVenue}<br><select name="venueId">${d.venues.map((v) => html`<option value="${v.id}">${v.name}</option>`)}</select></label>
<p><button type="submit">${t.refund}</button></p></form>`
    : html``
}
${
  d.refunds.length
    ? html`<div class="card"><h2>${t.refunds}</h2><ul>${d.refunds.map((r) => html`<li>${r.createdAt.slice(0, 10)} · ${r.cardUid} · <b>${r.status}</b></li>`)}</ul></div>`
    : html``
}
<div class="card"><h2>${t.history}</h2>${d.moves.length === 0 ? html`<p>${t.noMove}</p>` : html``}
<ul class="moves">${d.moves.map(
      (m) =>
        html`<li>${stamp(m.at, lang)} · ${m.kind} · ${m.incoming ? '+' : '−'}${amountText(m.asset, m.amount, lang)} <a href="/log/${m.id}">${t.log} #${m.id}</a></li>`,
    )}</ul></div>`,
  );
}

export function ticketsPage(lang: Lang, w: WalletRef, tickets: TicketRow[]): string {
  const t = HT[lang];
  return holderPage(
    lang,
    t.tickets,
    `/me/wallets/${w.walletId}/tickets`,
    html`<h1>${t.tickets}</h1>${walletNav(lang, w)}
${tickets.length === 0 ? html`<p>${t.noTicket}</p>` : html``}
${tickets.map(
  (
    x,
  ) => html`<div class="card"><h2>${x.title}</h2><p class="meta">${x.venue} · ${new Date(x.startsAt).toLocaleString(locale(lang), { timeZone: x.timezone, dateStyle: 'medium', timeStyle: 'short' })} · ${x.category}</p>
<p>${x.status === 'valid' ? (x.checkedIn ? html`<span class="badge soldout">${t.checkedIn}</span>` : html`<a href="/tickets/${x.token}?lang=${lang}">${t.showQr}</a>`) : html`<span class="badge cancelled">${x.status}</span>`}</p></div>`,
)}`,
  );
}

export function membershipsPage(
  lang: Lang,
  w: WalletRef,
  rows: MembershipRow[],
  csrf: string,
  key: string,
  msg?: { ok: boolean; text: string },
): string {
  const t = HT[lang];
  return holderPage(
    lang,
    t.memberships,
    `/me/wallets/${w.walletId}/memberships`,
    html`<h1>${t.memberships}</h1>${walletNav(lang, w)}${notice(msg)}
${rows.length === 0 ? html`<p>${t.noProduct}</p>` : html``}
${rows.map((r) => {
  const p = r.product;
  const s = r.status;
  const state =
    s.state === 'valid'
      ? html`<span class="status ok">${t.valid} ${day(s.validUntil!, lang)}</span>`
      : s.state === 'expired'
        ? html`<span class="status bad">${t.expired} ${day(s.validUntil!, lang)}</span>`
        : html`<span class="meta">${t.none}</span>`;
  const priceField =
    p.pricing === 'fixed'
      ? html`<p>${t.price} : <b>${amountText(p.asset, p.price, lang)}</b></p>`
      : p.pricing === 'free'
        ? html`<label>${t.freePrice} ${amountText(p.asset, p.minPrice, lang)})<br><input type="number" name="amount" min="${p.minPrice / 100}" step="0.01" value="${(p.price / 100).toFixed(2)}" required></label>`
        : html`<label>${t.bracket}<br><select name="bracket">${(p.brackets ?? []).map(
            (b) => html`<option value="${b.id}">${b.label} — ${amountText(p.asset, b.price, lang)}</option>`,
          )}</select></label>`;
  const cancelled =
    r.cancelledAt !== null && s.state !== 'valid'
      ? html`<p class="status bad">${t.cancelledOn} ${day(r.cancelledAt, lang)}</p>`
      : html``;
  const reminders =
    r.reminders === null
      ? html``
      : html`<form method="post" action="/me/wallets/${w.walletId}/memberships/${p.id}/reminders?lang=${lang}">
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="enabled" value="${r.reminders === 'on' ? 'off' : 'on'}">
<p class="meta">${r.reminders === 'on' ? t.remindersOn : t.remindersOff}</p>
<p><button type="submit">${r.reminders === 'on' ? t.stopRenewal : t.resumeRenewal}</button></p></form>`;
  return html`<div class="card"><h2>${p.name}</h2><p class="meta">${r.venueName}${p.scope === 'federation' ? ' · réseau / network' : ''}</p>
<p>${state}</p>${cancelled}${reminders}
<form method="post" action="/me/wallets/${w.walletId}/memberships?lang=${lang}">
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="key" value="${key}-${p.id.slice(0, 8)}"><input type="hidden" name="productId" value="${p.id}">
${priceField}<p class="meta">${t.renewNote} ${t.paidFromWallet}</p>
<p><button type="submit">${s.state === 'none' ? t.join : t.renew}</button></p></form></div>`;
})}`,
  );
}

export function guardiansPage(
  lang: Lang,
  w: WalletRef,
  guardians: { id: number; email: string; since: string }[],
  csrf: string,
  msg?: { ok: boolean; text: string },
): string {
  const t = HT[lang];
  return holderPage(
    lang,
    t.guardians,
    `/me/wallets/${w.walletId}/guardians`,
    html`<h1>${t.guardians}</h1>${walletNav(lang, w)}${notice(msg)}<p>${t.guardiansIntro}</p>
${guardians.length === 0 ? html`<p>${t.noGuardian}</p>` : html``}
${guardians.map(
  (g) => html`<div class="card">${g.email} <span class="meta">${g.since.slice(0, 10)}</span>
<form method="post" action="/me/wallets/${w.walletId}/guardians/${g.id}/revoke?lang=${lang}"><input type="hidden" name="csrf" value="${csrf}"><button type="submit">${t.revoke}</button></form></div>`,
)}
<form method="post" action="/me/wallets/${w.walletId}/guardians?lang=${lang}" class="card"><input type="hidden" name="csrf" value="${csrf}">
<label>${t.email}<br><input type="email" name="email" required maxlength="254" style="width:100%"></label><p><button type="submit">${t.invite}</button></p></form>`,
  );
}

export function messagePage(lang: Lang, title: string, text: string, ok: boolean): string {
  return holderPage(
    lang,
    title,
    '/me',
    html`<h1>${title}</h1>${notice({ ok, text })}<p><a href="/me/login?lang=${lang}">${HT[lang].loginTitle}</a></p>`,
  );
}
