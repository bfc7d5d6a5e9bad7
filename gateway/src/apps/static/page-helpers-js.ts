/**
 * Helpers shared by the venue pages' scripts (interpolated into their String.raw sources, inside
 * each page's function scope, so they see its `boot`): money formatting, DOM building with
 * textContent only, random ids.
 */
export const PAGE_HELPERS_JS = String.raw`
  var SYMBOLS = { EUR: '€', USD: '$', GBP: '£', CHF: 'CHF' };
  // Same as html.ts money(): no Intl, whose locale data a tablet's browser may lack.
  function money(n) {
    var sign = n < 0 ? '-' : '';
    var abs = Math.abs(Math.round(n));
    var units = String(Math.floor(abs / 100));
    var cents = ('0' + (abs % 100)).slice(-2);
    var sym = SYMBOLS[boot.currency] || boot.currency;
    if (boot.lang === 'fr') return sign + units.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f') + ',' + cents + '\u00a0' + sym;
    return sign + (sym.length > 1 ? sym + ' ' : sym) + units.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + cents;
  }
  function $(id) { return document.getElementById(id); }
  function h(tag, attrs, kids) {
    var el = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === 'text') el.textContent = attrs[k];
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), attrs[k]);
      else el.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) el.appendChild(c); });
    return el;
  }
  /** A random id for idempotent requests (cart, payment). */
  function newId(prefix) {
    var b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return prefix + Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }
`;
