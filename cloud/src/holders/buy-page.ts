// The holder's ticket purchase page and the provider-return page (server-rendered, no script,
// FR/EN, phone-sized). Pure: data in, HTML out; every interpolated value is escaped by `html`.
import { Html, html } from '../agenda/html.js';
import type { Lang } from '../agenda/i18n.js';
import type { EventView } from '../ticketing/events.js';
import type { Audience } from '../ticketing/schema.js';
import type { WalletRef } from './access.js';
import { amountText, holderPage } from './pages.js';

export const BT = {
  fr: {
    title: 'Acheter des billets',
    category: 'Catégorie',
    audience: 'Tarif',
    full: 'Plein tarif',
    reduced: 'Tarif réduit',
    member: 'Tarif adhérent·e',
    quantity: 'Nombre de billets',
    wallet: 'Porte-monnaie',
    balance: 'solde',
    total: 'Total',
    payWallet: 'Payer avec le solde',
    payCard: 'Payer par carte bancaire',
    cardNote:
      'Le paiement par carte crédite votre porte-monnaie du montant manquant, puis le billet est réservé.',
    noWallet:
      'Aucun porte-monnaie de ce réseau n’est lié à votre adresse : achetez au lieu avec votre carte.',
    waiting: 'Paiement en cours de confirmation… Actualisez cette page dans un instant.',
    refresh: 'Actualiser',
    paidNotBought:
      'Votre paiement de {amount} a bien été crédité sur votre porte-monnaie, mais la commande n’a pas pu être passée :',
    moneyStays: 'L’argent reste disponible sur votre porte-monnaie (remboursable).',
    myTickets: 'Mes billets',
    bought: 'Achat confirmé : voici vos billets.',
    event: 'Événement',
  },
  en: {
    title: 'Buy tickets',
    category: 'Category',
    audience: 'Price',
    full: 'Full price',
    reduced: 'Reduced price',
    member: 'Member price',
    quantity: 'Number of tickets',
    wallet: 'Wallet',
    balance: 'balance',
    total: 'Total',
    payWallet: 'Pay from the balance',
    payCard: 'Pay by bank card',
    cardNote: 'Card payment tops your wallet up with the missing amount, then the ticket is booked.',
    noWallet: 'No wallet of this network is linked to your address: buy at the venue with your card.',
    waiting: 'Payment being confirmed… Refresh this page in a moment.',
    refresh: 'Refresh',
    paidNotBought: 'Your payment of {amount} was credited to your wallet, but the order could not be placed:',
    moneyStays: 'The money stays available on your wallet (refundable).',
    myTickets: 'My tickets',
    bought: 'Purchase confirmed: here are your tickets.',
    event: 'Event',
  },
} as const;

/** Why an order was refused, in the holder's words. */
export const BUY_ERRORS: Record<Lang, Record<string, string>> = {
  fr: {
    'sold-out': 'Complet : il ne reste pas assez de places.',
    'insufficient-funds': 'Solde insuffisant : payez par carte bancaire ou rechargez votre porte-monnaie.',
    'membership-required': 'Ce tarif (ou cet événement) est réservé aux adhérent·es.',
    'membership-expired': 'Votre adhésion a expiré : renouvelez-la d’abord.',
    'event-cancelled': 'Cet événement est annulé.',
    'event-over': 'Cet événement est terminé.',
    'audience-not-offered': 'Ce tarif n’est pas proposé pour cette catégorie.',
    'unknown-category': 'Catégorie inconnue.',
    'no-card': 'Ce porte-monnaie n’a pas de carte utilisable à recharger.',
    'not-payable-online': 'Cet événement ne se paie pas en ligne.',
    'balance-covers': 'Votre solde suffit : payez avec le solde.',
    'idempotency-conflict': 'Ce formulaire a déjà servi : rechargez la page.',
    'bad-csrf': 'Formulaire expiré : rechargez la page.',
    'wrong-network': 'Ce porte-monnaie n’est pas de ce réseau.',
  },
  en: {
    'sold-out': 'Sold out: not enough seats left.',
    'insufficient-funds': 'Not enough balance: pay by bank card or top your wallet up.',
    'membership-required': 'This price (or event) is for members only.',
    'membership-expired': 'Your membership has expired: renew it first.',
    'event-cancelled': 'This event is cancelled.',
    'event-over': 'This event is over.',
    'audience-not-offered': 'This price is not offered for this category.',
    'unknown-category': 'Unknown category.',
    'no-card': 'This wallet has no usable card to top up.',
    'not-payable-online': 'This event cannot be paid online.',
    'balance-covers': 'Your balance is enough: pay from the balance.',
    'idempotency-conflict': 'This form was already used: reload the page.',
    'bad-csrf': 'Form expired: reload the page.',
    'wrong-network': 'This wallet is not part of this network.',
  },
};

