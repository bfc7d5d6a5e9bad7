/**
 * `selftest`: asks the firmware's maintenance mode (`tbSelftest(cb)` on Espruino, `tbselftest(cb)`
 * on NodeMCU) to check its peripherals, and turns its report into a pass/fail table with hints.
 * The report is `{ <check>: { ok: boolean, detail?: string } }`.
 */
import { FlashError } from './errors.js';
import type { BoardRepl } from './repl/board.js';
import { formatTable } from './table.js';

export const CHECKS = ['pn532', 'card', 'display', 'buzzer', 'led', 'wifi', 'mqtt'] as const;

const LABELS: Record<string, string> = {
  pn532: 'PN532 firmware',
  card: 'card read',
  display: 'display',
  buzzer: 'buzzer',
  led: 'LED',
  wifi: 'Wi-Fi',
  mqtt: 'MQTT',
};

const HINTS: Record<string, string> = {
  pn532: 'no PN532 answer: check the DIP switches are on HSU (both OFF) and TX/RX are crossed',
  card: 'no card read: hold a card flat on the reader during the test',
  display: 'check the OLED wiring (SDA/SCL) and its I2C address (0x3C)',
  buzzer: 'check the buzzer pin and polarity',
  led: 'check the LED pin and resistor',
  wifi: 'check the SSID/password given to provision and the signal',
  mqtt: 'check the MQTT URL and that the device is registered (tibillet-flash register)',
};

export interface SelftestRow {
  check: string;
  ok: boolean;
  detail: string;
}

export interface SelftestResult {
  path: string;
  pass: boolean;
  rows: SelftestRow[];
}

export function parseReport(path: string, report: unknown): SelftestResult {
  if (typeof report !== 'object' || report === null)
    throw new FlashError('bad-reply', `${path}: self-test report is not an object`);
  const r = report as Record<string, { ok?: unknown; detail?: unknown } | undefined>;
  const names = [...CHECKS, ...Object.keys(r).filter((k) => !(CHECKS as readonly string[]).includes(k))];
  const rows: SelftestRow[] = names.map((name) => {
    const c = r[name];
    if (!c) return { check: name, ok: false, detail: 'not reported by the firmware' };
    const ok = c.ok === true;
    const detail = typeof c.detail === 'string' ? c.detail : '';
    return { check: name, ok, detail: ok ? detail : [detail, HINTS[name]].filter(Boolean).join(': ') };
  });
  return { path, pass: rows.every((x) => x.ok), rows };
}

export async function selftestBoard(board: BoardRepl, timeoutMs = 15_000): Promise<SelftestResult> {
  return parseReport(board.path, await board.selftest(timeoutMs));
}

export function formatSelftest(r: SelftestResult): string {
  const table = formatTable(
    ['check', 'result', 'detail'],
    r.rows.map((x) => [LABELS[x.check] ?? x.check, x.ok ? 'PASS' : 'FAIL', x.detail]),
  );
  return `${r.path}\n${table}\n${r.pass ? 'PASS' : 'FAIL'}: ${r.rows.filter((x) => x.ok).length}/${r.rows.length} checks passed`;
}
