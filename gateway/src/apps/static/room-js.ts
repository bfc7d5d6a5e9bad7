/**
 * The restaurant room page's script (vanilla, textContent only): the table plan (service and
 * edit modes, tables dragged with pointer events), the tab panel of the selected table (seats,
 * products, lines, rounds sent to the kitchen, tickets and "served", payments by seat, amount
 * or whole tab), and live updates over SSE.
 */
import { PAGE_HELPERS_JS } from './page-helpers-js.js';

export const ROOM_JS = String.raw`
(function () {
  'use strict';
  var boot = JSON.parse(document.getElementById('boot').textContent);
  var t = boot.t;
  var P = t.pos;
  var posId = boot.pos.id;
${PAGE_HELPERS_JS}
  async function api(method, url, body) {
    var res = await fetch(url, { method: method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    var data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return { ok: res.ok, status: res.status, data: data || {} };
  }
  function msg(text) { $('msg').textContent = text || ''; }
  function err(r) { msg((P.errors[r.data.error] || r.data.error || 'error') + (r.data.message ? ' — ' + r.data.message : '')); }
  function toast(text) {
    var el = h('div', { 'class': 'toast', text: text });
    $('toasts').appendChild(el);
    setTimeout(function () { el.remove(); }, 5000);
  }
  var cashierEl = $('cashier');
  function cashier() { return cashierEl.value || 'room'; }
  var products = {};
  boot.products.forEach(function (p) { products[p.sku] = p; });

  var state = { tables: [], tabs: [] };
  var selected = null;   // table id
  var tab = null;        // TabView of the selected table
  var seat = 1;          // seat new lines go to (0 = shared)
  var paySeats = {};     // seat -> true (selected for payment)
  var editing = false;
  var current = null;    // card payment shown in the overlay
  var busy = false;

  function tabOfTable(id) { return state.tabs.find(function (x) { return x.tables.indexOf(id) >= 0; }); }
  function tableName(id) { var x = state.tables.find(function (y) { return y.id === id; }); return x ? x.name : id; }

  // ---- plan ----
  function renderPlan() {
    var plan = $('plan');
    var seen = {};
    state.tables.forEach(function (tb) {
      seen[tb.id] = true;
      var el = plan.querySelector('[data-table="' + CSS.escape(tb.id) + '"]');
      if (!el) {
        el = h('button', { type: 'button', 'class': 'rtable', 'data-table': tb.id }, [h('b', { 'class': 'rname' }), h('span', { 'class': 'rinfo' })]);
        plan.appendChild(el);
      }
      var tb2 = tabOfTable(tb.id);
      el.style.left = tb.x + '%'; el.style.top = tb.y + '%'; el.style.width = tb.w + '%'; el.style.height = tb.h + '%';
      el.className = 'rtable ' + tb.shape + (tb2 ? ' busy' : ' free') + (tb2 && tb2.ready ? ' ready' : '') + (tb.id === selected ? ' sel' : '');
      el.querySelector('.rname').textContent = tb.name;
      el.querySelector('.rinfo').textContent = tb2 ? tb2.covers + '/' + tb.seats + ' · ' + money(tb2.remaining) : tb.seats + ' · ' + t.free;
    });
    plan.querySelectorAll('.rtable').forEach(function (el) { if (!seen[el.getAttribute('data-table')]) el.remove(); });
  }

  async function refresh() {
    var r = await api('GET', '/apps/api/room/' + encodeURIComponent(posId));
    if (!r.ok) return;
    state = r.data;
    renderPlan();
    if (selected && !editing) await loadTab();
  }

  // ---- drag (edit mode) ----
  var drag = null;
  $('plan').addEventListener('pointerdown', function (ev) {
    var el = ev.target.closest('.rtable');
    if (!el || !editing) return;
    var rect = $('plan').getBoundingClientRect();
    var tb = state.tables.find(function (x) { return x.id === el.getAttribute('data-table'); });
    drag = { el: el, tb: tb, rect: rect, sx: ev.clientX, sy: ev.clientY, x: tb.x, y: tb.y, moved: false };
    el.setPointerCapture(ev.pointerId);
  });
  $('plan').addEventListener('pointermove', function (ev) {
    if (!drag) return;
    var dx = (ev.clientX - drag.sx) / drag.rect.width * 100, dy = (ev.clientY - drag.sy) / drag.rect.height * 100;
    if (Math.abs(dx) + Math.abs(dy) > 0.5) drag.moved = true;
    drag.tb.x = Math.max(0, Math.min(100 - drag.tb.w, drag.x + dx));
    drag.tb.y = Math.max(0, Math.min(100 - drag.tb.h, drag.y + dy));
    drag.el.style.left = drag.tb.x + '%'; drag.el.style.top = drag.tb.y + '%';
  });
  $('plan').addEventListener('pointerup', async function () {
    if (!drag) return;
    var d = drag; drag = null;
    if (d.moved) await saveTable(d.tb);
  });
  async function saveTable(tb) {
    var r = await api('PUT', '/apps/api/room/' + encodeURIComponent(posId) + '/tables/' + encodeURIComponent(tb.id), {
      name: tb.name, seats: tb.seats, x: Math.round(tb.x * 10) / 10, y: Math.round(tb.y * 10) / 10, w: tb.w, h: tb.h, shape: tb.shape, by: cashier()
    });
    if (!r.ok) err(r);
    await refresh();
  }

  $('plan').addEventListener('click', function (ev) {
    var el = ev.target.closest('.rtable');
    if (!el) return;
    select(el.getAttribute('data-table'));
  });
  function select(id) {
    selected = id;
    msg('');
    if (editing) {
      var tb = state.tables.find(function (x) { return x.id === id; });
      $('table-form').disabled = false;
      $('tf-name').value = tb.name; $('tf-seats').value = tb.seats; $('tf-shape').value = tb.shape;
      renderPlan();
      return;
    }
    paySeats = {}; seat = 1;
    renderPlan();
    loadTab();
  }

  $('edit').addEventListener('click', function () {
    editing = !editing;
    $('edit').setAttribute('aria-pressed', String(editing));
    $('edit').classList.toggle('on', editing);
    $('editor').hidden = !editing;
    $('plan').classList.toggle('editing', editing);
    $('panel').hidden = true;
    $('table-form').disabled = true;
    selected = null;
    renderPlan();
  });
  $('add-table').addEventListener('click', async function () {
    var n = state.tables.length + 1;
    var id = 't' + Date.now().toString(36);
    var tb = { id: id, name: t.newTable + ' ' + n, seats: 4, x: 4 + ((n - 1) % 6) * 16, y: 6 + Math.floor((n - 1) / 6) * 22, w: 12, h: 14, shape: 'rect' };
    await saveTable(tb);
    select(id);
  });
  $('editor').addEventListener('submit', async function (ev) {
    ev.preventDefault();
    var tb = state.tables.find(function (x) { return x.id === selected; });
    if (!tb) return;
    tb.name = $('tf-name').value; tb.seats = Number($('tf-seats').value); tb.shape = $('tf-shape').value;
    await saveTable(tb);
  });
  $('tf-delete').addEventListener('click', async function () {
    if (!selected) return;
    var r = await api('DELETE', '/apps/api/room/' + encodeURIComponent(posId) + '/tables/' + encodeURIComponent(selected) + '?by=' + encodeURIComponent(cashier()));
    if (!r.ok) err(r);
    selected = null; $('table-form').disabled = true;
    await refresh();
  });

  // ---- tab panel ----
  async function loadTab() {
    var s = tabOfTable(selected);
    $('panel').hidden = false;
    $('tab-title').textContent = t.tabOf + ' ' + tableName(selected);
    if (!s) { tab = null; $('opener').hidden = false; $('tab').hidden = true; return; }
    var r = await api('GET', '/apps/api/tabs/' + encodeURIComponent(s.id));
    if (!r.ok) return;
    tab = r.data;
    $('opener').hidden = true; $('tab').hidden = false;
    renderTab();
  }
  function renderTab() {
    if (!tab) return;
    $('tab-title').textContent = t.tabOf + ' ' + tab.tables.map(tableName).join(' + ') + ' · ' + tab.covers + ' ' + t.covers.toLowerCase();
    var seats = $('seats');
    seats.textContent = '';
    for (var s = 0; s <= tab.covers; s++) (function (s) {
      seats.appendChild(h('button', { type: 'button', 'class': 'seat' + (s === seat ? ' on' : ''), 'data-seat': String(s), text: s === 0 ? t.shared : t.seat + ' ' + s,
        onclick: function () { seat = s; renderTab(); } }));
    })(s);
    var ol = $('tlines');
    ol.textContent = '';
    tab.lines.forEach(function (l) {
      ol.appendChild(h('li', { 'data-n': String(l.n), 'class': l.round ? 'sent' : 'unsent' }, [
        h('span', { 'class': 'lname', text: (l.seat ? 'S' + l.seat + ' · ' : '') + l.qty + '× ' + l.label + (l.note ? ' — ' + l.note : '') }),
        h('span', { 'class': 'st', text: l.round ? t.sentRound + ' #' + l.round : t.unsent }),
        h('span', { 'class': 'lt', text: money(l.qty * l.price) }),
        h('button', { type: 'button', 'class': 'btn small', text: '×', 'aria-label': t.remove, onclick: function () { removeLine(l.n); } })
      ]));
    });
    var ul = $('ttickets');
    ul.textContent = '';
    tab.tickets.forEach(function (k) {
      if (k.state === 'voided') return;
      ul.appendChild(h('li', { 'class': 'kt s-' + k.state, 'data-ticket': String(k.id) }, [
        h('span', { text: '#' + k.id + ' · ' + k.station + ' · ' + (t.states[k.state] || k.state) }),
        k.state === 'ready' ? h('button', { type: 'button', 'class': 'btn small served', text: t.served, onclick: function () { served(k); } }) : null
      ]));
    });
    $('tdue').textContent = money(tab.order.remaining);
    var ps = $('payseats');
    ps.textContent = '';
    tab.seats.forEach(function (sd) {
      ps.appendChild(h('button', { type: 'button', 'data-seat': String(sd.seat), 'class': 'seat' + (paySeats[sd.seat] ? ' on' : '') + (sd.due === 0 && sd.total > 0 ? ' paid' : ''),
        text: t.seat + ' ' + sd.seat + ' · ' + (sd.due === 0 && sd.total > 0 ? t.paidSeat : money(sd.due)),
        onclick: function () { if (sd.due > 0) { paySeats[sd.seat] = !paySeats[sd.seat]; renderTab(); } } }));
    });
    var to = $('tto');
    var keep = to.value;
    to.textContent = '';
    state.tables.forEach(function (x) { if (tab.tables.indexOf(x.id) < 0) to.appendChild(h('option', { value: x.id, text: x.name + (tabOfTable(x.id) ? ' •' : '') })); });
    if (keep) to.value = keep;
  }

  $('open-tab').addEventListener('click', async function () {
    var r = await api('POST', '/apps/api/room/' + encodeURIComponent(posId) + '/tables/' + encodeURIComponent(selected) + '/tab', { covers: Number($('open-covers').value) || 1, cashier: cashier() });
    if (!r.ok) return err(r);
    await refresh();
  });
  var ageChecked = false;
  $('tgrid').addEventListener('click', async function (ev) {
    var tile = ev.target.closest('.tile');
    if (!tile || !tab) return;
    var p = products[tile.getAttribute('data-sku')];
    if (p.minAge && !ageChecked) { if (!window.confirm(P.ageConfirm.replace('{age}', p.minAge))) return; ageChecked = true; }
    var line = { sku: p.sku, qty: 1, price: p.price, seat: seat };
    var note = $('lnote').value.trim();
    if (note) line.note = note;
    var r = await api('POST', '/apps/api/tabs/' + encodeURIComponent(tab.id) + '/lines', { cashier: cashier(), lines: [line], ageChecked: ageChecked, key: newId('k') });
    if (!r.ok) return err(r);
    $('lnote').value = '';
    msg('');
    tab = r.data.tab; renderTab();
  });
  async function removeLine(n) {
    var r = await api('POST', '/apps/api/tabs/' + encodeURIComponent(tab.id) + '/lines/' + n + '/remove', { cashier: cashier() });
    if (!r.ok) return err(r);
    tab = r.data.tab; renderTab();
  }
  $('tsend').addEventListener('click', async function () {
    if (!tab) return;
    var body = { cashier: cashier(), key: newId('k') };
    var note = $('tnote').value.trim();
    if (note) body.note = note;
    var r = await api('POST', '/apps/api/tabs/' + encodeURIComponent(tab.id) + '/send', body);
    if (!r.ok) return err(r);
    $('tnote').value = '';
    toast(P.sent + ' (' + r.data.tickets + ')');
    tab = r.data.tab; renderTab();
  });
  async function served(k) {
    await api('POST', '/apps/api/kitchen/tickets/' + k.id + '/bump', { from: 'ready' });
    await refresh();
  }
  $('tmove').addEventListener('click', async function () {
    var r = await api('POST', '/apps/api/tabs/' + encodeURIComponent(tab.id) + '/move', { to: $('tto').value, cashier: cashier() });
    if (!r.ok) return err(r);
    selected = $('tto').value; await refresh();
  });
  $('tmerge').addEventListener('click', async function () {
    var r = await api('POST', '/apps/api/tabs/' + encodeURIComponent(tab.id) + '/merge', { table: $('tto').value, cashier: cashier() });
    if (!r.ok) return err(r);
    selected = $('tto').value; await refresh();
  });
  $('tsplit').addEventListener('click', function () {
    if (!tab) return;
    var n = Number(window.prompt(t.covers, String(tab.covers))) || tab.covers;
    $('tamount').value = (Math.ceil(tab.order.remaining / n) / 100).toFixed(2);
  });

  // ---- payments ----
  function cents(v) { var x = parseFloat(String(v || '').replace(',', '.')); return x > 0 ? Math.round(x * 100) : 0; }
  async function pay(method) {
    if (busy || !tab) return;
    busy = true;
    try {
      var body = { method: method, cashier: cashier() };
      var seats = Object.keys(paySeats).filter(function (k) { return paySeats[k]; }).map(Number);
      if (seats.length) body.seats = seats;
      else if (cents($('tamount').value)) body.amount = cents($('tamount').value);
      if (method === 'card') body.deviceId = $('device').value;
      if (method === 'cash' && cents($('ttendered').value)) body.tendered = cents($('ttendered').value);
      var r = await api('POST', '/apps/api/tabs/' + encodeURIComponent(tab.id) + '/payments', body);
      if (!r.ok) return err(r);
      paySeats = {};
      $('tamount').value = ''; $('ttendered').value = '';
      current = r.data.payment ? r.data.payment.id : null;
      show(r.data.order, r.data.change);
      if (r.data.payment && r.data.payment.status === 'pending') {
        var g = await api('GET', '/apps/api/orders/' + encodeURIComponent(tab.id));
        if (g.ok && current === r.data.payment.id) show(g.data);
      }
      if (r.data.tab) { tab = r.data.tab; renderTab(); }
    } finally { busy = false; }
  }
  function balanceText(bal) {
    if (!bal || !bal.length) return '';
    return P.newBalance + ' ' + bal.map(function (b) { return b.a === boot.currency ? money(b.v) : (b.v / 100).toFixed(2) + ' ' + b.a.split(':')[0]; }).join(' · ');
  }
  function show(o, change) {
    var p = current ? o.payments.find(function (x) { return x.id === current; }) : null;
    var ov = $('overlay');
    var cls, title, detail = '', balance = '';
    if (p && p.status === 'pending') { cls = 'wait'; title = P.waitTap; detail = money(p.amount) + ' → ' + (p.device || ''); }
    else if (p && p.status === 'declined') { cls = 'ko'; title = P.declined; detail = t.reasons[p.reason] || p.reason || ''; }
    else if (p && p.status === 'cancelled') { ov.hidden = true; current = null; return; }
    else if (p && p.status === 'approved') {
      cls = 'ok'; title = o.status === 'paid' ? t.closed : (p.method === 'card' ? P.approved : P.paid);
      detail = money(p.amount) + (change ? ' · ' + P.change + ' ' + money(change) : '') + (o.status === 'open' ? ' · ' + t.left + ' ' + money(o.remaining) : '');
      balance = balanceText(p.bal);
    } else return;
    ov.className = 'overlay ' + cls;
    $('ov-title').textContent = title; $('ov-detail').textContent = detail; $('ov-balance').textContent = balance;
    $('ov-cancel').hidden = cls !== 'wait'; $('ov-close').hidden = cls === 'wait';
    ov.hidden = false;
  }
  $('ov-close').addEventListener('click', function () { $('overlay').hidden = true; current = null; refresh(); });
  $('ov-cancel').addEventListener('click', async function () {
    if (tab && current) await api('POST', '/apps/api/orders/' + encodeURIComponent(tab.id) + '/payments/' + encodeURIComponent(current) + '/cancel');
    $('overlay').hidden = true; current = null; refresh();
  });
  $('tpay-card').addEventListener('click', function () { pay('card'); });
  $('tpay-cash').addEventListener('click', function () { pay('cash'); });
  $('tpay-bank').addEventListener('click', function () { pay('bankcard'); });

  // ---- live ----
  var timer = null;
  function soon() { clearTimeout(timer); timer = setTimeout(refresh, 60); }
  function connect() {
    var es = new EventSource('/apps/api/room/' + encodeURIComponent(posId) + '/events');
    es.onopen = function () { $('conn').classList.add('on'); refresh(); };
    es.onerror = function () { $('conn').classList.remove('on'); };
    es.addEventListener('room', soon);
    es.addEventListener('order', function (e) {
      var d = JSON.parse(e.data);
      if (tab && d.order.id === tab.id && current) show(d.order);
      soon();
    });
    es.addEventListener('ready', function (e) {
      var d = JSON.parse(e.data);
      var id = String(d.orderId).split('.')[0];
      var s = state.tabs.find(function (x) { return x.id === id; });
      toast(P.ready + ' · ' + (s ? s.tables.map(tableName).join('+') : '') + ' · ' + d.station);
      soon();
    });
  }
  connect();
  window.tbRoom = { state: function () { return state; }, tab: function () { return tab; } };
})();
`;
