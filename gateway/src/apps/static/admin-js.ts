/**
 * The admin screen's script: every `form.api` is sent as JSON to its data-url (with {field}
 * placeholders filled in), then the page reloads to show the server's state. Field types:
 * data-type="money" (decimal → minor units), "int", "number", "list" (comma separated),
 * "nullable" (empty → null); `window.*`, `price:<sku>` and `cat:<category>` build a happy hour;
 * data-name-from="<field>" sends the input under the name chosen in that field (a partner rule's
 * `product` or `badge`, never both).
 * Text goes into the page through textContent only.
 */
export const ADMIN_CSS = `
.admin-main{max-width:760px}
.tabs{display:flex;gap:.3rem;overflow-x:auto;padding:.4rem .6rem;background:#151c22}
.tabs a{white-space:nowrap;text-decoration:none;padding:.6rem .9rem;border-radius:20px;border:1px solid #3a4753;min-height:44px}
.tabs a.on{background:#eef2f5;color:#101418}
.card{background:#1b232b;border-radius:12px;padding:.6rem .8rem;margin:.5rem 0;list-style:none}
.card summary{cursor:pointer;min-height:44px;display:flex;align-items:center;gap:.5rem;flex-wrap:wrap}
.card.off{opacity:.6}
.narrow{max-width:420px;margin:1rem auto}
.rules{padding:0;margin:0;list-style:none}
.grid-form{display:grid;grid-template-columns:1fr;gap:.5rem;margin-top:.5rem}
@media (min-width:640px){.grid-form{grid-template-columns:1fr 1fr}.grid-form fieldset,.grid-form .actions,.grid-form .msg,.grid-form .hint{grid-column:1/3}}
.inline-form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}
.field{display:flex;flex-direction:column;gap:.2rem;font-size:.9rem;flex:1 1 140px}
.field input,.field select{font:inherit;min-height:44px;background:#0d1115;color:inherit;border:1px solid #3a4753;border-radius:8px;padding:0 .5rem;width:100%}
.field input[type=color]{padding:2px}
fieldset{border:1px solid #3a4753;border-radius:8px;display:flex;flex-wrap:wrap;gap:.4rem}
.day{display:inline-flex;align-items:center;gap:.2rem;min-height:44px;padding:0 .4rem}
.day input{width:22px;height:22px}
.swatch{width:18px;height:18px;border-radius:4px;background:var(--c);display:inline-block}
.hint{opacity:.8;font-size:.9rem}
.msg{color:#ffb3bd;min-height:1.2em;margin:.2rem 0}
.msg.ok{color:#9fe0bf}
.ok{color:#2bb673}.off{color:#d0475a}
.who{font-weight:600}
.report{width:100%;border-collapse:collapse}.report td,.report th{padding:.4rem;border-bottom:1px solid #2b3640;text-align:left}
.actions{display:flex;gap:.5rem;flex-wrap:wrap}
`;

