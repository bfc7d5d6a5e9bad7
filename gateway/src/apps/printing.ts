/**
 * ESC/POS thermal printers on the network (raw TCP, port 9100): kitchen/bar order tickets routed
 * per station (a printer's target is a station, or "*" for all) and receipts per point of sale.
 * Jobs go one at a time per printer, retried 3 times; a printer that stays down is reported on
 * the "alerts" channel (the POS pages show it). Text is encoded in code page 858 (French
 * accents and €), selected at the start of each job.
 */
import net from 'node:net';
import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { money } from './html.js';
import type { Ticket } from './kitchen.js';
import type { OrderView } from './pos.js';
import type { Hub } from './sse.js';
import { ID, type Staff } from './staff.js';
import { rateLabel, type VatBreakdown } from './vat.js';

export interface Printer {
  id: string;
  host: string;
  port: number;
  kind: 'kitchen' | 'receipt';
  /** A station (kitchen printers, "*" = all) or a point of sale id (receipt printers). */
  target: string;
  /** Characters per line (42 on 80 mm paper, 32 on 58 mm). */
  width: number;
  /** Prints by itself (tickets when created, receipts when paid); else on demand only. */
  auto: boolean;
}

const CP858: Record<string, number> = {
  Ç: 0x80,
  ü: 0x81,
  é: 0x82,
  â: 0x83,
  ä: 0x84,
  à: 0x85,
  å: 0x86,
  ç: 0x87,
  ê: 0x88,
  ë: 0x89,
  è: 0x8a,
  ï: 0x8b,
  î: 0x8c,
  ì: 0x8d,
  Ä: 0x8e,
  Å: 0x8f,
  É: 0x90,
  æ: 0x91,
  Æ: 0x92,
  ô: 0x93,
  ö: 0x94,
  ò: 0x95,
  û: 0x96,
  ù: 0x97,
  ÿ: 0x98,
  Ö: 0x99,
  Ü: 0x9a,
  ø: 0x9b,
  '£': 0x9c,
  Ø: 0x9d,
  '×': 0x9e,
  á: 0xa0,
  í: 0xa1,
  ó: 0xa2,
  ú: 0xa3,
  ñ: 0xa4,
  Ñ: 0xa5,
  '«': 0xae,
  '»': 0xaf,
  Á: 0xb5,
  Â: 0xb6,
  À: 0xb7,
  È: 0xd4,
  '€': 0xd5,
  Ê: 0xd2,
  Ë: 0xd3,
  Î: 0xd7,
  Ï: 0xd8,
  Ô: 0xe2,
  Ù: 0xeb,
  Û: 0xea,
  '°': 0xf8,
  '·': 0xfa,
  '\u00a0': 0x20,
  '\u202f': 0x20,
};
const FALLBACK: Record<string, string> = {
  œ: 'oe',
  Œ: 'OE',
  '—': '-',
  '–': '-',
  '’': "'",
  '…': '...',
  '→': '->',
};

export function cp858(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x20 && c < 0x7f) out.push(c);
    else if (CP858[ch] !== undefined) out.push(CP858[ch]);
    else if (FALLBACK[ch]) out.push(...cp858(FALLBACK[ch]));
    else if (ch === '\n') out.push(0x0a);
    else out.push(0x3f); // "?": control bytes never reach the printer from a label
  }
  return out;
}

/** A small ESC/POS document builder. */
export class EscPos {
  private b: number[] = [];
  constructor(readonly width = 42) {
    this.b.push(0x1b, 0x40); // ESC @ init
    this.b.push(0x1b, 0x74, 19); // ESC t 19: code page 858
  }
  align(a: 'left' | 'center' | 'right'): this {
    this.b.push(0x1b, 0x61, a === 'left' ? 0 : a === 'center' ? 1 : 2);
    return this;
  }
  bold(on: boolean): this {
    this.b.push(0x1b, 0x45, on ? 1 : 0);
    return this;
  }
  size(w: 1 | 2, h: 1 | 2): this {
    this.b.push(0x1d, 0x21, ((w - 1) << 4) | (h - 1));
    return this;
  }
  line(text = ''): this {
    this.b.push(...cp858(text), 0x0a);
    return this;
  }
  /** Left text and right text on one line (prices). */
  cols(left: string, right: string): this {
    const room = Math.max(1, this.width - [...right].length - 1);
    const l = [...left].slice(0, room).join('');
    return this.line(`${l}${' '.repeat(this.width - [...l].length - [...right].length)}${right}`);
  }
  rule(): this {
    return this.line('-'.repeat(this.width));
  }
  feed(n: number): this {
    this.b.push(0x1b, 0x64, n);
    return this;
  }
  cut(): this {
    this.b.push(0x1d, 0x56, 66, 3); // GS V 66 n: feed n lines and cut (partial)
    return this;
  }
  bytes(): Buffer {
    return Buffer.from(this.b);
  }
}

