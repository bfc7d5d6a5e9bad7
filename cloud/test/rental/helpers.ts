// Rental test fixture: the ledger fixture plus sessions for a federation admin, a venue admin of
// each venue and an auditor, and helpers to build a kit with devices.
import { randomBytes } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { expect } from 'vitest';
import { createUser, type Db } from '../../src/index.js';
import { auth, type Fixture, fixture } from '../helpers/fixture.js';

export interface RentalFixture extends Fixture {
  admin: string;
  barAdmin: string;
  cafeAdmin: string;
  auditor: string;
  /** Login e-mails (password: PASSWORD). */
  emails: { admin: string; barAdmin: string };
  db: Db;
}

export const PASSWORD = 'correct horse battery';

export async function rentalFixture(db: Db): Promise<RentalFixture> {
  const f = await fixture(db);
  const s = randomBytes(3).toString('hex');
  const login = async (
    email: string,
    role: 'federation_admin' | 'venue_admin' | 'auditor',
    venueId?: string,
  ) => {
    await createUser(db, { email, password: PASSWORD, role, federationId: f.fed, venueId });
    const r = await f.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email, password: PASSWORD },
    });
    expect(r.statusCode).toBe(200);
    return r.json().token as string;
  };
  const emails = { admin: `admin-${s}@example.org`, barAdmin: `bar-${s}@example.org` };
  const [admin, barAdmin, cafeAdmin, auditor] = await Promise.all([
    login(emails.admin, 'federation_admin'),
    login(emails.barAdmin, 'venue_admin', f.bar),
    login(`cafe-${s}@example.org`, 'venue_admin', f.cafe),
    login(`audit-${s}@example.org`, 'auditor'),
  ]);
  return { ...f, admin, barAdmin, cafeAdmin, auditor, emails, db };
}

let serial = 0;

/** A kit with `n` ESP32 terminals; returns its id and the device ids. */
export async function makeKit(
  f: RentalFixture,
  opts: { n?: number; pricePerDay?: number; deposit?: number; name?: string; description?: string } = {},
): Promise<{ kitId: string; devices: string[] }> {
  const kitId = `kit-${randomBytes(4).toString('hex')}`;
  const r = await f.app.inject({
    method: 'POST',
    url: '/v1/rental/kits',
    headers: auth(f.admin),
    payload: {
      kitId,
      name: opts.name ?? `Weekend box ${kitId}`,
      description: opts.description ?? '',
      pricePerDay: opts.pricePerDay ?? 2500,
      deposit: opts.deposit ?? 30000,
    },
  });
  expect(r.statusCode, r.body).toBe(201);
  const devices: string[] = [];
  for (let i = 0; i < (opts.n ?? 2); i++) {
    const deviceId = `${kitId}-t${i}`;
    const d = await f.app.inject({
      method: 'POST',
      url: '/v1/fleet/devices',
      headers: auth(f.admin),
      payload: {
        deviceId,
        board: 'esp32-devkitc',
        serial: `SN-${Date.now().toString(36)}-${serial++}`,
        firmwareVersion: '1.4.0',
        kitId,
      },
    });
    expect(d.statusCode, d.body).toBe(201);
    devices.push(deviceId);
  }
  return { kitId, devices };
}

/** A future date range: `offset` days from a base far enough ahead that "today" never interferes. */
export const day = (offset: number): string =>
  new Date(Date.UTC(2031, 5, 1) + offset * 86_400_000).toISOString().slice(0, 10);

export async function book(
  f: RentalFixture,
  kitId: string,
  from: string,
  to: string,
  token = f.barAdmin,
  venueId = f.bar,
  headers: Record<string, string> = {},
) {
  return f.app.inject({
    method: 'POST',
    url: '/v1/rental/bookings',
    headers: { ...auth(token), ...headers },
    payload: { kitId, venueId, from, to },
  });
}

/**
 * Minimal PDF reader for tests: checks the file structure (header, startxref pointing at the xref
 * table, every object offset in it pointing at "n 0 obj", trailer, %%EOF), inflates the content
 * streams and returns the text of the TJ/Tj operators, one fragment per line.
 */
export function parsePdf(pdf: Buffer): { version: string; pages: number; text: string; info: string } {
  const s = pdf.toString('latin1');
  const version = /^%PDF-(\d\.\d)/.exec(s)?.[1];
  if (!version) throw new Error('no %PDF header');
  if (!/%%EOF\s*$/.test(s)) throw new Error('no %%EOF trailer');
  const startxref = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(s)?.[1]);
  if (!(startxref > 0) || s.slice(startxref, startxref + 4) !== 'xref')
    throw new Error('startxref does not point at the xref table');
  const xref = /^xref\s+(\d+) (\d+)\s+/.exec(s.slice(startxref));
  if (!xref) throw new Error('bad xref');
  const count = Number(xref[2]);
  const entries = s
    .slice(startxref + xref[0].length)
    .split(/\r?\n/)
    .slice(0, count);
  entries.forEach((e, i) => {
    const m = /^(\d{10}) (\d{5}) ([nf])/.exec(e.trim().padEnd(18));
    if (!m) throw new Error(`bad xref entry ${i}: ${e}`);
    if (m[3] === 'n' && !s.startsWith(`${i} 0 obj`, Number(m[1])))
      throw new Error(`xref entry ${i} does not point at object ${i}`);
  });
  if (!/trailer\s*<<[\s\S]*\/Root \d+ 0 R/.test(s)) throw new Error('no trailer with /Root');
  const texts: string[] = [];
  const decodeHex = (h: string) => Buffer.from(h.replace(/\s/g, ''), 'hex').toString('latin1');
  const decodeLiteral = (l: string) =>
    l.replace(/\\([nrtbf()\\]|\d{1,3})/g, (_m, c: string) =>
      /\d/.test(c) ? String.fromCharCode(Number.parseInt(c, 8)) : c === 'n' ? '\n' : c,
    );
  let at = 0;
  for (;;) {
    const i = s.indexOf('stream', at);
    if (i < 0) break;
    if (s.startsWith('endstream', i - 3)) {
      at = i + 6;
      continue;
    }
    const start = i + 6 + (s[i + 6] === '\r' ? 2 : 1);
    const end = s.indexOf('endstream', start);
    const dict = s.slice(s.lastIndexOf('<<', i), i);
    let data = pdf.subarray(start, end);
    if (/\/FlateDecode/.test(dict)) data = inflateSync(data);
    const content = data.toString('latin1');
    for (const m of content.matchAll(
      /\[((?:<[0-9a-fA-F\s]*>|\((?:\\.|[^\\)])*\)|[-\d.\s])*)\]\s*TJ|<([0-9a-fA-F\s]*)>\s*Tj|\(((?:\\.|[^\\)])*)\)\s*Tj/g,
    )) {
      if (m[1] !== undefined) {
        texts.push(
          [...m[1].matchAll(/<([0-9a-fA-F\s]*)>|\(((?:\\.|[^\\)])*)\)/g)]
            .map((p) => (p[1] !== undefined ? decodeHex(p[1]) : decodeLiteral(p[2])))
            .join(''),
        );
      } else if (m[2] !== undefined) texts.push(decodeHex(m[2]));
      else texts.push(decodeLiteral(m[3]));
    }
    at = end + 9;
  }
  const pages = (s.match(/\/Type \/Page\b/g) ?? []).length;
  const info = /\/Title\s*(\([^)]*\)|<[^>]*>)/.exec(s)?.[1] ?? '';
  return { version, pages, text: texts.join('\n'), info };
}
