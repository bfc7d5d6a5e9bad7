/**
 * `batch`: the same steps (flash, provision, selftest) on several boards, in parallel or one
 * after another, with per-board progress, a summary, and a state file so a re-run skips what
 * already succeeded.
 */
import type { Bundle } from './bundles.js';
import type { RegistryOptions } from './cloud.js';
import { errorCode, errorMessage } from './errors.js';
import { flashBoard } from './flash.js';
import { type ProvisionInput, provisionBoard } from './provision.js';
import type { BoardKind, BoardRepl } from './repl/board.js';
import { selftestBoard } from './selftest.js';
import { BatchState } from './state.js';
import { formatTable } from './table.js';

export type BatchStep = 'flash' | 'provision' | 'selftest';
export const BATCH_STEPS: readonly BatchStep[] = ['flash', 'provision', 'selftest'];

export interface BatchJob {
  path: string;
  deviceId?: string;
}

export interface BatchProgress {
  start(path: string): void;
  /** fraction in 0..1 of the job, with the step running. */
  update(path: string, fraction: number, step: string): void;
  finish(path: string, ok: boolean): void;
  stop(): void;
}

export interface BatchOptions {
  jobs: BatchJob[];
  steps: BatchStep[];
  /** Boards worked on at the same time (1: one after another). */
  concurrency: number;
  open: (path: string) => Promise<BoardRepl>;
  bundleFor: (kind: BoardKind) => Bundle;
  provision?: Omit<ProvisionInput, 'deviceId'> & { registry?: RegistryOptions };
  statePath?: string;
  progress?: BatchProgress;
  /** Skip the upload when the board already has the bundle (read-back sums). Default true. */
  skipUnchanged?: boolean;
}

export type StepStatus = 'done' | 'resumed' | 'unchanged' | 'failed' | 'not-run';

export interface BatchItem {
  path: string;
  deviceId?: string;
  board?: string;
  ok: boolean;
  steps: Partial<Record<BatchStep, StepStatus>>;
  checksum?: string;
  selftest?: 'PASS' | 'FAIL';
  error?: string;
  code?: string;
  ms: number;
}

export interface BatchSummary {
  ok: number;
  failed: number;
  ms: number;
  items: BatchItem[];
}

const WEIGHT: Record<BatchStep, number> = { flash: 0.8, provision: 0.1, selftest: 0.1 };

async function runJob(job: BatchJob, o: BatchOptions, state: BatchState): Promise<BatchItem> {
  const t0 = performance.now();
  const key = job.deviceId ?? job.path;
  const item: BatchItem = { path: job.path, ok: false, steps: {}, ms: 0 };
  if (job.deviceId) item.deviceId = job.deviceId;
  const total = o.steps.reduce((s, x) => s + WEIGHT[x], 0);
  let base = 0;
  const progress = (step: BatchStep, f: number) =>
    o.progress?.update(job.path, (base + WEIGHT[step] * f) / total, step);
  o.progress?.start(job.path);
  let board: BoardRepl | undefined;
  let current: BatchStep | undefined;
  try {
    board = await o.open(job.path);
    item.board = board.kind;
    for (const step of o.steps) {
      current = step;
      progress(step, 0);
      if (state.done(key, step) && step !== 'selftest') {
        item.steps[step] = 'resumed';
      } else if (step === 'flash') {
        const bundle = o.bundleFor(board.kind);
        const r = await flashBoard(board, bundle.data, {
          bootCode: bundle.boot,
          files: bundle.files,
          onProgress: (d, t) => progress(step, d / t),
          skipUnchanged: o.skipUnchanged !== false,
        });
        item.checksum = r.checksum;
        item.steps.flash = r.unchanged ? 'unchanged' : 'done';
      } else if (step === 'provision') {
        if (!o.provision || !job.deviceId)
          throw new Error(
            'provision needs --venue, --wifi-ssid, --mqtt and device ids (--ids or --id-prefix)',
          );
        await provisionBoard(
          board,
          { ...o.provision, deviceId: job.deviceId },
          { registry: o.provision.registry, firmware: o.bundleFor(board.kind).firmware },
        );
        item.steps.provision = 'done';
      } else {
        const r = await selftestBoard(board);
        item.selftest = r.pass ? 'PASS' : 'FAIL';
        item.steps.selftest = r.pass ? 'done' : 'failed';
        if (!r.pass)
          throw new Error(
            `self-test failed: ${r.rows
              .filter((x) => !x.ok)
              .map((x) => `${x.check} (${x.detail})`)
              .join(', ')}`,
          );
      }
      state.mark(key, job.path, step, board.kind);
      base += WEIGHT[step];
      current = undefined;
    }
    item.ok = true;
  } catch (e) {
    if (current && !item.steps[current]) item.steps[current] = 'failed';
    item.error = errorMessage(e);
    item.code = errorCode(e);
  } finally {
    await board?.close().catch(() => undefined);
    for (const s of o.steps) item.steps[s] ??= 'not-run';
    item.ms = Math.round(performance.now() - t0);
    o.progress?.finish(job.path, item.ok);
  }
  return item;
}

export async function runBatch(o: BatchOptions): Promise<BatchSummary> {
  const t0 = performance.now();
  const state = new BatchState(o.statePath);
  const items: BatchItem[] = new Array(o.jobs.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= o.jobs.length) return;
      items[i] = await runJob(o.jobs[i], o, state);
    }
  };
  const n = Math.max(1, Math.min(o.concurrency, o.jobs.length));
  try {
    await Promise.all(Array.from({ length: n }, worker));
  } finally {
    o.progress?.stop();
  }
  const ok = items.filter((x) => x.ok).length;
  return { ok, failed: items.length - ok, ms: Math.round(performance.now() - t0), items };
}

/** Device ids for n boards: an explicit list, or prefix + zero-padded number. */
export function deviceIds(
  n: number,
  o: { ids?: string[]; prefix?: string; start?: number },
): (string | undefined)[] {
  if (o.ids && o.ids.length > 0) {
    if (o.ids.length < n) throw new Error(`${n} boards but only ${o.ids.length} device ids`);
    return o.ids.slice(0, n);
  }
  if (o.prefix !== undefined) {
    const start = o.start ?? 1;
    const width = Math.max(3, String(start + n - 1).length);
    return Array.from({ length: n }, (_, i) => `${o.prefix}${String(start + i).padStart(width, '0')}`);
  }
  return Array.from({ length: n }, () => undefined);
}

export function formatSummary(s: BatchSummary, steps: BatchStep[]): string {
  const rows = s.items.map((x) => [
    x.path,
    x.deviceId ?? '',
    x.board ?? '?',
    ...steps.map((st) => x.steps[st] ?? ''),
    x.ok ? 'OK' : 'FAILED',
    `${(x.ms / 1000).toFixed(1)}s`,
    x.error ?? '',
  ]);
  const table = formatTable(['port', 'device', 'board', ...steps, 'result', 'time', 'error'], rows);
  return `${table}\n${s.ok} ok, ${s.failed} failed in ${(s.ms / 1000).toFixed(1)} s`;
}