const clock = (at: number) => {
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getDate())}/${p(d.getMonth() + 1)}/${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}`;
};

export function kitchenTicketDoc(t: Ticket, width = 42): Buffer {
  const d = new EscPos(width).align('center').size(2, 2).bold(true).line(t.station.toUpperCase()).size(1, 1);
  d.line(`#${t.id} · ${t.pos} · ${clock(t.createdAt)}`)
    .bold(false)
    .align('left');
  if (t.note) d.bold(true).line(t.note).bold(false);
  d.rule();
  for (const l of t.lines) {
    d.size(1, 2).bold(true).line(`${l.qty} x ${l.label}`).size(1, 1).bold(false);
    if (l.note) d.line(`   > ${l.note}`);
  }
  return d.rule().feed(2).cut().bytes();
}

export function receiptDoc(
  o: OrderView,
  v: {
    venue: string;
    currency: string;
    duplicate?: boolean;
    fiscal?: { seq: number; mac: string; vat?: VatBreakdown };
  },
  width = 42,
): Buffer {
  const m = (n: number) => money(n, v.currency, 'fr');
  const d = new EscPos(width).align('center').size(2, 2).bold(true).line(v.venue).size(1, 1).bold(false);
  if (v.duplicate) d.bold(true).line('*** DUPLICATA ***').bold(false);
  d.line(`${clock(o.paidAt ?? o.createdAt)} · ${o.pos}`)
    .line(`Ticket ${o.id}`)
    .align('left')
    .rule();
  for (const l of o.lines) {
    // a line a card promotion lowered: the price it had, then what the rule took off
    d.cols(`${l.qty} x ${l.label}`, m(l.qty * (l.list ?? l.price)));
    if (l.list !== undefined)
      d.cols(`  Remise ${l.promo ?? ''}`.trimEnd(), `-${m((l.list - l.price) * l.qty)}`);
  }
  d.rule().bold(true).size(1, 2).cols('TOTAL', m(o.total)).size(1, 1).bold(false);
  const names: Record<string, string> = {
    card: 'Carte cashless',
    qr: 'Cashless (QR)',
    nfc: 'Cashless (NFC)',
    cash: 'Espèces',
    bankcard: 'Carte bancaire',
  };
  for (const p of o.payments) if (p.status === 'approved') d.cols(names[p.method] ?? p.method, m(p.amount));
  // the VAT table a French receipt must show, from the fiscal record (what the books say)
  const taxed = Object.entries(v.fiscal?.vat ?? {}).filter(([rate]) => Number(rate) > 0);
  if (taxed.length) {
    d.rule();
    for (const [rate, p] of taxed) d.cols(`TVA ${rateLabel(rate)} HT ${m(p.base)}`, m(p.tax));
  }
  if (o.status === 'voided') d.bold(true).line('*** ANNULÉ ***').bold(false);
  if (v.fiscal) d.align('center').line(`N° ${v.fiscal.seq} · ${v.fiscal.mac.slice(0, 16)}`);
  return d.align('center').line('Merci !').feed(3).cut().bytes();
}

interface Row {
  id: string;
  host: string;
  port: number;
  kind: Printer['kind'];
  target: string;
  width: number;
  auto: number;
}
const toPrinter = (r: Row): Printer => ({ ...r, auto: r.auto === 1 });

export class Printing {
  private queues = new Map<string, Promise<unknown>>();
  retries = 3;
  retryMs = 300;
  timeoutMs = 3000;

  constructor(
    private readonly db: Database.Database,
    private readonly hub: Hub,
  ) {}

  list(): Printer[] {
    return (this.db.prepare('SELECT * FROM app_printers ORDER BY id').all() as Row[]).map(toPrinter);
  }

