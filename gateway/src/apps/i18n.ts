/** French and English strings (i18n/*.json); French is the default, English on ?lang=en or Accept-Language. */
import en from './i18n/en.json' with { type: 'json' };
import fr from './i18n/fr.json' with { type: 'json' };

export type Strings = typeof fr;
export type Lang = 'fr' | 'en';

const TABLE: Record<Lang, Strings> = { fr, en };

export function pickLang(query: string | undefined, acceptLanguage: string | undefined): Lang {
  if (query === 'fr' || query === 'en') return query;
  const first = (acceptLanguage ?? '').split(',')[0]?.trim().slice(0, 2).toLowerCase();
  return first === 'en' ? 'en' : 'fr';
}

export function strings(lang: Lang): Strings {
  return TABLE[lang];
}
