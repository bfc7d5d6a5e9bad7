/** The admin screen (server-rendered, mobile-first): one tab at a time, plain forms driven by static/admin-js.ts. */
import type { DeviceStatus } from '../devices/registry.js';
import type { RuleDiscount } from '../promotions/report.js';
import { type PromotionRule, partnerKey } from '../promotions/rules.js';
import type { PointOfSale, Product, VenueConfig } from '../venue-config.js';
import { colourOf, esc, money, page } from './html.js';
import { type Lang, strings } from './i18n.js';
import { PARTNER_KEY_CHARS, PARTNER_KEY_MAX } from './partner-rule-input.js';
import type { Session, StaffMember } from './staff.js';

export type AdminTab = 'menu' | 'promotions' | 'terminals' | 'staff';

type T = ReturnType<typeof strings>['admin'];

const MODES = ['cashier', 'topup', 'balance', 'door', 'selfpour'] as const;
const ROLES = ['cashier', 'waiter', 'manager', 'kitchen'] as const;

/** Minor units as the decimal an input shows (the script turns it back into minor units). */
const decimal = (v: number | undefined) => (v === undefined ? '' : (v / 100).toFixed(2));
const field = (label: string, input: string) =>
  `<label class="field"><span>${esc(label)}</span>${input}</label>`;
const msg = '<p class="msg" role="alert"></p>';

function productForm(t: T, pos: PointOfSale, p: Product | undefined, cur: string, lang: Lang): string {
  const url = `/apps/api/admin/pos/${encodeURIComponent(pos.id)}/products/${p ? encodeURIComponent(p.sku) : '{sku}'}`;
  const inputs = `${p ? '' : field(t.sku, '<input name="sku" data-url-only required pattern="[A-Za-z0-9_.:-]{1,64}" maxlength="64">')}
${field(t.label, `<input name="label" required maxlength="64" value="${esc(p?.label)}">`)}
${field(`${t.price} (${cur})`, `<input name="price" data-type="money" required inputmode="decimal" value="${esc(decimal(p?.price))}">`)}
${field(`${t.memberPrice} (${cur})`, `<input name="memberPrice" data-type="money" inputmode="decimal" value="${esc(decimal(p?.memberPrice))}">`)}
${field(t.category, `<input name="category" maxlength="40" value="${esc(p?.category)}">`)}
${field(t.colour, `<input name="colour" type="color" value="${esc(p?.colour ?? hex(colourOf(p?.category ?? p?.sku ?? '')))}">`)}
${field(t.minAge, `<input name="minAge" data-type="int" type="number" min="0" max="21" value="${esc(p?.minAge ?? '')}">`)}`;
  const del = p
    ? `<button type="button" class="btn danger" data-delete="${esc(url)}">${esc(t.delete)}</button>`
    : '';
  const form = `<form class="api grid-form" data-method="PUT" data-url="${esc(url)}">${inputs}${msg}<div class="actions"><button class="btn primary">${esc(p ? t.save : t.add)}</button>${del}</div></form>`;
  if (!p) return `<details class="card"><summary>+ ${esc(t.newProduct)}</summary>${form}</details>`;
  const member = p.memberPrice !== undefined ? ` · ${esc(money(p.memberPrice, cur, lang))}` : '';
  return `<details class="card product" data-sku="${esc(p.sku)}"><summary><span class="swatch" style="--c:${esc(p.colour ?? colourOf(p.category ?? p.sku))}"></span><b>${esc(p.label)}</b> <span class="price">${esc(money(p.price, cur, lang))}</span>${member}${p.minAge ? ` · ${esc(p.minAge)}+` : ''}</summary>${form}</details>`;
}

