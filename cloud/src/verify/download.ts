// Downloads a log from a cloud over HTTP into the export shape (checkpoints first, then metadata,
// then every entry up to the larger of the log size and the latest checkpoint).

import type { PublicLogEntry } from '../transparency/chain.js';
import type { SignedCheckpoint } from '../transparency/checkpoint.js';
import { EXPORT_FORMAT, type LogExport, type LogHead } from './verify.js';

export class HttpError extends Error {}

export interface LogClient {
  base: string;
  token?: string;
  get<T>(path: string): Promise<T>;
}

export function logClient(base: string, token?: string): LogClient {
  const root = base.replace(/\/+$/, '');
  return {
    base: root,
    token,
    async get<T>(path: string): Promise<T> {
      let r: Response;
      try {
        r = await fetch(`${root}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      } catch (err) {
        throw new HttpError(`cannot reach ${root}${path}: ${(err as Error).message}`);
      }
      const text = await r.text();
      if (!r.ok) throw new HttpError(`GET ${path} → HTTP ${r.status}: ${text.slice(0, 300)}`);
      return JSON.parse(text) as T;
    },
  };
}

/**
 * The log's head (checkpoints first, then metadata) and its entries as pages are downloaded: the
 * verifier reads them one by one, so a log of any length is checked in bounded memory.
 */
export async function openLog(
  c: LogClient,
  onProgress?: (done: number, total: number) => void,
): Promise<{ head: LogHead; entries: AsyncGenerator<PublicLogEntry> }> {
  const checkpoints: SignedCheckpoint[] = [];
  for (let from = 0; ; ) {
    const page = (
      await c.get<{ checkpoints: SignedCheckpoint[] }>(`/v1/log/checkpoints?from=${from}&limit=1000`)
    ).checkpoints;
    checkpoints.push(...page);
    if (page.length < 1000) break;
    from = page[page.length - 1].treeSize + 1;
  }
  const meta = await c.get<Omit<LogHead, 'format' | 'checkpoints'>>('/v1/log/meta');
  const size = Math.max(meta.size, checkpoints.at(-1)?.treeSize ?? 0);
  async function* entries(): AsyncGenerator<PublicLogEntry> {
    let done = 0;
    for (let start = 0; start < size; start += 1000) {
      const end = Math.min(size, start + 1000);
      const page = (await c.get<{ entries: PublicLogEntry[] }>(`/v1/log/entries?start=${start}&end=${end}`))
        .entries;
      yield* page;
      done += page.length;
      onProgress?.(done, size);
      if (page.length < end - start) break;
    }
  }
  return { head: { format: EXPORT_FORMAT, ...meta, size, checkpoints }, entries: entries() };
}

/** The whole log in the export shape (in memory: for logs that fit; tibillet-verify streams). */
export async function downloadLog(
  c: LogClient,
  onProgress?: (done: number, total: number) => void,
): Promise<LogExport> {
  const { head, entries } = await openLog(c, onProgress);
  const all: PublicLogEntry[] = [];
  for await (const e of entries) all.push(e);
  return { ...head, entries: all };
}
