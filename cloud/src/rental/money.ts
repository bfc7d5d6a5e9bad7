// Amounts are integer minor units (cents); formatting for the invoice and the booking page.
export type Lang = 'fr' | 'en';

/** 123456 → "1 234,56 EUR" (fr) or "EUR 1,234.56" (en). Two decimals, ASCII only. */
export function formatMoney(minor: number, currency: string, lang: Lang): string {
  const neg = minor < 0;
  const abs = Math.abs(minor);
  const units = Math.floor(abs / 100).toString();
  const cents = (abs % 100).toString().padStart(2, '0');
  const grouped = units.replace(/\B(?=(\d{3})+(?!\d))/g, lang === 'fr' ? ' ' : ',');
  const n = lang === 'fr' ? `${grouped},${cents}` : `${grouped}.${cents}`;
  return `${neg ? '-' : ''}${lang === 'fr' ? `${n} ${currency}` : `${currency} ${n}`}`;
}
