/**
 * The cashier page's script (vanilla, no build step, no template literals so it can live in a
 * String.raw). Every piece of data goes into the DOM through textContent, never innerHTML.
 */
import { PAGE_HELPERS_JS } from './page-helpers-js.js';

export const POS_JS = String.raw`
(function () {
  'use strict';
  var boot = JSON.parse(document.getElementById('boot').textContent);
  var t = boot.t;
  var posId = boot.pos.id;
${PAGE_HELPERS_JS}

  var products = {};
  boot.products.forEach(function (p) { products[p.sku] = p; });
  var cart = [];
  var cartId = newId('o');
  var order = null;
  var ageChecked = false;
  var busy = false;
  var current = null; // the payment shown in the overlay
  var changes = {};   // payment id -> change due (cash)
  var finals = {};    // payment id -> final status already shown (a late "pending" answer never reverts it)

  var cashierEl = $('cashier');
  var deviceEl = $('device');
  var saved = localStorage.getItem('tb.cashier');
  if (!boot.cashier && saved && cashierEl.tagName === 'INPUT') cashierEl.value = saved;
  if (!boot.cashier && saved && cashierEl.tagName === 'SELECT' && cashierEl.querySelector('option[value="' + CSS.escape(saved) + '"]')) cashierEl.value = saved;
  cashierEl.addEventListener('change', function () { localStorage.setItem('tb.cashier', cashierEl.value); });
  var savedDev = localStorage.getItem('tb.device.' + posId);
  if (savedDev && deviceEl.querySelector('option[value="' + CSS.escape(savedDev) + '"]')) deviceEl.value = savedDev;
  deviceEl.addEventListener('change', function () { localStorage.setItem('tb.device.' + posId, deviceEl.value); });
  function cashier() { return cashierEl.value || 'pos'; }

  function msg(text) { $('msg').textContent = text || ''; }
  function toast(text) {
    var el = h('div', { 'class': 'toast', text: text });
    $('toasts').appendChild(el);
    setTimeout(function () { el.remove(); }, 5000);
  }

  async function api(method, url, body) {
    var res = await fetch(url, { method: method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    var data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return { ok: res.ok, status: res.status, data: data || {} };
  }

  // ---- cart ----
  function locked() { return order && order.paid > 0 && order.status === 'open'; }
  function touched() {
    if (order && order.status === 'open' && order.paid === 0) { order = null; cartId = newId('o'); }
    render();
  }
  function add(sku) {
    if (locked()) return msg(t.locked);
    var p = products[sku];
    if (!p) return;
    if (p.minAge && !ageChecked) {
      if (!window.confirm(t.ageConfirm.replace('{age}', p.minAge))) return;
      ageChecked = true;
    }
    var line = cart.find(function (l) { return l.sku === sku && !l.note; });
    if (line) line.qty++;
    else cart.push({ sku: sku, qty: 1, price: p.price, label: p.label, note: '' });
    msg('');
    touched();
  }
  function setQty(i, q) {
    if (locked()) return msg(t.locked);
    if (q <= 0) cart.splice(i, 1); else cart[i].qty = q;
    touched();
  }
  function clearCart() {
    cart = []; order = null; cartId = newId('o'); ageChecked = false; $('note').value = ''; $('tendered').value = ''; msg(''); render();
  }
  function total() { return cart.reduce(function (s, l) { return s + l.qty * l.price; }, 0); }

  function render() {
    var ol = $('lines');
    ol.textContent = '';
    cart.forEach(function (l, i) {
      var note = h('input', { 'class': 'lnote', maxlength: '120', placeholder: t.lineNote, 'aria-label': t.lineNote });
      note.value = l.note;
      note.addEventListener('change', function () { l.note = note.value; touched(); });
      ol.appendChild(h('li', { 'data-sku': l.sku }, [
        h('span', { 'class': 'lname', text: l.label }),
        h('span', { 'class': 'qty' }, [
          h('button', { type: 'button', text: '−', 'aria-label': '-1', onclick: function () { setQty(i, l.qty - 1); } }),
          h('b', { text: String(l.qty) }),
          h('button', { type: 'button', text: '+', 'aria-label': '+1', onclick: function () { setQty(i, l.qty + 1); } })
        ]),
        h('span', { 'class': 'lt', text: money(l.qty * l.price) }),
        note
      ]));
    });
    var tot = $('total');
    tot.textContent = money(total());
    tot.classList.remove('remaining');
    if (order && order.status === 'open' && order.paid > 0) { tot.textContent = t.remaining + ' ' + money(order.remaining); tot.classList.add('remaining'); }
  }

  // ---- orders and payments ----
  async function ensureOrder() {
    if (order && order.id === cartId) return order;
    if (cart.length === 0) { msg(t.empty); return null; }
    var body = {
      id: cartId, cashier: cashier(), ageChecked: ageChecked,
      lines: cart.map(function (l) { var x = { sku: l.sku, qty: l.qty, price: l.price }; if (l.note) x.note = l.note; return x; })
    };
    var note = $('note').value.trim();
    if (note) body.note = note;
    var r = await api('POST', '/apps/api/pos/' + encodeURIComponent(posId) + '/orders', body);
    if (r.ok) { order = r.data.order; return order; }
    if (r.data.error === 'stale-price' || r.data.error === 'unknown-sku') refreshMenu(r.data.products || []);
    msg((t.errors[r.data.error] || r.data.error || 'error') + (r.data.message ? ' — ' + r.data.message : ''));
    return null;
  }

  function refreshMenu(list) {
    var next = {};
    list.forEach(function (p) { next[p.sku] = p; });
    products = next;
    cart = cart.filter(function (l) { return next[l.sku]; });
    cart.forEach(function (l) { l.price = next[l.sku].price; l.label = next[l.sku].label; });
    document.querySelectorAll('.tile').forEach(function (tile) {
      var p = next[tile.getAttribute('data-sku')];
      if (!p) { tile.hidden = true; return; }
      tile.querySelector('.price').textContent = money(p.price);
    });
    order = null; cartId = newId('o');
    render();
  }

  async function pay(method, extra) {
    if (busy) return;
    busy = true;
    setBusy(true);
    try {
      var o = await ensureOrder();
      if (!o) return;
      var body = { method: method, cashier: cashier() };
      if (extra) for (var k in extra) if (extra[k] !== undefined) body[k] = extra[k];
      if (method === 'card') body.deviceId = deviceEl.value;
      var tendered = parseFloat(($('tendered').value || '').replace(',', '.'));
      if (method === 'cash' && tendered > 0) body.tendered = Math.round(tendered * 100);
      var r = await api('POST', '/apps/api/orders/' + encodeURIComponent(o.id) + '/payments', body);
      if (!r.ok) { msg((t.errors[r.data.error] || r.data.error) + (r.data.message ? ' — ' + r.data.message : '')); return; }
      current = r.data.payment ? r.data.payment.id : null;
      show(r.data.order, r.data.change);
      // a tap answered before this response: its event may have come first and been missed
      if (r.data.payment && r.data.payment.status === 'pending') {
        var g = await api('GET', '/apps/api/orders/' + encodeURIComponent(o.id));
        if (g.ok && current === r.data.payment.id) show(g.data);
      }
    } finally {
      busy = false;
      setBusy(false);
    }
  }
  function setBusy(b) { document.querySelectorAll('.actions .btn').forEach(function (x) { x.disabled = b; }); }

  async function sendKitchen() {
    var o = await ensureOrder();
    if (!o) return;
    var r = await api('POST', '/apps/api/orders/' + encodeURIComponent(o.id) + '/send');
    if (r.ok) toast(t.sent + ' (' + r.data.tickets + ')'); else msg(r.data.error);
  }

  function balanceText(bal, label) {
    if (!bal || !bal.length) return '';
    return (label || t.newBalance) + ' ' + bal.map(function (b) {
      return b.a === boot.currency ? money(b.v) : (b.v / 100).toFixed(2) + ' ' + b.a.split(':')[0];
    }).join(' · ');
  }

  // Renders the overlay from the order as the server sees it (HTTP answer or SSE event, any order).
  function show(o, change) {
    if (!o) return;
    order = o;
    var p = current ? o.payments.find(function (x) { return x.id === current; }) : null;
    if (p && p.status === 'pending' && finals[p.id]) return;
    // the change due comes with the HTTP answer only: a later event for the same payment keeps it
    if (p && change !== undefined) changes[p.id] = change;
    if (p && change === undefined) change = changes[p.id];
    if (p && p.status !== 'pending') finals[p.id] = p.status;
    var ov = $('overlay');
    var title = '', detail = '', balance = '', cls = '';
    var buttons = { cancel: false, retry: false, close: true };
    if (o.status === 'voided') { cls = 'ko'; title = t.voided; }
    else if (p && p.status === 'pending') {
      cls = 'wait'; title = t.waitTap; detail = money(p.amount) + ' → ' + (p.device || '');
      buttons = { cancel: true, retry: false, close: false };
    } else if (p && p.status === 'declined') {
      cls = 'ko'; title = t.declined; detail = (t.reasons[p.reason] || p.reason || '') ;
      balance = balanceText(p.bal, t.balance);
      buttons = { cancel: false, retry: true, close: true };
    } else if (p && p.status === 'cancelled') {
      ov.hidden = true; current = null; render(); return;
    } else if (o.status === 'paid') {
      cls = 'ok'; title = p && (p.method === 'card' || p.method === 'qr' || p.method === 'nfc') ? t.approved : t.paid;
      detail = money(o.total);
      if (change) detail += ' · ' + t.change + ' ' + money(change);
      balance = p ? balanceText(p.bal) : '';
    } else if (o.status === 'open' && o.paid > 0) {
      cls = 'ok'; title = t.partial; detail = t.remaining + ' ' + money(o.remaining);
      balance = p ? balanceText(p.bal) : '';
    } else { ov.hidden = true; render(); return; }
    ov.className = 'overlay ' + cls;
    $('ov-title').textContent = title;
    $('ov-detail').textContent = detail;
    $('ov-balance').textContent = balance;
    $('ov-cancel').hidden = !buttons.cancel;
    $('ov-retry').hidden = !buttons.retry;
    $('ov-close').hidden = !buttons.close;
    $('ov-close').firstChild.textContent = (o.status === 'open' ? t.close : t.newSale) + ' ';
    ov.hidden = false;
    render();
  }
  function overlayFinal() { return !$('overlay').hidden && !$('ov-close').hidden; }
  function closeOverlay() {
    $('overlay').hidden = true;
    if (order && order.status !== 'open') clearCart();
    current = null;
    render();
  }
  $('ov-close').addEventListener('click', closeOverlay);
  $('ov-retry').addEventListener('click', function () { $('overlay').hidden = true; pay('card'); });
  $('ov-cancel').addEventListener('click', async function () {
    if (!order || !current) { $('overlay').hidden = true; return; }
    var r = await api('POST', '/apps/api/orders/' + encodeURIComponent(order.id) + '/payments/' + encodeURIComponent(current) + '/cancel');
    $('overlay').hidden = true;
    current = null;
    if (r.ok) { order = r.data.order; render(); }
  });

  // ---- recent orders and voids ----
  var voidTarget = null;
  async function refreshRecent() {
    var r = await api('GET', '/apps/api/pos/' + encodeURIComponent(posId) + '/orders');
    if (!r.ok) return;
    var ol = $('recent');
    ol.textContent = '';
    r.data.forEach(function (o) {
      var time = new Date(o.createdAt).toLocaleTimeString(boot.lang === 'fr' ? 'fr-FR' : 'en-GB', { hour: '2-digit', minute: '2-digit' });
      var li = h('li', { 'class': o.status, 'data-order': o.id }, [
        h('span', { text: time }),
        h('span', { text: o.lines.map(function (l) { return l.qty + '× ' + l.label; }).join(', ').slice(0, 60) }),
        h('b', { text: money(o.total) }),
        h('span', { 'class': 'st', text: t.status[o.status] || o.status })
      ]);
      if (o.status !== 'voided') li.appendChild(h('button', { 'class': 'btn small danger', type: 'button', text: t.void, onclick: function () { openVoid(o); } }));
      ol.appendChild(li);
    });
  }
  function openVoid(o) {
    voidTarget = o;
    $('void-order').textContent = money(o.total) + ' — ' + o.lines.map(function (l) { return l.qty + '× ' + l.label; }).join(', ');
    $('void-reason').value = '';
    $('voidbox').hidden = false;
    $('void-reason').focus();
  }
  $('void-cancel').addEventListener('click', function () { $('voidbox').hidden = true; });
  $('voidform').addEventListener('submit', async function (ev) {
    ev.preventDefault();
    if (!voidTarget) return;
    var r = await api('POST', '/apps/api/orders/' + encodeURIComponent(voidTarget.id) + '/void', { reason: $('void-reason').value, cashier: cashier() });
    $('voidbox').hidden = true;
    if (r.ok) toast(t.voided); else toast(t.errors[r.data.error] || r.data.error);
    refreshRecent();
  });

  // ---- live events ----
  var recentTimer = null;
  function connect() {
    var es = new EventSource('/apps/api/pos/' + encodeURIComponent(posId) + '/events');
    es.onopen = async function () {
      $('conn').classList.add('on');
      if (order) { var r = await api('GET', '/apps/api/orders/' + encodeURIComponent(order.id)); if (r.ok && current) show(r.data); }
    };
    es.onerror = function () { $('conn').classList.remove('on'); };
    es.addEventListener('order', function (e) {
      var d = JSON.parse(e.data);
      // while a payment request is in flight its answer shows the result (with the change due)
      if (order && d.order.id === order.id && (current || !busy)) show(d.order);
      clearTimeout(recentTimer);
      recentTimer = setTimeout(refreshRecent, 300);
    });
    es.addEventListener('ready', function (e) { var d = JSON.parse(e.data); toast(t.ready + ' · ' + d.station + ' · #' + d.ticket); });
    es.addEventListener('low', function (e) { var d = JSON.parse(e.data); toast(t.lowStock + ' · ' + d.name + ' (' + d.qty + ' ' + d.unit + ')'); });
    es.addEventListener('refund', function (e) { var d = JSON.parse(e.data); toast(t.refunded + ' ' + money(d.amount || 0)); });
    // a staff card tapped on this POS's terminal: the page redeems the one-use claim for a session
    es.addEventListener('staff', async function (e) {
      var d = JSON.parse(e.data);
      var r = await api('POST', '/apps/api/session', { claim: d.claim });
      if (r.ok) setSession(r.data.session);
    });
    es.addEventListener('session-end', function () { checkSession(); });
    es.addEventListener('printer', function (e) { var d = JSON.parse(e.data); toast('🖨 ' + d.printer + ': ' + d.error); });
  }
  function setSession(s) {
    document.body.classList.toggle('session', !!s);
    $('login').hidden = !!s;
    $('logout').hidden = !s;
    if (!s) { cashierEl.disabled = false; return; }
    $('loginbox').hidden = true;
    if (cashierEl.tagName === 'SELECT' && !cashierEl.querySelector('option[value="' + CSS.escape(s.staff) + '"]')) cashierEl.appendChild(h('option', { value: s.staff, text: s.name }));
    cashierEl.value = s.staff;
    cashierEl.disabled = true;
    toast('👤 ' + s.name);
  }
  $('login').addEventListener('click', function () {
    $('login-msg').textContent = ''; $('login-pin').value = ''; $('loginbox').hidden = false; $('login-pin').focus();
  });
  $('login-cancel').addEventListener('click', function () { $('loginbox').hidden = true; });
  $('loginform').addEventListener('submit', async function (ev) {
    ev.preventDefault();
    var r = await api('POST', '/apps/api/session', { staff: $('login-staff').value, pin: $('login-pin').value, pos: posId });
    $('login-pin').value = '';
    if (r.ok) setSession(r.data.session); else $('login-msg').textContent = t.errors[r.data.error] || r.data.error;
  });
  $('logout').addEventListener('click', async function () { await api('DELETE', '/apps/api/session'); setSession(null); });
  async function checkSession() {
    var r = await api('GET', '/apps/api/session');
    if (r.ok) setSession(r.data.session); else if (cashierEl.disabled) setSession(null);
  }

  // ---- wiring ----
  function visibleTiles() { return Array.prototype.filter.call(document.querySelectorAll('.tile'), function (x) { return !x.hidden; }); }
  $('grid').addEventListener('click', function (ev) {
    var tile = ev.target.closest('.tile');
    if (tile) add(tile.getAttribute('data-sku'));
  });
  document.querySelectorAll('.cat').forEach(function (c) {
    c.addEventListener('click', function () {
      var cat = c.getAttribute('data-cat');
      document.querySelectorAll('.cat').forEach(function (x) { x.classList.toggle('on', x === c); });
      document.querySelectorAll('.tile').forEach(function (tile) { tile.hidden = !!cat && tile.getAttribute('data-cat') !== cat; });
      visibleTiles().forEach(function (tile, i) { tile.querySelector('.k').textContent = i < 9 ? String(i + 1) : ''; });
    });
  });
  $('pay-card').addEventListener('click', function () { pay('card'); });
  $('pay-cash').addEventListener('click', function () { pay('cash'); });
  $('pay-bank').addEventListener('click', function () { pay('bankcard'); });

  // ---- card-less payments: the wallet QR on a phone (camera), the card on this device's NFC ----
  function closeScan() { window.tbScan.stop(); $('scanbox').hidden = true; }
  async function scanQr() {
    if (busy) return;
    if (cart.length === 0 && !order) { msg(t.empty); return; }
    $('scan-title').textContent = t.scanQr;
    $('scan-msg').textContent = '';
    $('scan-video').hidden = false;
    $('scanbox').hidden = false;
    try {
      await window.tbScan.qr($('scan-video'), function (text) {
        if (text.indexOf('TBPAY1.') !== 0) { $('scan-msg').textContent = t.notWallet; return false; }
        $('scanbox').hidden = true;
        pay('qr', { token: text });
        return true;
      });
    } catch (e) {
      $('scan-msg').textContent = t.noCamera + ' (' + (e && e.name || e) + ')';
    }
  }
  async function readNfc() {
    if (busy) return;
    if (cart.length === 0 && !order) { msg(t.empty); return; }
    $('scan-title').textContent = t.tapHere;
    $('scan-msg').textContent = '';
    $('scan-video').hidden = true;
    $('scanbox').hidden = false;
    try {
      await window.tbScan.nfc(function (card) {
        closeScan();
        pay('nfc', { uid: card.uid, sun: card.sun });
      });
    } catch (e) {
      $('scan-msg').textContent = t.noNfc + ' (' + (e && e.name || e) + ')';
    }
  }
  $('pay-qr').addEventListener('click', scanQr);
  $('pay-nfc').hidden = !window.tbScan.nfcAvailable;
  $('pay-nfc').addEventListener('click', readNfc);
  $('scan-cancel').addEventListener('click', closeScan);
  $('send').addEventListener('click', sendKitchen);
  $('clear').addEventListener('click', clearCart);
  $('note').addEventListener('change', touched);

  document.addEventListener('keydown', function (ev) {
    var tag = (ev.target && ev.target.tagName) || '';
    var typing = tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA';
    if (!$('voidbox').hidden) { if (ev.key === 'Escape') $('voidbox').hidden = true; return; }
    if (!$('scanbox').hidden) { if (ev.key === 'Escape') closeScan(); return; }
    if (!$('loginbox').hidden) { if (ev.key === 'Escape') $('loginbox').hidden = true; return; }
    if (!$('overlay').hidden) {
      if ((ev.key === 'Enter' || ev.key === 'Escape') && overlayFinal()) { ev.preventDefault(); closeOverlay(); }
      return;
    }
    if (typing) { if (ev.key === 'Escape') ev.target.blur(); return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var k = ev.key;
    if (k >= '1' && k <= '9') { var tile = visibleTiles()[Number(k) - 1]; if (tile) add(tile.getAttribute('data-sku')); }
    else if (k === 'Enter') pay('card');
    else if (k === 'e' || k === 'E') pay('cash');
    else if (k === 'b' || k === 'B') pay('bankcard');
    else if (k === 'q' || k === 'Q') scanQr();
    else if ((k === 'n' || k === 'N') && window.tbScan.nfcAvailable) readNfc();
    else if (k === 'k' || k === 'K') sendKitchen();
    else if (k === 'Escape') clearCart();
    else if (k === 'Backspace') { if (cart.length) setQty(cart.length - 1, cart[cart.length - 1].qty - 1); }
    else if (k === '+') { if (cart.length) setQty(cart.length - 1, cart[cart.length - 1].qty + 1); }
    else if (k === '-') { if (cart.length) setQty(cart.length - 1, cart[cart.length - 1].qty - 1); }
    else if (k === 'v' || k === 'V') { var d = document.querySelector('.recent'); d.open = !d.open; }
    else return;
    ev.preventDefault();
  });

  render();
  refreshRecent();
  connect();
  checkSession();
  window.tbPos = { cart: function () { return cart; }, order: function () { return order; } };
})();
`;