/** hsl(h s% l%) → #rrggbb, for the colour input's default. */
function hex(hsl: string): string {
  const m = /hsl\((\d+) (\d+)% (\d+)%\)/.exec(hsl);
  if (!m) return '#555555';
  const h = Number(m[1]);
  const s = Number(m[2]) / 100;
  const l = Number(m[3]) / 100;
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const c = l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

function menuTab(t: T, c: VenueConfig, lang: Lang): string {
  const sections = c.pointsOfSale
    .filter((p) => p.mode === 'cashier' || p.mode === 'selfpour' || p.products.length > 0)
    .map(
      (pos) =>
        `<section class="admin-pos" data-pos="${esc(pos.id)}"><h2>${esc(pos.name)}</h2>${
          pos.products.length === 0 ? `<p>${esc(t.noProducts)}</p>` : ''
        }${pos.products.map((p) => productForm(t, pos, p, c.currency, lang)).join('')}${productForm(t, pos, undefined, c.currency, lang)}</section>`,
    )
    .join('');
  return `<p class="hint">${esc(t.livePush)}</p>${sections}`;
}

/** `known`: the partner keys the cloud ships periods for (a product rule naming another gives nothing). */
function ruleSummary(t: T, r: PromotionRule, cur: string, lang: Lang, known: Set<string>): string {
  const pct = (v: number) => `${v} %`;
  if (r.kind === 'happy-hour') {
    const w = r.windows
      .map((x) => `${x.days.map((d) => t.dayNames[d - 1]).join(' ')} ${x.from}–${x.to}`)
      .join(', ');
    const prices = (r.prices ?? []).map((p) => `${p.sku} ${money(p.price, cur, lang)}`);
    const cats = (r.categories ?? []).map((x) => `${x.category} −${pct(x.pct)}`);
    return `${t.happyHour}: ${w} · ${[...prices, ...cats].join(', ')}`;
  }
  if (r.kind === 'history')
    return `${t.bought} ${r.bought} ≥ ${r.times} / ${r.days} j → ${r.target} −${pct(r.pct)}`;
  // `product` wins when a cloud rule names both (partnerKey)
  const who = r.product !== undefined ? `${t.membershipProduct} ${r.product}` : `${t.badgeShort} ${r.badge}`;
  const noPeriods = r.product !== undefined && !known.has(partnerKey(r)) ? ` · ⚠ ${t.noPeriods}` : '';
  return `${t.partner}: ${who} → −${pct(r.pct)}${r.categories?.length ? ` (${r.categories.join(', ')})` : ''}${noPeriods}`;
}

/** The partner rule form: the membership named by its product (periods) or its badge, one field. */
function partnerForm(t: T, idName: string, partnerKeys: string[]): string {
  const options = partnerKeys
    .map((k) =>
      k.startsWith('product:')
        ? `<option value="${esc(k.slice(8))}">${esc(t.membershipProduct)}</option>`
        : `<option value="${esc(k)}">${esc(t.badgeShort)}</option>`,
    )
    .join('');
  return `<details class="card" id="new-partner"><summary>+ ${esc(t.partner)}</summary><form class="api grid-form" data-method="PUT" data-url="/apps/api/admin/promotions/{id}">
<input type="hidden" name="kind" value="partner">${idName}
${field(t.partnerBy, `<select name="keyKind" data-url-only><option value="product" selected>${esc(t.byProduct)}</option><option value="badge">${esc(t.badge)}</option></select>`)}${field(t.partnerKey, `<input name="partnerKey" data-name-from="keyKind" required maxlength="${PARTNER_KEY_MAX}" pattern="${esc(PARTNER_KEY_CHARS)}" title="${esc(t.partnerKeyChars)}" list="partner-keys" autocomplete="off">`)}<datalist id="partner-keys">${options}</datalist>
${field(t.pct, '<input name="pct" data-type="number" type="number" min="0.01" max="100" step="0.01" required value="10">')}${field(t.onlyCategories, '<input name="categories" data-type="list" maxlength="400">')}
<p class="hint">${esc(t.partnerHelp)}</p>${msg}<div class="actions"><button class="btn primary">${esc(t.add)}</button></div></form></details>`;
}

function promotionsTab(
  t: T,
  c: VenueConfig,
  timeZone: string,
  report: RuleDiscount[],
  lang: Lang,
  partnerKeys: string[],
): string {
  const cur = c.currency;
  const known = new Set(partnerKeys);
  const rules = (c.promotions ?? [])
    .map((r) => {
      const on = r.active !== false;
      const toggled = { ...r, active: !on };
      delete (toggled as { source?: string }).source;
      const url = `/apps/api/admin/promotions/${encodeURIComponent(r.id)}`;
      return `<li class="card rule${on ? '' : ' off'}" data-rule="${esc(r.id)}"><b>${esc(r.name)}</b> <small>${esc(r.id)} · ${esc(t.source[r.source ?? 'local'])} · ${esc(on ? t.active : t.inactive)}</small>
<p>${esc(ruleSummary(t, r, cur, lang, known))}</p>${msg}<div class="actions"><button type="button" class="btn" data-put="${esc(url)}" data-json="${esc(JSON.stringify(toggled))}">${esc(on ? t.disable : t.enable)}</button><button type="button" class="btn danger" data-delete="${esc(url)}">${esc(t.delete)}</button></div></li>`;
    })
    .join('');
  const products = [...new Map(c.pointsOfSale.flatMap((p) => p.products).map((p) => [p.sku, p])).values()];
  const categories = [...new Set(products.map((p) => p.category).filter((x): x is string => !!x))];
  const skuOptions = products.map((p) => `<option value="${esc(p.sku)}">${esc(p.label)}</option>`).join('');
  const idName = `${field(t.ruleId, '<input name="id" required pattern="[A-Za-z0-9_.:-]{1,64}" maxlength="64">')}${field(t.ruleName, '<input name="name" required maxlength="80">')}`;
  const days = t.dayNames
    .map(
      (d, i) =>
        `<label class="day"><input type="checkbox" name="window.days" value="${i + 1}" checked>${esc(d)}</label>`,
    )
    .join('');
  const happy = `<details class="card" id="new-happy-hour"><summary>+ ${esc(t.happyHour)}</summary><form class="api grid-form" data-method="PUT" data-url="/apps/api/admin/promotions/{id}">
<input type="hidden" name="kind" value="happy-hour">${idName}
<fieldset><legend>${esc(t.days)}</legend>${days}</fieldset>
${field(t.from, '<input name="window.from" type="time" required value="18:00">')}${field(t.to, '<input name="window.to" type="time" required value="20:00">')}
<fieldset><legend>${esc(t.happyPrices)}</legend>${products.map((p) => field(`${p.label} (${money(p.price, cur, lang)})`, `<input name="price:${esc(p.sku)}" data-type="money" inputmode="decimal">`)).join('')}</fieldset>
${categories.length ? `<fieldset><legend>${esc(t.categoryPct)}</legend>${categories.map((x) => field(x, `<input name="cat:${esc(x)}" data-type="number" type="number" min="0.01" max="100" step="0.01">`)).join('')}</fieldset>` : ''}
${msg}<div class="actions"><button class="btn primary">${esc(t.add)}</button></div></form></details>`;
  const history = `<details class="card"><summary>+ ${esc(t.history)}</summary><form class="api grid-form" data-method="PUT" data-url="/apps/api/admin/promotions/{id}">
<input type="hidden" name="kind" value="history">${idName}
${field(t.bought, `<select name="bought" required>${skuOptions}</select>`)}${field(t.times, '<input name="times" data-type="int" type="number" min="1" max="1000" required value="3">')}
${field(t.withinDays, '<input name="days" data-type="int" type="number" min="1" max="366" required value="30">')}${field(t.target, `<select name="target" required>${skuOptions}</select>`)}
${field(t.pct, '<input name="pct" data-type="number" type="number" min="0.01" max="100" step="0.01" required value="10">')}
${msg}<div class="actions"><button class="btn primary">${esc(t.add)}</button></div></form></details>`;
  const partner = partnerForm(t, idName, partnerKeys);
  const rows = report
    .map(
      (r) =>
        `<tr><td>${esc(r.name)}</td><td>${esc(r.uses)}</td><td>${esc(money(r.amount, cur, lang))}</td></tr>`,
    )
    .join('');
  const tz = `<form class="api card inline-form" data-method="PUT" data-url="/apps/api/admin/time-zone">${field(t.timeZone, `<input name="timeZone" required maxlength="64" value="${esc(timeZone)}">`)}${msg}<button class="btn">${esc(t.save)}</button></form>`;
  return `<h2>${esc(t.rules)}</h2><p class="hint">${esc(t.cloudNote)}</p><ul class="rules">${rules || `<li>${esc(t.noRules)}</li>`}</ul>
${happy}${history}${partner}${tz}
<h2>${esc(t.report)}</h2><table class="report"><thead><tr><th></th><th>${esc(t.uses)}</th><th>${esc(t.amount)}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function terminalsTab(t: T, c: VenueConfig, live: DeviceStatus[]): string {
  const online = new Map(live.map((d) => [d.deviceId, d]));
  const posOptions = (sel: string | undefined) =>
    `<option value="">${esc(t.none)}</option>${c.pointsOfSale.map((p) => `<option value="${esc(p.id)}"${p.id === sel ? ' selected' : ''}>${esc(p.name)} (${esc(t.modes[p.mode])})</option>`).join('')}`;
  const terms = c.devices
    .filter((d) => !d.revoked)
    .map((d) => {
      const at = c.pointsOfSale.find((p) => p.devices.includes(d.deviceId));
      const info = online.get(d.deviceId);
      return `<form class="api card inline-form terminal" data-method="PUT" data-url="/apps/api/admin/terminals/${esc(encodeURIComponent(d.deviceId))}"><b>${esc(d.deviceId)}</b> <span class="${info?.online ? 'ok' : 'off'}">${esc(info?.online ? t.online : t.offline)}</span>
${field(t.pairedTo, `<select name="pos" data-type="nullable">${posOptions(at?.id)}</select>`)}${msg}<button class="btn">${esc(t.save)}</button></form>`;
    })
    .join('');
  const modeSelect = (m: string) =>
    `<select name="mode">${MODES.map((x) => `<option value="${x}"${x === m ? ' selected' : ''}>${esc(t.modes[x])}</option>`).join('')}</select>`;
  const pos = c.pointsOfSale
    .map(
      (p) =>
        `<form class="api card inline-form" data-method="PUT" data-url="/apps/api/admin/pos/${esc(encodeURIComponent(p.id))}"><small>${esc(p.id)}</small>${field(t.name, `<input name="name" required maxlength="64" value="${esc(p.name)}">`)}${field(t.mode, modeSelect(p.mode))}${msg}<button class="btn">${esc(t.save)}</button></form>`,
    )
    .join('');
  const add = `<details class="card"><summary>+ ${esc(t.newPos)}</summary><form class="api grid-form" data-method="PUT" data-url="/apps/api/admin/pos/{id}">${field(t.staffId, '<input name="id" data-url-only required pattern="[A-Za-z0-9_.:-]{1,64}">')}${field(t.name, '<input name="name" required maxlength="64">')}${field(t.mode, modeSelect('cashier'))}${msg}<div class="actions"><button class="btn primary">${esc(t.add)}</button></div></form></details>`;
  return `<h2>${esc(t.tabs.terminals)}</h2>${terms || `<p>${esc(t.noTerminals)}</p>`}<h2>${esc(t.pointsOfSale)}</h2>${pos}${add}`;
}

function staffTab(t: T, staff: StaffMember[], withPin: Set<string>): string {
  const roleSelect = (r: string) =>
    `<select name="role">${ROLES.map((x) => `<option value="${x}"${x === r ? ' selected' : ''}>${esc(t.roles[x])}</option>`).join('')}</select>`;
  const rows = staff
    .map(
      (m) =>
        `<form class="api card inline-form" data-method="PUT" data-url="/apps/api/staff/${esc(encodeURIComponent(m.id))}"><small>${esc(m.id)}${withPin.has(m.id) ? ` · ${esc(t.hasPin)}` : ''}</small>${field(t.name, `<input name="name" required maxlength="64" value="${esc(m.name)}">`)}${field(t.role, roleSelect(m.role))}${field(t.pinKeep, '<input name="pin" type="password" inputmode="numeric" pattern="[0-9]{4,8}" autocomplete="new-password">')}${msg}<div class="actions"><button class="btn">${esc(t.save)}</button><button type="button" class="btn danger" data-delete="/apps/api/staff/${esc(encodeURIComponent(m.id))}">${esc(t.delete)}</button></div></form>`,
    )
    .join('');
  const add = `<details class="card"><summary>+ ${esc(t.newStaff)}</summary><form class="api grid-form" data-method="PUT" data-url="/apps/api/staff/{id}">${field(t.staffId, '<input name="id" data-url-only required pattern="[A-Za-z0-9_.:-]{1,64}">')}${field(t.name, '<input name="name" required maxlength="64">')}${field(t.role, roleSelect('cashier'))}${field(t.pin, '<input name="pin" type="password" inputmode="numeric" pattern="[0-9]{4,8}" autocomplete="new-password">')}${msg}<div class="actions"><button class="btn primary">${esc(t.add)}</button></div></form></details>`;
  const options = staff.map((m) => `<option value="${esc(m.id)}">${esc(m.name)}</option>`).join('');
  const cards = `<h2>${esc(t.staffCards)}</h2><div id="staff-cards" class="card" data-revoked="${esc(t.revoked)}" data-revoke="${esc(t.revoke)}"></div>
<form class="api card inline-form" data-method="PUT" data-url="/apps/api/staff-cards/{uid}">${field(t.cardUid, '<input name="uid" data-url-only required pattern="[0-9A-Fa-f]{8,20}">')}${field(t.name, `<select name="staff">${options}</select>`)}${msg}<button class="btn">${esc(t.add)}</button></form>`;
  return `<h2>${esc(t.tabs.staff)}</h2>${rows}${add}${cards}`;
}

function loginBox(t: T, staff: StaffMember[], refused: string | undefined): string {
  if (staff.length === 0)
    return `<section class="card narrow"><h2>${esc(t.setup)}</h2><form class="api grid-form" data-method="PUT" data-url="/apps/api/staff/{id}" data-then="login">
<input type="hidden" name="role" value="manager">${field(t.staffId, '<input name="id" data-url-only required pattern="[A-Za-z0-9_.:-]{1,64}">')}${field(t.name, '<input name="name" required maxlength="64">')}
${field(t.pin, '<input name="pin" type="password" inputmode="numeric" pattern="[0-9]{4,8}" required autocomplete="new-password">')}${msg}<div class="actions"><button class="btn primary">${esc(t.add)}</button></div></form></section>`;
  const options = staff.map((m) => `<option value="${esc(m.id)}">${esc(m.name)}</option>`).join('');
  return `<section class="card narrow"><h2>${esc(t.login)}</h2>${refused === 'no-right' ? `<p class="msg">${esc(t.noRight)}</p>` : ''}<p class="hint">${esc(t.loginHelp)}</p>
<form class="api grid-form" id="admin-login" data-method="POST" data-url="/apps/api/session">${field(t.name, `<select name="staff">${options}</select>`)}${field(t.pin, '<input name="pin" type="password" inputmode="numeric" pattern="[0-9]{4,8}" required autocomplete="off">')}${msg}<div class="actions"><button class="btn primary">${esc(t.login)}</button></div></form></section>`;
}

export function adminPage(o: {
  lang: Lang;
  tab: AdminTab;
  venue: string;
  currency: string;
  session: Session | undefined;
  refused: string | undefined;
  staff: StaffMember[];
  /** Members who log in with a PIN or a staff card. */
  withPin: Set<string>;
  config: VenueConfig;
  timeZone: string;
  terminals: DeviceStatus[];
  report: RuleDiscount[];
  /** The partner memberships the cloud ships periods for (MembershipCache.partnerKeys). */
  partnerKeys: string[];
}): string {
  const s = strings(o.lang);
  const t = s.admin;
  const other = o.lang === 'fr' ? 'en' : 'fr';
  const tabs = (['menu', 'promotions', 'terminals', 'staff'] as const)
    .map(
      (x) =>
        `<a href="/apps/admin?tab=${x}&amp;lang=${o.lang}"${x === o.tab ? ' aria-current="page" class="on"' : ''}>${esc(t.tabs[x])}</a>`,
    )
    .join('');
  const body = !o.session
    ? loginBox(t, o.staff, o.refused)
    : o.tab === 'menu'
      ? menuTab(t, o.config, o.lang)
      : o.tab === 'promotions'
        ? promotionsTab(t, o.config, o.timeZone, o.report, o.lang, o.partnerKeys)
        : o.tab === 'terminals'
          ? terminalsTab(t, o.config, o.terminals)
          : staffTab(t, o.staff, o.withPin);
  return page({
    lang: o.lang,
    title: `${t.title} · ${o.venue}`,
    bodyClass: 'admin',
    scripts: ['admin.js'],
    boot: { lang: o.lang, errors: t.errors, saved: t.saved, confirmDelete: t.confirmDelete },
    body: `<link rel="stylesheet" href="/apps/static/admin.css"><header class="bar"><a href="/apps/?lang=${o.lang}" aria-label="home">⌂</a><h1>${esc(t.title)} · ${esc(o.venue)}</h1>
<a class="lang" href="?tab=${o.tab}&amp;lang=${other}">${other.toUpperCase()}</a>${o.session ? `<span class="who">${esc(o.session.name)}</span><button id="logout" class="btn small" type="button">${esc(t.logout)}</button>` : ''}</header>
${o.session ? `<nav class="tabs">${tabs}</nav>` : ''}<main class="pad admin-main">${body}</main>`,
  });
}