  save(p: Printer): void {
    this.db
      .prepare(
        `INSERT INTO app_printers (id, host, port, kind, target, width, auto) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET host = excluded.host, port = excluded.port, kind = excluded.kind, target = excluded.target, width = excluded.width, auto = excluded.auto`,
      )
      .run(p.id, p.host, p.port, p.kind, p.target, p.width, p.auto ? 1 : 0);
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM app_printers WHERE id = ?').run(id);
  }

  private sendOnce(p: Printer, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: p.host, port: p.port });
      const timer = setTimeout(() => s.destroy(new Error('printer timeout')), this.timeoutMs);
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      s.once('connect', () => s.end(data));
      s.once('close', (hadError) => {
        clearTimeout(timer);
        if (!hadError) resolve();
      });
    });
  }

  /** Queues a job (one at a time per printer); resolves false once the retries are spent. */
  print(p: Printer, data: Buffer, what: string): Promise<boolean> {
    const run = async () => {
      let last = '';
      for (let i = 0; i < this.retries; i++) {
        try {
          await this.sendOnce(p, data);
          return true;
        } catch (e) {
          last = (e as Error).message;
          await new Promise((r) => setTimeout(r, this.retryMs * (i + 1)).unref());
        }
      }
      this.hub.publish('alerts', 'printer', { printer: p.id, what, error: last });
      return false;
    };
    const next = (this.queues.get(p.id) ?? Promise.resolve()).then(run, run);
    this.queues.set(p.id, next);
    return next;
  }

  /** A new kitchen ticket: to the printers of its station. */
  ticket(t: Ticket, onlyAuto = true): Promise<boolean[]> {
    const ps = this.list().filter(
      (p) => p.kind === 'kitchen' && (p.target === t.station || p.target === '*') && (p.auto || !onlyAuto),
    );
    return Promise.all(ps.map((p) => this.print(p, kitchenTicketDoc(t, p.width), `ticket ${t.id}`)));
  }

  receipt(
    o: OrderView,
    v: { venue: string; currency: string; duplicate?: boolean; fiscal?: { seq: number; mac: string } },
    onlyAuto = true,
  ): Promise<boolean[]> {
    const ps = this.list().filter((p) => p.kind === 'receipt' && p.target === o.pos && (p.auto || !onlyAuto));
    return Promise.all(ps.map((p) => this.print(p, receiptDoc(o, v, p.width), `receipt ${o.id}`)));
  }

  async idle(): Promise<void> {
    await Promise.allSettled([...this.queues.values()]);
  }
}

export function printingRoutes(
  app: FastifyInstance,
  printing: Printing,
  staff: Staff,
  receipt: (orderId: string) => Promise<boolean[] | undefined>,
): void {
  const idParam = { type: 'object', properties: { id: { type: 'string', pattern: ID } } };
  app.get('/apps/api/printers', async () => printing.list());
  app.put(
    '/apps/api/printers/:id',
    {
      schema: {
        params: idParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['host', 'kind', 'target'],
          properties: {
            host: { type: 'string', pattern: '^[A-Za-z0-9.:-]{1,253}$' },
            port: { type: 'integer', minimum: 1, maximum: 65535 },
            kind: { enum: ['kitchen', 'receipt'] },
            target: { type: 'string', pattern: '^(\\*|[A-Za-z0-9_.:-]{1,64})$' },
            width: { type: 'integer', minimum: 24, maximum: 64 },
            auto: { type: 'boolean' },
            by: { type: 'string' },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as Omit<Printer, 'id'> & { by?: string };
      if (!staff.can(b.by, 'admin')) return reply.code(403).send({ error: 'no-right' });
      printing.save({
        id: (req.params as { id: string }).id,
        host: b.host,
        port: b.port ?? 9100,
        kind: b.kind,
        target: b.target,
        width: b.width ?? 42,
        auto: b.auto ?? true,
      });
      return { ok: true };
    },
  );
  app.post('/apps/api/orders/:id/receipt', { schema: { params: idParam } }, async (req, reply) => {
    const r = await receipt((req.params as { id: string }).id);
    if (!r) return reply.code(404).send({ error: 'unknown-order' });
    return { printers: r.length, printed: r.filter(Boolean).length };
  });
}
