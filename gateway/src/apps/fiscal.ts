/**
 * Inalterable sales records (the French rules for cash-register software: inalterability,
 * security, conservation, archiving).
 *
 * - Every sale line, every ticket and every void is a record chained to the previous one by
 *   HMAC-SHA256 under a per-venue secret key (`fiscal-hmac.key` in the gateway data dir): a
 *   record altered, removed or inserted breaks the chain at that exact record.
 * - Tickets carry the perpetual grand total; daily closures sum a day's tickets, monthly and
 *   yearly closures roll up the closures below them. Closures are records of the chain too.
 * - A closed period can be exported as an archive signed with Ed25519 (`fiscal-ed25519.pem`);
 *   `verifyArchive()` checks the signature, the chain links, the MACs (with the secret) and the
 *   closure totals; `fiscalCli()` is the `verify` command of the gateway CLI.
 * - `fec()` writes the French accounting export (fichier des écritures comptables, 18 columns).
 *
 * Records are only ever appended (no UPDATE or DELETE of app_fiscal anywhere).
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import type { OrderView } from './pos.js';
import type { Staff } from './staff.js';
import { addVat, rateLabel, type VatBreakdown, type VatRate, vatBreakdown } from './vat.js';

export const GENESIS = '0'.repeat(64);
export const HMAC_FILE = 'fiscal-hmac.key';
export const SIGNING_FILE = 'fiscal-ed25519.pem';
export const ARCHIVE_FORMAT = 'tibillet-fiscal-archive/1';

export type RecordKind = 'line' | 'ticket' | 'void-line' | 'void' | 'closure';
export type ClosureKind = 'day' | 'month' | 'year';

export interface FiscalRecord {
  seq: number;
  at: number;
  kind: RecordKind;
  ref: string;
  data: string;
  prev: string;
  mac: string;
}

export interface TicketData {
  order: string;
  pos: string;
  cashier: string;
  total: number;
  lines: number;
  payments: Record<string, number>;
  gt: number;
  reason?: string;
  by?: string;
  /** Per VAT rate (absent on records written before VAT was recorded). */
  vat?: VatBreakdown;
  /** What the paying card's promotions took off the lines (already out of `total`). */
  discount?: number;
}

export interface ClosureData {
  kind: ClosureKind;
  period: string;
  from: number;
  to: number;
  tickets: number;
  voids: number;
  total: number;
  byMethod: Record<string, number>;
  gt: number;
  closures?: string[];
  vat?: VatBreakdown;
}

export interface Archive {
  format: string;
  venue: string;
  kind: ClosureKind;
  period: string;
  createdAt: number;
  prevMac: string;
  records: FiscalRecord[];
  publicKey: string;
  signature?: string;
}

export interface VerifyResult {
  ok: boolean;
  count: number;
  /** The first record found wrong, with why. */
  badSeq?: number;
  error?: string;
  errors: { seq: number; error: string }[];
}

