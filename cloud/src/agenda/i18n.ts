// French and English for the public pages: `?lang=` wins, then Accept-Language (by q-value),
// then French.
export const LANGS = ['fr', 'en'] as const;
export type Lang = (typeof LANGS)[number];

export function pickLang(query: unknown, acceptLanguage: string | undefined): Lang {
  if (query === 'fr' || query === 'en') return query;
  const prefs = (acceptLanguage ?? '')
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
      return { lang: tag.split('-')[0], q: q ? Number(q[1]) : 1, i };
    })
    .filter((p) => p.lang && p.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const p of prefs) if (p.lang === 'fr' || p.lang === 'en') return p.lang;
  return 'fr';
}

const fr = {
  agendaTitle: 'Agenda des lieux',
  agendaIntro: 'Les prochains événements de tous les lieux membres.',
  venue: 'Lieu',
  tag: 'Étiquette',
  allVenues: 'Tous les lieux',
  allTags: 'Toutes',
  filter: 'Filtrer',
  noEvents: 'Aucun événement à venir.',
  cancelled: 'Annulé',
  soldOut: 'Complet',
  priceFrom: 'À partir de',
  free: 'Entrée libre',
  seatsLeft: 'places restantes',
  ical: 'S’abonner (iCal)',
  back: '← Agenda',
  tickets: 'Billets',
  category: 'Catégorie',
  full: 'Plein tarif',
  reduced: 'Tarif réduit',
  member: 'Tarif adhérent',
  where: 'Où',
  when: 'Quand',
  ticket: 'Billet',
  validFrom: 'Valable du',
  validUntil: 'au',
  statusValid: 'Billet valide',
  statusRefunded: 'Billet remboursé',
  statusRevoked: 'Billet annulé',
  statusCancelled: 'Événement annulé',
  checkedIn: 'Scanné le',
  showAtDoor: 'Présentez ce code à l’entrée.',
  download: 'Télécharger (PNG)',
  downloadPdf: 'Billet imprimable (PDF)',
  notFound: 'Billet introuvable',
  badTicket: 'Ce billet n’est pas valide.',
  eventNotFound: 'Événement introuvable',
  lineup: 'À l’affiche',
};

const en: typeof fr = {
  agendaTitle: 'Venues agenda',
  agendaIntro: 'Upcoming events at every member venue.',
  venue: 'Venue',
  tag: 'Tag',
  allVenues: 'All venues',
  allTags: 'All',
  filter: 'Filter',
  noEvents: 'No upcoming events.',
  cancelled: 'Cancelled',
  soldOut: 'Sold out',
  priceFrom: 'From',
  free: 'Free entry',
  seatsLeft: 'seats left',
  ical: 'Subscribe (iCal)',
  back: '← Agenda',
  tickets: 'Tickets',
  category: 'Category',
  full: 'Full price',
  reduced: 'Reduced price',
  member: 'Member price',
  where: 'Where',
  when: 'When',
  ticket: 'Ticket',
  validFrom: 'Valid from',
  validUntil: 'until',
  statusValid: 'Valid ticket',
  statusRefunded: 'Refunded ticket',
  statusRevoked: 'Revoked ticket',
  statusCancelled: 'Event cancelled',
  checkedIn: 'Scanned at',
  showAtDoor: 'Show this code at the door.',
  download: 'Download (PNG)',
  downloadPdf: 'Printable ticket (PDF)',
  notFound: 'Ticket not found',
  badTicket: 'This ticket is not valid.',
  eventNotFound: 'Event not found',
  lineup: 'Line-up',
};

export type Dict = typeof fr;
export const DICT: Record<Lang, Dict> = { fr, en };

const locale = (lang: Lang): string => (lang === 'fr' ? 'fr-FR' : 'en-GB');

// Building an Intl formatter costs far more than using one (a 200-event page formats 600 values):
// formatters are kept per language, style and time zone (a handful in practice; capped anyway).
const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();
function cached<T extends Intl.DateTimeFormat | Intl.NumberFormat>(key: string, make: () => T): T {
  let f = formatters.get(key) as T | undefined;
  if (!f) {
    if (formatters.size > 500) formatters.clear();
    f = make();
    formatters.set(key, f);
  }
  return f;
}

export function formatDate(lang: Lang, isoDate: string, timeZone: string): string {
  return cached(
    `d|${lang}|${timeZone}`,
    () => new Intl.DateTimeFormat(locale(lang), { dateStyle: 'full', timeStyle: 'short', timeZone }),
  ).format(new Date(isoDate));
}

export function formatTime(lang: Lang, isoDate: string, timeZone: string): string {
  return cached(
    `t|${lang}|${timeZone}`,
    () => new Intl.DateTimeFormat(locale(lang), { timeStyle: 'short', timeZone }),
  ).format(new Date(isoDate));
}

/** Minor units of an asset: EUR as currency, other assets with their code. */
export function formatPrice(lang: Lang, amount: number, asset: string): string {
  if (asset === 'EUR')
    return cached(
      `eur|${lang}`,
      () => new Intl.NumberFormat(locale(lang), { style: 'currency', currency: 'EUR' }),
    ).format(amount / 100);
  const n = cached(
    `n|${lang}`,
    () => new Intl.NumberFormat(locale(lang), { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
  );
  return `${n.format(amount / 100)} ${asset}`;
}
