/**
 * The public log explorer: the latest signed checkpoint (with the venues that co-signed it), the
 * latest entries, and per entry its inclusion proof in that checkpoint, checked here and shown so
 * anyone can check it again (`tibillet-verify` does the whole log).
 */
import type { FastifyInstance } from 'fastify';
import { html, page } from '../agenda/html.js';
import { pickLang } from '../agenda/i18n.js';
import type { Db } from '../db/connect.js';
import { entryBytes } from '../transparency/chain.js';
import type { CheckpointService } from '../transparency/log-store.js';
import { logSize, readEntries } from '../transparency/log-store.js';
import { leafHash, verifyInclusion } from '../transparency/merkle.js';

const T = {
  fr: {
    title: 'Journal public',
    checkpoint: 'Dernier point de contrôle signé',
    size: 'entrées',
    cosigned: 'cosigné par',
    entries: 'Dernières entrées',
    proof: 'Preuve d’inclusion',
    ok: 'vérifiée',
    bad: 'ÉCHEC',
    pending: 'pas encore dans un point de contrôle signé',
    verify: 'Tout vérifier soi-même : tibillet-verify --url',
  },
  en: {
    title: 'Public log',
    checkpoint: 'Latest signed checkpoint',
    size: 'entries',
    cosigned: 'co-signed by',
    entries: 'Latest entries',
    proof: 'Inclusion proof',
    ok: 'verified',
    bad: 'FAILED',
    pending: 'not yet in a signed checkpoint',
    verify: 'Verify everything yourself: tibillet-verify --url',
  },
};

export function registerLogPages(app: FastifyInstance, db: Db, service: CheckpointService): void {
  app.get('/log', { schema: { hide: true } }, async (req, reply) => {
    const lang = pickLang((req.query as { lang?: string }).lang, req.headers['accept-language']);
    const t = T[lang];
    const cp = (await service.latest()) ?? (await service.signNow());
    const size = await logSize(db);
    const entries = (await readEntries(db, Math.max(0, size - 30), size)).reverse();
    const body = html`<h1>${t.title}</h1>
<h2>${t.checkpoint}</h2>
<p>${cp.treeSize} ${t.size} · root <code>${cp.rootHash}</code> · ${new Date(cp.timestamp).toISOString()}<br>
key <code>${cp.keyId}</code> · ${t.cosigned} ${cp.cosignatures.map((c) => c.venueId).join(', ') || '—'}</p>
<p><small>${t.verify} ${`${req.protocol}://${req.host}`}</small></p>
<h2>${t.entries}</h2>
<ul class="moves">${entries.map(
      (e) =>
        html`<li><a href="/log/${e.seq}">#${e.seq}</a> ${e.kind} · ${e.asset} ${e.amount} · ${e.debit} → ${e.credit}</li>`,
    )}</ul>`;
    return reply.type('text/html; charset=utf-8').send(page({ lang, title: t.title, body }));
  });

  app.get(
    '/log/:seq',
    {
      schema: {
        hide: true,
        params: {
          type: 'object',
          required: ['seq'],
          properties: { seq: { type: 'string', pattern: '^[0-9]{1,15}$' } },
        },
      },
    },
    async (req, reply) => {
      const lang = pickLang((req.query as { lang?: string }).lang, req.headers['accept-language']);
      const t = T[lang];
      const seq = Number((req.params as { seq: string }).seq);
      const [entry] = await readEntries(db, seq - 1, seq);
      if (!entry)
        return reply
          .code(404)
          .type('text/html; charset=utf-8')
          .send(page({ lang, title: t.title, body: html`<p>404</p>` }));
      const cp = await service.latest();
      let proofHtml = html`<p>${t.pending}</p>`;
      if (cp && entry.index < cp.treeSize) {
        const proof = (await service.log.inclusion(entry.index, cp.treeSize)).proof.map((b) =>
          b.toString('hex'),
        );
        const leaf = leafHash(entryBytes(entry));
        const ok = verifyInclusion(leaf, entry.index, cp.treeSize, proof, cp.rootHash);
        proofHtml = html`<p><b>${ok ? t.ok : t.bad}</b> · leaf <code>${leaf.toString('hex')}</code> · tree ${cp.treeSize} · root <code>${cp.rootHash}</code></p>
<ol>${proof.map((h) => html`<li><code>${h}</code></li>`)}</ol>`;
      }
      const body = html`<h1>${t.title} #${entry.seq}</h1>
<p>${entry.kind} · ${entry.asset} ${entry.amount} · ${entry.debit} → ${entry.credit} · ${new Date(entry.at).toISOString()}</p>
<p>id <code>${entry.id}</code><br>entry <code>${entry.entryHash}</code><br>chain <code>${entry.chainHash}</code></p>
<h2>${t.proof}</h2>${proofHtml}
<p><a href="/log">← ${t.title}</a></p>`;
      return reply
        .type('text/html; charset=utf-8')
        .send(page({ lang, title: `${t.title} #${entry.seq}`, body }));
    },
  );
}
