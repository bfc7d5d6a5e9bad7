// Server-rendered HTML: one escaping function used for every interpolated value, one mobile-first
// page layout. No script on public pages.
import type { Lang } from './i18n.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for HTML content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

/** A pre-escaped HTML fragment. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Tagged template: interpolations are escaped unless they are Html (or arrays of Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out += Array.isArray(v)
      ? v.map((x) => (x instanceof Html ? x.value : esc(x))).join('')
      : v instanceof Html
        ? v.value
        : esc(v);
    out += strings[i + 1];
  }
  return new Html(out);
}

/** Only http(s) URLs go into href/src attributes (no javascript: or data: URLs). */
export function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : null;
  } catch {
    return null;
  }
}

const CSS = `
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1f;background:#f6f5f2}
header,main,footer{max-width:46rem;margin:0 auto;padding:0.75rem 1rem}header{display:flex;justify-content:space-between;align-items:center;gap:1rem}
h1{font-size:1.5rem;margin:0.25rem 0}h2{font-size:1.15rem;margin:0 0 0.25rem}a{color:#0b57d0}
.card{background:#fff;border-radius:0.75rem;padding:0.9rem 1rem;margin:0 0 0.8rem;box-shadow:0 1px 2px #0002}
.meta{color:#55555d;font-size:0.92rem}.tags a,.tag{display:inline-block;background:#ece9e2;border-radius:1rem;padding:0.05rem 0.6rem;margin:0.15rem 0.2rem 0 0;font-size:0.85rem;text-decoration:none;color:#333}
.badge{display:inline-block;border-radius:0.3rem;padding:0 0.4rem;font-size:0.8rem;font-weight:600}.cancelled{background:#fde2e1;color:#8c1d18}.soldout{background:#eee;color:#555}
form.filters{display:flex;flex-wrap:wrap;gap:0.5rem;align-items:end}form.filters label{display:flex;flex-direction:column;font-size:0.85rem}
select,input,button{font:inherit;padding:0.35rem 0.5rem;border-radius:0.4rem;border:1px solid #bbb;background:#fff}button{background:#1b1b1f;color:#fff;border:0}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:0.3rem 0.2rem;border-bottom:1px solid #eee}
.qr{display:block;margin:0.5rem auto;width:100%;max-width:22rem;height:auto;background:#fff}.status{font-weight:700;font-size:1.1rem;text-align:center;padding:0.5rem;border-radius:0.5rem}
.ok{background:#dff5e3;color:#135e22}.bad{background:#fde2e1;color:#8c1d18}img.poster{max-width:100%;border-radius:0.5rem}
nav.lang a{margin-left:0.5rem}footer{color:#777;font-size:0.85rem}
`;

export function page(opts: { lang: Lang; title: string; body: Html; langLinks?: Html; head?: Html }): string {
  return `<!doctype html>${html`<html lang="${opts.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${opts.title}</title><style>${new Html(CSS)}</style>${opts.head ?? new Html('')}</head><body>${opts.langLinks ?? new Html('')}<main>${opts.body}</main></body></html>`.value}`;
}