export const ADMIN_JS = String.raw`(function () {
  'use strict';
  var boot = JSON.parse(document.getElementById('boot').textContent);

  function Bad(field) { this.field = field; }
  function toMinor(v, name) {
    var s = v.trim().replace(',', '.');
    if (!/^\d{1,7}(\.\d{1,2})?$/.test(s)) throw new Bad(name);
    var parts = s.split('.');
    return Number(parts[0]) * 100 + Number(((parts[1] || '') + '00').slice(0, 2));
  }

  function build(form) {
    var url = form.getAttribute('data-url');
    var body = {};
    var w = null;
    Array.prototype.forEach.call(form.elements, function (el) {
      var name = el.name;
      if (!name || el.type === 'submit' || el.type === 'button') return;
      var v = el.value;
      url = url.split('{' + name + '}').join(encodeURIComponent(v.trim()));
      if (el.hasAttribute('data-url-only')) return;
      if (el.hasAttribute('data-name-from')) name = form.elements.namedItem(el.getAttribute('data-name-from')).value;
      if (name.indexOf('window.') === 0) {
        w = w || { days: [] };
        if (name === 'window.days') { if (el.checked) w.days.push(Number(v)); }
        else w[name.slice(7)] = v;
        return;
      }
      if (name.indexOf('price:') === 0) {
        if (v.trim() === '') return;
        (body.prices = body.prices || []).push({ sku: name.slice(6), price: toMinor(v, name) });
        return;
      }
      if (name.indexOf('cat:') === 0) {
        if (v.trim() === '') return;
        (body.categories = body.categories || []).push({ category: name.slice(4), pct: Number(v) });
        return;
      }
      var type = el.getAttribute('data-type');
      if (type === 'nullable') { body[name] = v === '' ? null : v; return; }
      if (v.trim() === '') return;
      if (type === 'money') body[name] = toMinor(v, name);
      else if (type === 'int') body[name] = parseInt(v, 10);
      else if (type === 'number') body[name] = Number(v);
      else if (type === 'list') body[name] = v.split(',').map(function (x) { return x.trim(); }).filter(Boolean);
      else body[name] = v.trim();
    });
    if (w) body.windows = [w];
    return { url: url, body: body };
  }

  async function call(method, url, body) {
    var res = await fetch(url, {
      method: method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    var data = {};
    try { data = await res.json(); } catch (e) {}
    return { ok: res.ok, status: res.status, data: data };
  }

  function say(el, text, ok) {
    var m = el.querySelector('.msg');
    if (!m) return;
    m.textContent = text;
    m.className = ok ? 'msg ok' : 'msg';
  }
  function why(r) {
    var e = r.data && r.data.error;
    return (boot.errors[e] || e || ('HTTP ' + r.status)) + (r.data && r.data.message ? ' — ' + r.data.message : '');
  }

  document.addEventListener('submit', async function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains('api')) return;
    ev.preventDefault();
    var req;
    try { req = build(form); } catch (e) {
      if (e instanceof Bad) { say(form, (boot.errors['bad-request'] || 'invalid') + ' — ' + e.field); return; }
      throw e;
    }
    var btn = form.querySelector('button:not([type=button])');
    if (btn) btn.disabled = true;
    var r = await call(form.getAttribute('data-method'), req.url, req.body);
    if (r.ok && form.getAttribute('data-then') === 'login')
      r = await call('POST', '/apps/api/session', { staff: decodeURIComponent(req.url.split('/').pop()), pin: req.body.pin });
    if (btn) btn.disabled = false;
    if (!r.ok) { say(form, why(r)); return; }
    say(form, boot.saved, true);
    location.reload();
  });

  document.addEventListener('click', async function (ev) {
    var b = ev.target.closest ? ev.target.closest('button') : null;
    if (!b) return;
    var box = b.closest('form, li, section') || document.body;
    var r;
    if (b.hasAttribute('data-delete')) {
      if (!confirm(boot.confirmDelete)) return;
      r = await call('DELETE', b.getAttribute('data-delete'));
    } else if (b.hasAttribute('data-put')) {
      r = await call('PUT', b.getAttribute('data-put'), JSON.parse(b.getAttribute('data-json')));
    } else if (b.hasAttribute('data-revoke')) {
      r = await call('POST', '/apps/api/staff-cards/' + encodeURIComponent(b.getAttribute('data-revoke')) + '/revoke', {});
    } else if (b.id === 'logout') {
      r = await call('DELETE', '/apps/api/session');
    } else return;
    if (!r.ok) { say(box, why(r)); return; }
    location.reload();
  });

  var cards = document.getElementById('staff-cards');
  if (cards) call('GET', '/apps/api/staff-cards').then(function (r) {
    if (!r.ok) return;
    r.data.forEach(function (c) {
      var row = document.createElement('p');
      row.textContent = c.uid + ' → ' + (c.staff || '?') + (c.revokedAt ? ' · ' + cards.getAttribute('data-revoked') : '') + ' ';
      if (!c.revokedAt) {
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'btn small danger';
        b.setAttribute('data-revoke', c.uid);
        b.textContent = cards.getAttribute('data-revoke');
        row.appendChild(b);
      }
      cards.appendChild(row);
    });
  });
})();
`;
