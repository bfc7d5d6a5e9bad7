/** HTML helpers: every interpolated value goes through esc(); data for scripts goes through bootJson(). */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"'`]/g, (c) => ENTITIES[c]);
}

/** JSON safe inside <script type="application/json">: no "</script>", no HTML comment openers. */
export function bootJson(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const SYMBOLS: Record<string, string> = { EUR: '€', USD: '$', GBP: '£', CHF: 'CHF' };

/**
 * Money in minor units, French ("1 234,50 €") or English ("€1,234.50"). Done by hand, not with
 * Intl: browsers on cheap tablets (and Debian's Chromium) may lack the French locale data, and
 * the page and its script must print the same thing. The script has a copy (static/pos-js.ts).
 */
export function money(amount: number, currency: string, lang: string): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(Math.round(amount));
  const units = String(Math.floor(abs / 100));
  const cents = String(abs % 100).padStart(2, '0');
  const sym = SYMBOLS[currency] ?? currency;
  if (lang === 'fr') return `${sign}${units.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f')},${cents}\u00a0${sym}`;
  return `${sign}${sym.length > 1 ? `${sym} ` : sym}${units.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`;
}

export interface PageOptions {
  lang: string;
  title: string;
  body: string;
  boot?: unknown;
  scripts?: string[];
  bodyClass?: string;
}

export function page(o: PageOptions): string {
  const boot =
    o.boot === undefined ? '' : `<script type="application/json" id="boot">${bootJson(o.boot)}</script>`;
  const scripts = (o.scripts ?? [])
    .map((s) => `<script src="/apps/static/${esc(s)}" defer></script>`)
    .join('');
  return `<!doctype html>
<html lang="${esc(o.lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)}</title>
<link rel="stylesheet" href="/apps/static/app.css">
${boot}${scripts}
</head><body class="${esc(o.bodyClass ?? '')}">${o.body}</body></html>`;
}

/** Stable colour per category (product grid tiles). */
export function colourOf(key: string): string {
  let h = 0;
  for (const c of key) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h} 55% 38%)`;
}