export function macOf(key: Buffer, r: Omit<FiscalRecord, 'mac'>): string {
  return createHmac('sha256', key)
    .update(`${r.seq}\n${r.at}\n${r.kind}\n${r.ref}\n${r.prev}\n${r.data}`)
    .digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** Checks a run of records: contiguous seqs, each `prev` the previous MAC, each MAC (with the key). */
export function verifyChain(records: FiscalRecord[], o: { key?: Buffer; prev?: string } = {}): VerifyResult {
  const errors: { seq: number; error: string }[] = [];
  let prev = o.prev ?? GENESIS;
  let seq = records[0]?.seq ?? 1;
  if (o.prev === undefined && records.length > 0 && records[0].seq !== 1)
    errors.push({ seq: 1, error: 'missing-records' });
  for (const r of records) {
    if (r.seq !== seq) errors.push({ seq, error: 'missing-records' });
    if (r.prev !== prev) errors.push({ seq: r.seq, error: 'broken-link' });
    if (o.key && !sameHex(r.mac, macOf(o.key, r))) errors.push({ seq: r.seq, error: 'bad-mac' });
    prev = r.mac;
    seq = r.seq + 1;
  }
  errors.sort((a, b) => a.seq - b.seq);
  return {
    ok: errors.length === 0,
    count: records.length,
    badSeq: errors[0]?.seq,
    error: errors[0]?.error,
    errors,
  };
}

/** Signature, trusted key, chain and closure totals of an archive. */
export function verifyArchive(a: Archive, o: { key?: Buffer; publicKey?: string } = {}): VerifyResult {
  const errors: { seq: number; error: string }[] = [];
  if (a.format !== ARCHIVE_FORMAT) errors.push({ seq: 0, error: 'unknown-format' });
  const { signature, ...body } = a;
  let sigOk = false;
  try {
    sigOk =
      !!signature &&
      verify(
        null,
        Buffer.from(JSON.stringify(body)),
        createPublicKey(a.publicKey),
        Buffer.from(signature, 'base64'),
      );
  } catch {
    sigOk = false;
  }
  if (!sigOk) errors.push({ seq: 0, error: 'bad-signature' });
  if (o.publicKey && normPem(o.publicKey) !== normPem(a.publicKey))
    errors.push({ seq: 0, error: 'untrusted-key' });
  const chain = verifyChain(a.records, { key: o.key, prev: a.prevMac });
  errors.push(...chain.errors);
  const closure = a.records.at(-1);
  if (closure?.kind !== 'closure' || closure.ref !== `${a.kind}:${a.period}`)
    errors.push({ seq: closure?.seq ?? 0, error: 'no-closure' });
  else {
    const c = JSON.parse(closure.data) as ClosureData;
    if (a.kind === 'day') {
      const sum = sumTickets(a.records.filter((r) => r.seq >= c.from && r.seq <= c.to));
      if (
        sum.total !== c.total ||
        sum.tickets !== c.tickets ||
        sum.voids !== c.voids ||
        (c.vat && !sameVat(sum.vat, c.vat))
      )
        errors.push({ seq: closure.seq, error: 'closure-total-mismatch' });
    } else {
      const subs = a.records.filter((r) => r.kind === 'closure' && c.closures?.includes(r.ref));
      const total = subs.reduce((s, r) => s + (JSON.parse(r.data) as ClosureData).total, 0);
      if (subs.length !== (c.closures?.length ?? 0) || total !== c.total)
        errors.push({ seq: closure.seq, error: 'closure-total-mismatch' });
    }
  }
  errors.sort((x, y) => x.seq - y.seq);
  return {
    ok: errors.length === 0,
    count: a.records.length,
    badSeq: errors[0]?.seq,
    error: errors[0]?.error,
    errors,
  };
}

const normPem = (p: string) => p.replace(/\s+/g, '');

const sameVat = (a: VatBreakdown, b: VatBreakdown) => {
  const keys = Object.keys(a).filter((k) => a[k].ttc !== 0 || a[k].tax !== 0);
  const other = Object.keys(b).filter((k) => b[k].ttc !== 0 || b[k].tax !== 0);
  return (
    keys.length === other.length &&
    keys.every((k) => b[k] && a[k].ttc === b[k].ttc && a[k].base === b[k].base && a[k].tax === b[k].tax)
  );
};

function sumTickets(records: FiscalRecord[]) {
  const out = {
    tickets: 0,
    voids: 0,
    total: 0,
    byMethod: {} as Record<string, number>,
    vat: {} as VatBreakdown,
  };
  for (const r of records) {
    if (r.kind !== 'ticket' && r.kind !== 'void') continue;
    const d = JSON.parse(r.data) as TicketData;
    if (r.kind === 'ticket') out.tickets++;
    else out.voids++;
    out.total += d.total;
    for (const [m, v] of Object.entries(d.payments)) out.byMethod[m] = (out.byMethod[m] ?? 0) + v;
    addVat(out.vat, d.vat);
  }
  return out;
}

/** Local-time bounds of a day ("2025-07-14"), month ("2025-07") or year ("2025"). */
export function periodBounds(kind: ClosureKind, period: string): [number, number] {
  const [y, m, d] = period.split('-').map(Number);
  if (kind === 'day') return [new Date(y, m - 1, d).getTime(), new Date(y, m - 1, d + 1).getTime()];
  if (kind === 'month') return [new Date(y, m - 1, 1).getTime(), new Date(y, m, 1).getTime()];
  return [new Date(y, 0, 1).getTime(), new Date(y + 1, 0, 1).getTime()];
}

const PERIOD: Record<ClosureKind, RegExp> = {
  day: /^\d{4}-\d{2}-\d{2}$/,
  month: /^\d{4}-\d{2}$/,
  year: /^\d{4}$/,
};

export const dayOf = (at: number) => {
  const d = new Date(at);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

/** The venue's keys, created on first use (0600 files in the data dir). */
export function fiscalKeys(
  dataDir: string,
  create = true,
): { hmac?: Buffer; signing?: KeyObject; publicKey?: string } {
  const hf = join(dataDir, HMAC_FILE);
  const sf = join(dataDir, SIGNING_FILE);
  if (create && !existsSync(hf)) {
    try {
      writeFileSync(hf, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    } catch {}
  }
  if (create && !existsSync(sf)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    try {
      writeFileSync(sf, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    } catch {}
  }
  const hmac = existsSync(hf) ? Buffer.from(readFileSync(hf, 'utf8').trim(), 'hex') : undefined;
  const signing = existsSync(sf) ? createPrivateKey(readFileSync(sf, 'utf8')) : undefined;
  const publicKey = signing
    ? (createPublicKey(signing).export({ type: 'spki', format: 'pem' }) as string)
    : undefined;
  return { hmac, signing, publicKey };
}

export class Fiscal {
  private readonly key: Buffer;
  private readonly signing: KeyObject;
  readonly publicKey: string;

  constructor(
    private readonly db: Database.Database,
    dataDir: string,
    private readonly venue: string,
    /** The VAT rate of a product at the moment of sale (the taxable event). */
    private readonly rateOf: (sku: string) => VatRate = () => 0,
  ) {
    const k = fiscalKeys(dataDir);
    if (!k.hmac || !k.signing || !k.publicKey) throw new Error('fiscal keys unavailable');
    this.key = k.hmac;
    this.signing = k.signing;
    this.publicKey = k.publicKey;
  }

  private last(): { seq: number; mac: string } {
    return (
      (this.db.prepare('SELECT seq, mac FROM app_fiscal ORDER BY seq DESC LIMIT 1').get() as
        | { seq: number; mac: string }
        | undefined) ?? { seq: 0, mac: GENESIS }
    );
  }

  /** Appends one record (callers group several in a transaction). */
  append(kind: RecordKind, ref: string, data: object, at = Date.now()): FiscalRecord {
    const last = this.last();
    const r = { seq: last.seq + 1, at, kind, ref, data: JSON.stringify(data), prev: last.mac };
    const rec: FiscalRecord = { ...r, mac: macOf(this.key, r) };
    this.db
      .prepare('INSERT INTO app_fiscal (seq, at, kind, ref, data, prev, mac) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(rec.seq, rec.at, rec.kind, rec.ref, rec.data, rec.prev, rec.mac);
    return rec;
  }

  private gt(): number {
    const r = this.db
      .prepare("SELECT data FROM app_fiscal WHERE kind IN ('ticket','void') ORDER BY seq DESC LIMIT 1")
      .get() as { data: string } | undefined;
    return r ? (JSON.parse(r.data) as TicketData).gt : 0;
  }

  private byMethod(o: OrderView, status: 'approved' | 'voided', sign: 1 | -1): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of o.payments)
      if (p.status === status) out[p.method] = (out[p.method] ?? 0) + sign * p.amount;
    return out;
  }

  /** A paid order: its lines, then its ticket (with the perpetual grand total). Once per order. */
  recordSale(o: OrderView): void {
    this.db.transaction(() => {
      if (this.db.prepare("SELECT 1 FROM app_fiscal WHERE kind = 'ticket' AND ref = ?").get(o.id)) return;
      const at = o.paidAt ?? Date.now();
      const rated = o.lines.map((l) => ({ total: l.qty * l.price, rate: this.rateOf(l.sku) }));
      o.lines.forEach((l, n) => {
        this.append(
          'line',
          o.id,
          {
            order: o.id,
            n,
            sku: l.sku,
            label: l.label,
            qty: l.qty,
            unit: l.price,
            total: rated[n].total,
            vat: rated[n].rate,
            // a promotion sells the line at `unit`: the price it had and the rule are kept beside it
            ...(l.list !== undefined && {
              list: l.list,
              discount: (l.list - l.price) * l.qty,
              promo: l.promo,
            }),
          },
          at,
        );
      });
      const discount = o.lines.reduce(
        (s, l) => s + (l.list === undefined ? 0 : (l.list - l.price) * l.qty),
        0,
      );
      const t: TicketData = {
        order: o.id,
        pos: o.pos,
        cashier: o.cashier,
        total: o.total,
        lines: o.lines.length,
        payments: this.byMethod(o, 'approved', 1),
        gt: this.gt() + o.total,
        vat: vatBreakdown(rated),
      };
      if (discount > 0) t.discount = discount;
      this.append('ticket', o.id, t, at);
    })();
  }

  /** A paid order voided: negative lines and a negative ticket; the original records stay. */
  recordVoid(o: OrderView, reason: string, by: string): void {
    this.db.transaction(() => {
      if (!this.db.prepare("SELECT 1 FROM app_fiscal WHERE kind = 'ticket' AND ref = ?").get(o.id)) return;
      if (this.db.prepare("SELECT 1 FROM app_fiscal WHERE kind = 'void' AND ref = ?").get(o.id)) return;
      const at = Date.now();
      // a void reverses the rates the sale was recorded with, whatever the menu says today
      const sold = this.db
        .prepare("SELECT data FROM app_fiscal WHERE kind = 'line' AND ref = ? ORDER BY seq")
        .all(o.id) as { data: string }[];
      const rates = sold.map((r) => (JSON.parse(r.data) as { vat?: number }).vat ?? 0);
      const rated = o.lines.map((l, n) => ({
        total: -l.qty * l.price,
        rate: rates[n] ?? this.rateOf(l.sku),
      }));
      o.lines.forEach((l, n) => {
        this.append(
          'void-line',
          o.id,
          {
            order: o.id,
            n,
            sku: l.sku,
            label: l.label,
            qty: -l.qty,
            unit: l.price,
            total: rated[n].total,
            vat: rated[n].rate,
          },
          at,
        );
      });
      const t: TicketData = {
        order: o.id,
        pos: o.pos,
        cashier: o.cashier,
        total: -o.total,
        lines: o.lines.length,
        payments: this.byMethod(o, 'voided', -1),
        gt: this.gt() - o.total,
        reason,
        by,
        vat: vatBreakdown(rated),
      };
      this.append('void', o.id, t, at);
    })();
  }

  records(from = 1, to = Number.MAX_SAFE_INTEGER): FiscalRecord[] {
    return this.db
      .prepare(
        'SELECT seq, at, kind, ref, data, prev, mac FROM app_fiscal WHERE seq >= ? AND seq <= ? ORDER BY seq',
      )
      .all(from, to) as FiscalRecord[];
  }

  verify(): VerifyResult {
    return verifyChain(this.records(), { key: this.key });
  }

  closure(kind: ClosureKind, period: string): FiscalRecord | undefined {
    return this.db
      .prepare(
        "SELECT seq, at, kind, ref, data, prev, mac FROM app_fiscal WHERE kind = 'closure' AND ref = ?",
      )
      .get(`${kind}:${period}`) as FiscalRecord | undefined;
  }

  closures(): (ClosureData & { seq: number; at: number })[] {
    return (
      this.db.prepare("SELECT seq, at, data FROM app_fiscal WHERE kind = 'closure' ORDER BY seq").all() as {
        seq: number;
        at: number;
        data: string;
      }[]
    ).map((r) => ({ ...(JSON.parse(r.data) as ClosureData), seq: r.seq, at: r.at }));
  }

  /**
   * Closes a period. A day sums its tickets and voids; a month its days (closing the days
   * with sales left open first), a year its months. Closing a period twice is refused.
   */
  close(
    kind: ClosureKind,
    period: string,
  ): { ok: true; record: FiscalRecord; data: ClosureData } | { ok: false; error: string } {
    if (!PERIOD[kind]?.test(period)) return { ok: false, error: 'bad-period' };
    if (this.closure(kind, period)) return { ok: false, error: 'already-closed' };
    const [start, end] = periodBounds(kind, period);
    return this.db.transaction(() => {
      let data: ClosureData;
      if (kind === 'day') {
        const recs = this.db
          .prepare(
            "SELECT seq, at, kind, ref, data, prev, mac FROM app_fiscal WHERE at >= ? AND at < ? AND kind != 'closure' ORDER BY seq",
          )
          .all(start, end) as FiscalRecord[];
        const sum = sumTickets(recs);
        const last = this.last();
        data = {
          kind,
          period,
          from: recs[0]?.seq ?? last.seq + 1,
          to: recs.at(-1)?.seq ?? last.seq,
          ...sum,
          gt: this.gt(),
        };
      } else {
        const sub: ClosureKind = kind === 'month' ? 'day' : 'month';
        // the sub-periods with records and no closure yet are closed first
        const at = this.db
          .prepare("SELECT DISTINCT at FROM app_fiscal WHERE at >= ? AND at < ? AND kind != 'closure'")
          .all(start, end) as { at: number }[];
        const subs = new Set(at.map((r) => (sub === 'day' ? dayOf(r.at) : dayOf(r.at).slice(0, 7))));
        for (const p of [...subs].sort()) if (!this.closure(sub, p)) this.close(sub, p);
        const rows = this.closures().filter((c) => c.kind === sub && c.period.startsWith(period));
        const byMethod: Record<string, number> = {};
        const vat: VatBreakdown = {};
        for (const c of rows) {
          for (const [m, v] of Object.entries(c.byMethod)) byMethod[m] = (byMethod[m] ?? 0) + v;
          addVat(vat, c.vat);
        }
        const last = this.last();
        data = {
          kind,
          period,
          from: rows.length ? Math.min(...rows.map((c) => c.from)) : last.seq + 1,
          to: last.seq,
          tickets: rows.reduce((s, c) => s + c.tickets, 0),
          voids: rows.reduce((s, c) => s + c.voids, 0),
          total: rows.reduce((s, c) => s + c.total, 0),
          byMethod,
          gt: this.gt(),
          closures: rows.map((c) => `${sub}:${c.period}`),
          vat,
        };
      }
      const record = this.append('closure', `${kind}:${period}`, data);
      this.db
        .prepare('INSERT INTO app_fiscal_closures (kind, period, seq) VALUES (?, ?, ?)')
        .run(kind, period, record.seq);
      return { ok: true as const, record, data };
    })();
  }

  /** The records of a closed period, up to and including its closure, signed with Ed25519. */
  archive(kind: ClosureKind, period: string): Archive | undefined {
    const c = this.closure(kind, period);
    if (!c) return undefined;
    const d = JSON.parse(c.data) as ClosureData;
    const records = this.records(Math.min(d.from, c.seq), c.seq);
    const body: Archive = {
      format: ARCHIVE_FORMAT,
      venue: this.venue,
      kind,
      period,
      createdAt: Date.now(),
      prevMac: records[0]?.prev ?? GENESIS,
      records,
      publicKey: this.publicKey,
    };
    return {
      ...body,
      signature: sign(null, Buffer.from(JSON.stringify(body)), this.signing).toString('base64'),
    };
  }

  /** The FEC (18 tab-separated columns) of the tickets and voids of [from, to] (days). */
  fec(from: string, to: string): string {
    return fecOf(this.records(), from, to, (day) => !!this.closure('day', day));
  }
}

const ACCOUNTS: Record<string, [string, string]> = {
  cash: ['530000', 'Caisse'],
  bankcard: ['511500', 'Cartes bancaires à encaisser'],
  card: ['419100', 'Avances clients cashless'],
  // the same cashless wallet, reached through the wallet QR or the POS's own NFC
  qr: ['419100', 'Avances clients cashless'],
  nfc: ['419100', 'Avances clients cashless'],
};
const SALES: [string, string] = ['707000', 'Ventes de marchandises'];
// one sub-account per rate, so the VAT return reads straight off the ledger
const salesAccount = (rate: string): [string, string] => [
  `707${rate.padStart(5, '0')}`,
  `Ventes de marchandises TVA ${rateLabel(rate)}`,
];
const vatAccount = (rate: string): [string, string] => [
  `4457${rate.padStart(4, '0')}`,
  `TVA collectée ${rateLabel(rate)}`,
];

export const FEC_COLUMNS = [
  'JournalCode',
  'JournalLib',
  'EcritureNum',
  'EcritureDate',
  'CompteNum',
  'CompteLib',
  'CompAuxNum',
  'CompAuxLib',
  'PieceRef',
  'PieceDate',
  'EcritureLib',
  'Debit',
  'Credit',
  'EcritureLet',
  'DateLet',
  'ValidDate',
  'Montantdevise',
  'Idevise',
] as const;

const fecAmount = (n: number) =>
  `${Math.floor(Math.abs(n) / 100)},${String(Math.abs(n) % 100).padStart(2, '0')}`;
const fecText = (s: string) => s.replace(/[\t\r\n|]/g, ' ');

export function fecOf(
  records: FiscalRecord[],
  from: string,
  to: string,
  closed: (day: string) => boolean,
): string {
  const [start] = periodBounds('day', from);
  const [, end] = periodBounds('day', to);
  const rows: string[][] = [];
  for (const r of records) {
    if ((r.kind !== 'ticket' && r.kind !== 'void') || r.at < start || r.at >= end) continue;
    const d = JSON.parse(r.data) as TicketData;
    const day = dayOf(r.at).replaceAll('-', '');
    const num = `VE${String(r.seq).padStart(8, '0')}`;
    const lib = fecText(`${r.kind === 'void' ? 'Annulation' : 'Vente'} ${d.pos} ${d.order}`);
    const valid = closed(dayOf(r.at)) ? day : '';
    const row = (acc: [string, string], debit: number, credit: number) =>
      rows.push([
        'VE',
        'Ventes',
        num,
        day,
        acc[0],
        acc[1],
        '',
        '',
        fecText(d.order),
        day,
        lib,
        fecAmount(debit),
        fecAmount(credit),
        '',
        '',
        valid,
        '',
        '',
      ]);
    // a sale debits what paid it and credits sales; a void the reverse
    for (const [m, v] of Object.entries(d.payments)) {
      const acc = ACCOUNTS[m] ?? ['471000', `Attente ${m}`];
      if (v >= 0) row(acc, v, 0);
      else row(acc, 0, -v);
    }
    // sales before tax per rate, and the VAT collected per rate (44571…), when the ticket has rates
    const parts = d.vat ? Object.entries(d.vat) : [['0', { ttc: d.total, base: d.total, tax: 0 }] as const];
    for (const [rate, p] of parts) {
      const sales = Number(rate) > 0 ? salesAccount(rate) : SALES;
      if (p.base >= 0) row(sales, 0, p.base);
      else row(sales, -p.base, 0);
      if (p.tax > 0) row(vatAccount(rate), 0, p.tax);
      else if (p.tax < 0) row(vatAccount(rate), -p.tax, 0);
    }
  }
  return `${[FEC_COLUMNS.join('\t'), ...rows.map((x) => x.join('\t'))].join('\r\n')}\r\n`;
}

export function fiscalRoutes(app: FastifyInstance, fiscal: Fiscal, staff: Staff): void {
  app.get('/apps/api/fiscal/verify', async () => fiscal.verify());
  app.get('/apps/api/fiscal/closures', async () => fiscal.closures());
  app.get('/apps/api/fiscal/public-key', async (_req, reply) =>
    reply.type('text/plain').send(fiscal.publicKey),
  );
  app.post(
    '/apps/api/fiscal/closures',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'period'],
          properties: {
            kind: { enum: ['day', 'month', 'year'] },
            period: { type: 'string', pattern: '^\\d{4}(-\\d{2}(-\\d{2})?)?$' },
            by: { type: 'string', maxLength: 64 },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { kind: ClosureKind; period: string; by?: string };
      if (!staff.can(b.by, 'close')) return reply.code(403).send({ error: 'no-right' });
      const r = fiscal.close(b.kind, b.period);
      if (!r.ok) return reply.code(r.error === 'already-closed' ? 409 : 400).send({ error: r.error });
      return { seq: r.record.seq, mac: r.record.mac, ...r.data };
    },
  );
  app.get(
    '/apps/api/fiscal/archives/:kind/:period',
    {
      schema: {
        params: {
          type: 'object',
          properties: {
            kind: { enum: ['day', 'month', 'year'] },
            period: { type: 'string', pattern: '^[0-9-]{4,10}$' },
          },
        },
      },
    },
    async (req, reply) => {
      const p = req.params as { kind: ClosureKind; period: string };
      const a = fiscal.archive(p.kind, p.period);
      if (!a) return reply.code(404).send({ error: 'not-closed' });
      return reply
        .header('content-disposition', `attachment; filename="fiscal-${p.kind}-${p.period}.json"`)
        .send(a);
    },
  );
  app.get(
    '/apps/api/fiscal/fec',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['from', 'to'],
          properties: {
            from: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
            to: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
          },
        },
      },
    },
    async (req, reply) => {
      const q = req.query as { from: string; to: string };
      return reply
        .type('text/tab-separated-values; charset=utf-8')
        .header('content-disposition', `attachment; filename="FEC${q.to.replaceAll('-', '')}.txt"`)
        .send(fiscal.fec(q.from, q.to));
    },
  );
}

