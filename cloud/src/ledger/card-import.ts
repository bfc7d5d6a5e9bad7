// Supplier card batches: CSV lines `printed_number,uid[,type]` (header optional). Cards are
// registered without a wallet; the first tap creates one (cards.ts), so a new card is recognised.
import type { Db } from '../db/connect.js';

export interface ImportResult {
  imported: number;
  alreadyKnown: number;
  errors: { line: number; reason: string }[];
}

const UID = /^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/;
const TYPES = new Set(['iso14443a', 'ntag21x', 'ntag424', 'mifare-classic', 'ultralight']);

export function parseCardCsv(csv: string): {
  rows: { printed: string; uid: string; type: string }[];
  errors: ImportResult['errors'];
} {
  const rows: { printed: string; uid: string; type: string }[] = [];
  const errors: ImportResult['errors'] = [];
  const seen = new Set<string>();
  csv.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || (i === 0 && /printed/i.test(line))) return;
    const [printed, uidRaw, typeRaw] = line.split(/[,;\t]/).map((s) => s.trim());
    const uid = (uidRaw ?? '').replace(/[:\s-]/g, '').toUpperCase();
    const type = (typeRaw || 'iso14443a').toLowerCase();
    if (!printed || printed.length > 32)
      errors.push({ line: i + 1, reason: 'missing or too long printed number' });
    else if (!UID.test(uid)) errors.push({ line: i + 1, reason: `bad UID ${uidRaw ?? ''}` });
    else if (!TYPES.has(type)) errors.push({ line: i + 1, reason: `unknown card type ${type}` });
    else if (seen.has(uid)) errors.push({ line: i + 1, reason: `UID ${uid} repeated in the file` });
    else {
      seen.add(uid);
      rows.push({ printed, uid, type });
    }
  });
  return { rows, errors };
}

/** All-or-nothing: a file with any bad line imports nothing. */
export async function importCardBatch(
  db: Db,
  o: { federationId: string; batch: string; csv: string; masterKey: Buffer },
): Promise<ImportResult> {
  const { rows, errors } = parseCardCsv(o.csv);
  if (errors.length) return { imported: 0, alreadyKnown: 0, errors };
  const r = await db.tx((tx) =>
    tx.query(
      `INSERT INTO cards (uid, federation_id, printed_number, type, batch)
       SELECT u, $1, p, t, $2 FROM unnest($3::text[], $4::text[], $5::text[]) x(u, p, t)
       ON CONFLICT DO NOTHING`,
      [o.federationId, o.batch, rows.map((x) => x.uid), rows.map((x) => x.printed), rows.map((x) => x.type)],
    ),
  );
  return { imported: r.count, alreadyKnown: rows.length - r.count, errors: [] };
}
