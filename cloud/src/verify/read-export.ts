// Reads a log export file for tibillet-verify. Up to WHOLE_FILE_MAX bytes it is parsed whole (any
// JSON layout). A larger one (a federation's years of transfers: more than a JavaScript string or
// the heap can hold) is read line by line in the layout `tibillet-cloud export-log` writes: the
// head (format, keys, checkpoints...) on the first line ending in `"entries":[`, then one entry
// per line, then `]}`. Its entries are streamed to the verifier, never all in memory.
import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { PublicLogEntry } from '../transparency/chain.js';
import type { LogExport, LogHead } from './verify.js';

export const WHOLE_FILE_MAX = 256 * 1024 * 1024;
/** The head line holds every checkpoint: generous, but bounded (a one-line file is not read whole). */
const HEAD_LINE_MAX = 64 * 1024 * 1024;
const ENTRIES_OPEN = '"entries":[';

/** The file cannot be read as an export (a usage error, not a failed verification). */
export class ExportReadError extends Error {}

export interface OpenedExport {
  head: LogHead;
  /** null: the document has no entries array (not an export). */
  entries: PublicLogEntry[] | AsyncIterable<PublicLogEntry> | null;
}

export function openExport(file: string, wholeMax = WHOLE_FILE_MAX): OpenedExport {
  const size = statSync(file).size;
  if (size <= wholeMax) {
    let exp: LogExport;
    try {
      exp = JSON.parse(readFileSync(file, 'utf8')) as LogExport;
    } catch (err) {
      throw new ExportReadError(`not JSON: ${(err as Error).message}`);
    }
    return { head: exp, entries: Array.isArray(exp?.entries) ? exp.entries : null };
  }
  const first = headLine(file);
  if (first === null || !first.text.endsWith(ENTRIES_OPEN))
    throw new ExportReadError(
      `${size} bytes, too large to read as one JSON document, and not in the layout tibillet-cloud exports (one entry per line): export it again with tibillet-cloud export-log`,
    );
  let head: LogHead & { entries?: unknown };
  try {
    head = JSON.parse(`${first.text}]}`);
  } catch (err) {
    throw new ExportReadError(`line 1 (the export's head): ${(err as Error).message}`);
  }
  delete head.entries;
  return { head, entries: entryLines(file, first.bytes) };
}

/**
 * The first line, read in chunks up to HEAD_LINE_MAX, and its length with its newline in bytes;
 * null if there is no newline by then.
 */
function headLine(file: string): { text: string; bytes: number } | null {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let read = 0;
    while (read < HEAD_LINE_MAX) {
      const chunk = Buffer.alloc(1024 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, read);
      if (n === 0) return null;
      const nl = chunk.subarray(0, n).indexOf(10);
      if (nl >= 0) {
        chunks.push(chunk.subarray(0, nl));
        return { text: Buffer.concat(chunks).toString('utf8').replace(/\r$/, ''), bytes: read + nl + 1 };
      }
      chunks.push(chunk.subarray(0, n));
      read += n;
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The entries, from the line after the head (`from`: its byte offset) to the closing `]}`. */
async function* entryLines(file: string, from: number): AsyncGenerator<PublicLogEntry> {
  const lines = createInterface({
    input: createReadStream(file, { start: from }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let n = 1; // the head's line
  let closed = false;
  // The entries' commas, as JSON has them: after every entry but the last. The file stays one JSON
  // document, read whole by any other tool, so this reader accepts no more than JSON.parse would.
  let previous: { line: number; comma: boolean } | null = null;
  try {
    for await (const raw of lines) {
      n++;
      const line = raw.trim();
      if (line === '') continue;
      if (closed) throw new ExportReadError(`line ${n}: text after the end of the export`);
      if (line === ']}') {
        if (previous?.comma)
          throw new ExportReadError(`line ${previous.line}: a comma after the last entry (not JSON)`);
        closed = true;
        continue;
      }
      if (previous && !previous.comma)
        throw new ExportReadError(
          `line ${previous.line}: no comma between this entry and the next (not JSON)`,
        );
      const comma = line.endsWith(',');
      let entry: PublicLogEntry;
      try {
        entry = JSON.parse(comma ? line.slice(0, -1) : line);
      } catch (err) {
        throw new ExportReadError(`line ${n}: not a log entry (${(err as Error).message})`);
      }
      previous = { line: n, comma };
      yield entry;
    }
  } finally {
    lines.close();
  }
  if (!closed)
    throw new ExportReadError(`the export ends at line ${n} without its closing "]}" (truncated file)`);
}
