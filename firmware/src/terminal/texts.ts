/** What the terminal says, in French and English (venues choose in config; French by default). */

export type Lang = 'fr' | 'en';

export const FR: { [key: string]: string } = {
  ready: 'Présentez la carte',
  paying: 'Paiement...',
  approved: 'Accepté',
  declined: 'Refusé',
  balance: 'Solde',
  timeout: 'Réseau lent, réessayez',
  offline: 'Hors ligne',
  queued: 'Enregistré hors ligne',
  queueFull: 'File pleine',
  noAmount: 'Aucun montant',
  readerError: 'Lecteur en panne',
  total: 'Total',
  pour: 'Servez-vous',
  poured: 'Servi',
  'insufficient-funds': 'Solde insuffisant',
  'card-blocked': 'Carte bloquée',
  'card-cloned': 'Carte copiée',
  'bad-sun': 'Carte invalide',
  'stale-price': 'Prix changés',
  'unknown-sku': 'Article inconnu',
  'stand-in-limit': 'Limite hors ligne',
  'age-check': 'Âge à vérifier',
  duplicate: 'Déjà payé',
  'unknown-card': 'Carte inconnue',
  'not-allowed': 'Non autorisé',
  'already-scanned': 'Déjà scanné',
  refunded: 'Billet remboursé',
  revoked: 'Billet annulé',
  'event-cancelled': 'Événement annulé',
  'not-yet-valid': 'Pas encore valable',
  expired: 'Billet expiré',
  'membership-expired': 'Adhésion expirée',
  'membership-required': 'Réservé adhérents',
  'membership-unknown': 'Adhésion inconnue',
  'no-ticket': 'Pas de billet',
};

export const EN: { [key: string]: string } = {
  ready: 'Tap your card',
  paying: 'Paying...',
  approved: 'Approved',
  declined: 'Declined',
  balance: 'Balance',
  timeout: 'Slow network, retry',
  offline: 'Offline',
  queued: 'Saved offline',
  queueFull: 'Queue full',
  noAmount: 'No amount',
  readerError: 'Reader fault',
  total: 'Total',
  pour: 'Pour now',
  poured: 'Poured',
  'insufficient-funds': 'Insufficient funds',
  'card-blocked': 'Card blocked',
  'card-cloned': 'Cloned card',
  'bad-sun': 'Invalid card',
  'stale-price': 'Prices changed',
  'unknown-sku': 'Unknown item',
  'stand-in-limit': 'Offline limit',
  'age-check': 'Check age',
  duplicate: 'Already paid',
  'unknown-card': 'Unknown card',
  'not-allowed': 'Not allowed',
  'already-scanned': 'Already scanned',
  refunded: 'Ticket refunded',
  revoked: 'Ticket revoked',
  'event-cancelled': 'Event cancelled',
  'not-yet-valid': 'Not yet valid',
  expired: 'Ticket expired',
  'membership-expired': 'Membership expired',
  'membership-required': 'Members only',
  'membership-unknown': 'Membership unknown',
  'no-ticket': 'No ticket',
};

export function text(lang: Lang, key: string): string {
  const table = lang === 'en' ? EN : FR;
  const t = table[key];
  return t !== undefined ? t : key;
}

/** 1234 → "12,34 €" (fr) or "€12.34" (en); minor units, always two decimals. */
export function money(lang: Lang, minor: number, currency: string): string {
  const neg = minor < 0;
  const v = neg ? -minor : minor;
  const units = Math.floor(v / 100);
  const cents = v % 100;
  const c = (cents < 10 ? '0' : '') + cents;
  const sym = currency === 'EUR' ? '€' : currency;
  const sign = neg ? '-' : '';
  return lang === 'en' ? sign + sym + units + '.' + c : sign + units + ',' + c + ' ' + sym;
}

/** Feedback patterns (ms on/off): approval is one short beep, a decline a long one, an error three. */
export const BEEP_OK = [80];
export const BEEP_DECLINED = [600];
export const BEEP_ERROR = [120, 80, 120, 80, 120];