/**
 * The gateway CLI's fiscal subcommand (to be wired by the CLI's owner):
 *   verify <archive.json> [--pubkey file]   signature, trusted key, chain, MACs (key in the data dir), totals
 *   verify-db                               the whole chain in the data dir's journal.sqlite
 *   archive <day|month|year> <period>       prints the signed archive of a closed period
 *   fec <from> <to>                         prints the FEC of [from, to]
 * Returns the exit code (0 = verified).
 */
export async function fiscalCli(
  argv: string[],
  o: { dataDir: string; venue?: string; out?: (s: string) => void },
): Promise<number> {
  const out = o.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  const [cmd, ...rest] = argv;
  const keys = fiscalKeys(o.dataDir, false);
  const openDb = () =>
    new Database(join(o.dataDir, 'journal.sqlite'), { readonly: true, fileMustExist: true });
  if (cmd === 'verify') {
    const file = rest.find((x) => !x.startsWith('--'));
    if (!file) {
      out('usage: verify <archive.json> [--pubkey file.pem]');
      return 2;
    }
    const pi = rest.indexOf('--pubkey');
    const publicKey = pi >= 0 ? readFileSync(rest[pi + 1], 'utf8') : keys.publicKey;
    const a = JSON.parse(readFileSync(file, 'utf8')) as Archive;
    const r = verifyArchive(a, { key: keys.hmac, publicKey });
    if (!publicKey) r.errors.push({ seq: 0, error: 'no-trusted-key' });
    out(
      r.ok && publicKey
        ? `OK ${a.kind} ${a.period}: ${r.count} records, signature and chain verified${keys.hmac ? ' (MACs checked)' : ''}`
        : `FAILED ${a.kind} ${a.period}: ${r.errors.map((e) => `record ${e.seq}: ${e.error}`).join('; ')}`,
    );
    return r.ok && publicKey ? 0 : 1;
  }
  if (cmd === 'verify-db') {
    if (!keys.hmac) {
      out('FAILED: no fiscal key in the data dir');
      return 1;
    }
    const db = openDb();
    try {
      const recs = db
        .prepare('SELECT seq, at, kind, ref, data, prev, mac FROM app_fiscal ORDER BY seq')
        .all() as FiscalRecord[];
      const r = verifyChain(recs, { key: keys.hmac });
      out(
        r.ok
          ? `OK: ${r.count} records`
          : `FAILED: ${r.errors.map((e) => `record ${e.seq}: ${e.error}`).join('; ')}`,
      );
      return r.ok ? 0 : 1;
    } finally {
      db.close();
    }
  }
  if (cmd === 'archive' || cmd === 'fec') {
    const db = new Database(join(o.dataDir, 'journal.sqlite'), { fileMustExist: true });
    try {
      const f = new Fiscal(db, o.dataDir, o.venue ?? 'venue');
      if (cmd === 'fec') {
        out(f.fec(rest[0], rest[1] ?? rest[0]));
        return 0;
      }
      const a = f.archive(rest[0] as ClosureKind, rest[1]);
      if (!a) {
        out(`not closed: ${rest[0]} ${rest[1]}`);
        return 1;
      }
      out(JSON.stringify(a));
      return 0;
    } finally {
      db.close();
    }
  }
  out(
    'usage: fiscal verify <archive.json> | verify-db | archive <day|month|year> <period> | fec <from> <to>',
  );
  return 2;
}
