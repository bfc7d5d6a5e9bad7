/**
 * The kitchen/bar display's script: one DOM node per ticket, patched per SSE event (no full
 * re-render, so hundreds of open tickets stay smooth); timers recoloured once a second.
 */
export const KITCHEN_JS = `
(function () {
  'use strict';
  var boot = JSON.parse(document.getElementById('boot').textContent);
  var t = boot.t;
  var station = boot.station;
  var WARN = 5 * 60000, LATE = 10 * 60000;
  var nodes = {};   // ticket id -> element
  var data = {};    // ticket id -> ticket
  var history = []; // bumped ticket ids, for undo
  var box = document.getElementById('tickets');
  function h(tag, attrs, kids) {
    var el = document.createElement(tag);
    if (attrs) for (var k in attrs) { if (k === 'text') el.textContent = attrs[k]; else el.setAttribute(k, attrs[k]); }
    (kids || []).forEach(function (c) { if (c) el.appendChild(c); });
    return el;
  }
  function build(tk) {
    var items = tk.lines.map(function (l) {
      return h('li', null, [h('span', { text: l.qty + ' × ' + l.label }), l.note ? h('div', { 'class': 'lnote', text: l.note }) : null]);
    });
    return h('article', { 'class': 'ticket', 'data-id': String(tk.id), tabindex: '0' }, [
      h('h3', null, [h('span', { text: '#' + tk.id + ' · ' + tk.pos }), h('span', { 'class': 'timer', text: '0:00' })]),
      h('div', { 'class': 'state', text: t.states[tk.state] || tk.state }),
      h('ul', null, items),
      tk.note ? h('div', { 'class': 'tnote', text: tk.note }) : null,
      h('div', { 'class': 'actions' }, [
        h('button', { 'class': 'btn bump', type: 'button', text: t.bump }),
        h('button', { 'class': 'btn small undo', type: 'button', text: t.undo })
      ])
    ]);
  }
  function open(tk) { return tk.state === 'new' || tk.state === 'preparing' || tk.state === 'ready'; }
  function upsert(tk) {
    data[tk.id] = tk;
    var el = nodes[tk.id];
    if (!open(tk)) {
      if (el) { el.remove(); delete nodes[tk.id]; }
    } else {
      if (!el) { el = build(tk); nodes[tk.id] = el; insertSorted(el, tk.id); }
      el.className = 'ticket s-' + tk.state;
      el.querySelector('.state').textContent = t.states[tk.state] || tk.state;
      el.querySelector('.bump').textContent = tk.state === 'ready' ? t.serve : t.bump;
    }
    tick(tk.id);
    document.getElementById('count').textContent = String(Object.keys(nodes).length);
  }
  function insertSorted(el, id) {
    var after = null;
    for (var k in nodes) { var n = Number(k); if (n > id && (after === null || n < after)) after = n; }
    if (after !== null && nodes[after] && nodes[after] !== el) box.insertBefore(el, nodes[after]); else box.appendChild(el);
  }
  function tick(id) {
    var el = nodes[id], tk = data[id];
    if (!el || !tk) return;
    var age = Date.now() - tk.createdAt;
    var s = Math.max(0, Math.floor(age / 1000));
    el.querySelector('.timer').textContent = Math.floor(s / 60) + ':' + ('0' + (s % 60)).slice(-2);
    el.classList.toggle('warn', age >= WARN && age < LATE);
    el.classList.toggle('late', age >= LATE);
  }
  setInterval(function () { for (var k in nodes) tick(k); }, 1000);

  async function post(id, what, from) {
    var res = await fetch('/apps/api/kitchen/tickets/' + id + '/' + what, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(from ? { from: from } : {}) });
    if (res.ok) upsert(await res.json());
  }
  function bump(id) { var tk = data[id]; if (!tk) return; history.push(id); post(id, 'bump', tk.state); }
  function undo(id) {
    if (id === undefined) id = history.pop();
    if (id !== undefined) post(id, 'undo');
  }
  box.addEventListener('click', function (ev) {
    var card = ev.target.closest('.ticket');
    if (!card) return;
    var id = Number(card.getAttribute('data-id'));
    if (ev.target.closest('.undo')) undo(id); else bump(id);
  });
  document.getElementById('undo').addEventListener('click', function () { undo(); });
  document.addEventListener('keydown', function (ev) {
    if (ev.key === 'u' || ev.key === 'U') { undo(); return; }
    if (ev.key >= '1' && ev.key <= '9') {
      var list = box.querySelectorAll('.ticket');
      var el = list[Number(ev.key) - 1];
      if (el) bump(Number(el.getAttribute('data-id')));
    }
  });

  var es = new EventSource('/apps/api/kitchen/' + encodeURIComponent(station) + '/events');
  es.onopen = function () { document.getElementById('conn').classList.add('on'); };
  es.onerror = function () { document.getElementById('conn').classList.remove('on'); };
  es.addEventListener('snapshot', function (e) {
    var list = JSON.parse(e.data);
    var keep = {};
    list.forEach(function (tk) { keep[tk.id] = true; upsert(tk); });
    for (var k in nodes) if (!keep[k]) { nodes[k].remove(); delete nodes[k]; }
  });
  es.addEventListener('ticket', function (e) { upsert(JSON.parse(e.data)); });
})();
`;

/** Stock page: adjustment forms and live quantities. */
export const STOCK_JS = `
(function () {
  'use strict';
  document.querySelectorAll('form.adjust').forEach(function (f) {
    f.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      var body = { item: f.getAttribute('data-item'), delta: Number(f.delta.value), reason: f.reason.value };
      var by = localStorage.getItem('tb.cashier');
      if (by) body.by = by;
      var res = await fetch('/apps/api/stock/adjust', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.ok) location.reload(); else f.reason.setCustomValidity(String(res.status));
    });
  });
  var es = new EventSource('/apps/api/stock/events');
  es.addEventListener('item', function (e) {
    var d = JSON.parse(e.data);
    var v = document.querySelector('tr[data-item="' + CSS.escape(d.id) + '"] .qty .v');
    if (v) v.textContent = String(d.qty);
  });
  es.addEventListener('low', function (e) {
    var d = JSON.parse(e.data);
    var el = document.createElement('p');
    el.className = 'toast';
    el.textContent = '⚠ ' + d.name + ': ' + d.qty + ' ' + d.unit;
    document.getElementById('alerts').appendChild(el);
  });
})();
`;

/** Reports page: cash closure forms. */
export const REPORTS_JS = `
(function () {
  'use strict';
  document.querySelectorAll('form.close').forEach(function (f) {
    f.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      var counted = Math.round(parseFloat(String(f.counted.value).replace(',', '.')) * 100);
      var res = await fetch('/apps/api/reports/z/close', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(Object.assign({ pos: f.getAttribute('data-pos'), counted: counted }, localStorage.getItem('tb.cashier') ? { by: localStorage.getItem('tb.cashier') } : {})) });
      var d = await res.json();
      f.querySelector('output').textContent = res.ok ? (d.diff === 0 ? '✓ 0' : (d.diff > 0 ? '+' : '') + (d.diff / 100).toFixed(2)) : d.error;
    });
  });
})();
`;
