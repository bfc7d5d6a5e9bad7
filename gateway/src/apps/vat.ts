/**
 * VAT on tax-inclusive prices. Rates are basis points (2000 = 20 %, 550 = 5.5 %); 0 means the
 * sale bears no VAT (an association under the French "franchise en base" threshold, the default
 * when a venue configures no rate).
 *
 * The tax of a ticket is computed per rate on the ticket's total at that rate, not per line, as
 * French receipts show it: Σ of per-line rounded taxes can differ from the tax of the total by a
 * few cents on long tickets, and the accounting export must match the receipt.
 */
import type { VenueConfig } from '../venue-config.js';

export type VatRate = number;

export interface VatPart {
  /** Tax-inclusive amount at this rate (minor units; negative on a void). */
  ttc: number;
  /** Amount before tax. */
  base: number;
  tax: number;
}

/** Keyed by the rate in basis points, as a string (JSON keys of the fiscal records). */
export type VatBreakdown = Record<string, VatPart>;

/** The tax included in `ttc` at `rate`, rounded half away from zero to the minor unit. */
export function taxIncluded(ttc: number, rate: VatRate): number {
  if (!Number.isSafeInteger(ttc)) throw new RangeError(`amount must be an integer: ${ttc}`);
  if (!Number.isInteger(rate) || rate < 0 || rate > 10_000) throw new RangeError(`bad VAT rate: ${rate}`);
  const t = Math.round((Math.abs(ttc) * rate) / (10_000 + rate));
  return ttc < 0 ? -t : t;
}

/** Per-rate totals of tax-inclusive lines. */
export function vatBreakdown(lines: { total: number; rate: VatRate }[]): VatBreakdown {
  const ttc = new Map<VatRate, number>();
  for (const l of lines) ttc.set(l.rate, (ttc.get(l.rate) ?? 0) + l.total);
  const out: VatBreakdown = {};
  for (const [rate, amount] of [...ttc].sort((a, b) => b[0] - a[0])) {
    const tax = taxIncluded(amount, rate);
    out[String(rate)] = { ttc: amount, base: amount - tax, tax };
  }
  return out;
}

/** Sum of breakdowns (closures roll up their tickets). */
export function addVat(into: VatBreakdown, more: VatBreakdown | undefined): VatBreakdown {
  for (const [rate, p] of Object.entries(more ?? {})) {
    const q = (into[rate] ??= { ttc: 0, base: 0, tax: 0 });
    q.ttc += p.ttc;
    q.base += p.base;
    q.tax += p.tax;
  }
  return into;
}

/** "20 %", "5,5 %" (French decimal comma: receipts and the FEC are French documents). */
export const rateLabel = (rate: VatRate | string): string =>
  `${String(Number(rate) / 100).replace('.', ',')} %`;

/** A product's rate: its own, else the venue's default, else none. */
export function vatRateOf(config: VenueConfig, sku: string): VatRate {
  for (const p of config.pointsOfSale) {
    const product = p.products.find((x) => x.sku === sku);
    if (product) return product.vatRate ?? config.vatRate ?? 0;
  }
  return config.vatRate ?? 0;
}
