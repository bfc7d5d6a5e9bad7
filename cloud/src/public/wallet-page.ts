/**
 * The card holder's page: balances per asset (what is refundable says so), the last movements,
 * each linked to its entry in the public log. Server-rendered, no script, FR/EN.
 */
import type { FastifyInstance } from 'fastify';
import { Html, html, page } from '../agenda/html.js';
import { pickLang } from '../agenda/i18n.js';
import { type Db, num } from '../db/connect.js';
import { TicketKeys } from '../ticketing/keys.js';
import { qrSvg } from '../ticketing/qr.js';
import { PAY_TOKEN_SECONDS, signPayToken } from '../wallet-pay/pay-token.js';
import { checkWalletLink } from './wallet-link.js';

const T = {
  fr: {
    title: 'Mon porte-monnaie',
    balances: 'Soldes',
    moves: 'Derniers mouvements',
    refundable: 'remboursable',
    notRefundable: 'non remboursable',
    blocked: 'Carte bloquée : contactez un lieu du réseau.',
    none: 'Aucun mouvement.',
    log: 'Voir dans le journal public',
    hours: 'h',
    pay: 'Payer sans la carte',
    payHelp:
      'Montrez ce code à la caisse : il débite ce porte-monnaie. Valable 2 minutes, une seule fois ; la page le renouvelle.',
  },
  en: {
    title: 'My wallet',
    balances: 'Balances',
    moves: 'Latest movements',
    refundable: 'refundable',
    notRefundable: 'not refundable',
    blocked: 'Card blocked: ask any venue of the network.',
    none: 'No movement yet.',
    log: 'See in the public log',
    hours: 'h',
    pay: 'Pay without the card',
    payHelp: 'Show this code at the till: it charges this wallet. Valid 2 minutes, once; the page renews it.',
  },
};

function amountText(asset: string, amount: number, lang: 'fr' | 'en'): string {
  if (asset === 'TIME') return `${(amount / 60).toFixed(amount % 60 === 0 ? 0 : 1)} ${T[lang].hours}`;
  if (asset.startsWith('LOYAL:') || asset.startsWith('MEMBER:')) return String(amount);
  return new Intl.NumberFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', {
    style: 'currency',
    currency: 'EUR',
  }).format(amount / 100);
}

export function registerWalletPage(app: FastifyInstance, db: Db, masterKey: Buffer): void {
  const keys = new TicketKeys(db, masterKey);
  app.get(
    '/wallet/:uid/:sig',
    {
      schema: {
        hide: true,
        params: {
          type: 'object',
          required: ['uid', 'sig'],
          properties: {
            uid: { type: 'string', pattern: '^[0-9A-Fa-f]{8,20}$' },
            sig: { type: 'string', pattern: '^[0-9a-f]{32}$' },
          },
        },
      },
    },
    async (req, reply) => {
      const { uid, sig } = req.params as { uid: string; sig: string };
      const lang = pickLang((req.query as { lang?: string }).lang, req.headers['accept-language']);
      if (!(await checkWalletLink(db, masterKey, uid, sig))) {
        req.log.warn({ uid }, 'wallet page: bad link');
        return reply
          .code(404)
          .type('text/html; charset=utf-8')
          .send(page({ lang, title: T[lang].title, body: html`<p>404</p>` }));
      }
      const card = await db.query<{ wallet_id: unknown; blocked: boolean; federation_id: string }>(
        'SELECT wallet_id, blocked, federation_id FROM cards WHERE uid = $1',
        [uid.toUpperCase()],
      );
      const walletId = card.rows[0]?.wallet_id;
      const balances =
        walletId === undefined || walletId === null
          ? []
          : (
              await db.query<{ asset: string; balance: unknown; refundable: boolean }>(
                `SELECT a.asset, a.balance, coalesce(s.refundable, false) AS refundable FROM accounts a
                 LEFT JOIN assets s ON s.code = a.asset AND s.federation_id = $2 WHERE a.wallet_id = $1 ORDER BY a.asset`,
                [walletId, card.rows[0].federation_id],
              )
            ).rows;
      const moves =
        walletId === undefined || walletId === null
          ? []
          : (
              await db.query<{
                id: unknown;
                asset: string;
                amount: unknown;
                kind: string;
                at: unknown;
                credit_mine: boolean;
              }>(
                `SELECT t.id, t.asset, t.amount, t.kind, t.at, (c.wallet_id = $1) AS credit_mine FROM transfers t
                 JOIN accounts d ON d.id = t.debit JOIN accounts c ON c.id = t.credit
                 WHERE d.wallet_id = $1 OR c.wallet_id = $1 ORDER BY t.id DESC LIMIT 20`,
                [walletId],
              )
            ).rows;
      const t = T[lang];
      // a blocked or unknown card gets no payment code
      const payQr =
        card.rows[0] && !card.rows[0].blocked
          ? await qrSvg(signPayToken(uid.toUpperCase(), await keys.signer()))
          : undefined;
      const body = html`<h1>${t.title}</h1>
${card.rows[0]?.blocked ? html`<p class="warn">${t.blocked}</p>` : html``}
${payQr ? html`<h2>${t.pay}</h2><figure class="qr pay-qr">${new Html(payQr)}<figcaption>${t.payHelp}</figcaption></figure>` : html``}
<h2>${t.balances}</h2>
<ul class="balances">${balances.map(
        (b) =>
          html`<li><b>${amountText(b.asset, num(b.balance), lang)}</b> ${b.asset} <small>(${b.refundable ? t.refundable : t.notRefundable})</small></li>`,
      )}</ul>
<h2>${t.moves}</h2>
${moves.length === 0 ? html`<p>${t.none}</p>` : html``}
<ul class="moves">${moves.map(
        (m) =>
          html`<li>${new Date(num(m.at)).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris' })} · ${m.kind} · ${m.credit_mine ? '+' : '−'}${amountText(m.asset, num(m.amount), lang)} <a href="/log/${num(m.id)}">${t.log} #${num(m.id)}</a></li>`,
      )}</ul>`;
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(
          page({
            lang,
            title: t.title,
            body,
            // the payment code expires: renew the page before it does
            head: payQr ? html`<meta http-equiv="refresh" content="${PAY_TOKEN_SECONDS - 30}">` : undefined,
          }),
        );
    },
  );
}