export interface BuyChoice {
  categoryId?: string;
  audience?: Audience;
  quantity?: number;
  walletId?: number;
}

const AUDIENCES = ['full', 'reduced', 'member'] as const;

export function buyPage(
  lang: Lang,
  e: EventView,
  wallets: { w: WalletRef; balance: number }[],
  choice: BuyChoice,
  form: { csrf: string; key: string; card: boolean },
  msg?: { ok: boolean; text: string },
): string {
  const t = BT[lang];
  const path = `/me/events/${e.id}/buy`;
  const cats = e.categories.filter((c) => c.available !== 0);
  const qty = choice.quantity ?? 1;
  const body = html`<h1>${t.title}</h1>
<div class="card"><h2><a href="/agenda/events/${e.id}?lang=${lang}">${e.title}</a></h2><p class="meta">${e.venueName} · ${new Date(e.startsAt).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: e.timezone, dateStyle: 'long', timeStyle: 'short' })}</p></div>
${msg ? html`<p class="status ${msg.ok ? 'ok' : 'bad'}" role="alert">${msg.text}</p>` : html``}
${
  wallets.length === 0
    ? html`<p>${t.noWallet}</p>`
    : html`<form method="post" action="${path}?lang=${lang}" class="card">
<input type="hidden" name="csrf" value="${form.csrf}"><input type="hidden" name="key" value="${form.key}">
<p><label>${t.category}<br><select name="categoryId">${cats.map(
        (c) => html`<option value="${c.id}"${selected(c.id === choice.categoryId)}>${c.name}</option>`,
      )}</select></label></p>
<p><label>${t.audience}<br><select name="audience">${AUDIENCES.filter((a) =>
        cats.some((c) => c.prices[a] !== null),
      ).map((a) => {
        const prices = cats
          .filter((c) => c.id === choice.categoryId || !choice.categoryId)
          .map((c) => c.prices[a]);
        const p = prices.find((x) => x !== null && x !== undefined);
        return html`<option value="${a}"${selected(a === choice.audience)}>${t[a]}${p === undefined || p === null ? '' : ` · ${amountText(e.asset, p, lang)}`}</option>`;
      })}</select></label></p>
<p><label>${t.quantity}<br><input type="number" name="quantity" min="1" max="10" value="${String(qty)}" required></label></p>
<fieldset><legend>${t.wallet}</legend>${wallets.map(
        ({ w, balance }, i) =>
          html`<label style="display:block"><input type="radio" name="walletId" value="${String(w.walletId)}"${checked(choice.walletId === undefined ? i === 0 : choice.walletId === w.walletId)}> ${t.wallet} #${String(w.walletId)}${w.holderName ? ` (${w.holderName})` : ''} · ${t.balance} ${amountText(e.asset, balance, lang)}</label>`,
      )}</fieldset>
<p><button type="submit" name="pay" value="wallet">${t.payWallet}</button></p>
${form.card ? html`<p><button type="submit" name="pay" value="card">${t.payCard}</button><br><span class="meta">${t.cardNote}</span></p>` : html``}
</form>`
}`;
  return holderPage(lang, `${t.title} · ${e.title}`, path, body);
}

const selected = (on: boolean) => new Html(on ? ' selected' : '');
const checked = (on: boolean) => new Html(on ? ' checked' : '');

export function returnPage(
  lang: Lang,
  e: { id: string; title: string },
  state: { status: 'pending' | 'failed'; failure: string | null; charged: number; walletId: number },
  selfUrl: string,
): string {
  const t = BT[lang];
  const body =
    state.status === 'pending'
      ? html`<h1>${t.title}</h1><p class="status" role="status">${t.waiting}</p><p><a href="${selfUrl}">${t.refresh}</a></p>`
      : html`<h1>${t.title}</h1><p class="status bad" role="alert">${t.paidNotBought.replace('{amount}', amountText('EUR', state.charged, lang))} ${BUY_ERRORS[lang][state.failure ?? ''] ?? state.failure ?? ''}</p>
<p>${t.moneyStays}</p><p><a href="/me/wallets/${String(state.walletId)}?lang=${lang}">${t.wallet} #${String(state.walletId)}</a> · <a href="/agenda/events/${e.id}?lang=${lang}">${e.title}</a></p>`;
  return holderPage(lang, t.title, selfUrl, body);
}
