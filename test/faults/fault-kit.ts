// Shared pieces of the fault-injection tests: seeded randomness (the seed is in the test name and
// in every failure message; FAULT_SEED=1,2,3 replays given seeds), polling, and the checks run
// after each fault: the gateway journal against the cloud ledger (nothing approved lost, nothing
// twice, by idempotency key), Σ per asset = 0, and tibillet-verify's core on the downloaded log.

import { type Db, downloadLog, logClient, verifyExport } from '@tibillet/cloud';
import type Database from 'better-sqlite3';
import { expect } from 'vitest';

/** `n` seeds: FAULT_SEED (comma-separated) when given, random ones otherwise. */
export function seeds(n: number): number[] {
  const given = process.env.FAULT_SEED?.split(',')
    .map((s) => Number(s.trim()))
    .filter((s) => Number.isInteger(s));
  if (given?.length) return given;
  return Array.from({ length: n }, () => Math.floor(Math.random() * 2 ** 31));
}

/** mulberry32: a small seeded PRNG in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs a seeded scenario; a failure names the seed and how to replay it. */
export async function withSeed<T>(seed: number, fn: (random: () => number) => Promise<T>): Promise<T> {
  try {
    return await fn(rng(seed));
  } catch (e) {
    const err = e as Error;
    err.message = `[seed ${seed}; replay with FAULT_SEED=${seed}] ${err.message}`;
    console.error(`fault test failed with seed ${seed} (replay: FAULT_SEED=${seed})`);
    throw err;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(
  what: string,
  pred: () => boolean | Promise<boolean>,
  ms = 10_000,
  detail: () => unknown = () => '',
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await sleep(25);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what} ${JSON.stringify(detail())}`);
}

export interface JournalRow {
  tx: string;
  device: string;
  card: string;
  type: string;
  legs: { asset: string; amount: number }[];
  result: string;
  sync: number;
}

/** Every record of a gateway journal (an open better-sqlite3 handle). */
export function journalRows(db: Database.Database): JournalRow[] {
  return (
    db.prepare('SELECT tx, device, card, type, legs, result, sync FROM tx ORDER BY seq').all() as (Omit<
      JournalRow,
      'legs'
    > & { legs: string })[]
  ).map((r) => ({ ...r, legs: JSON.parse(r.legs) }));
}

/**
 * The cloud ledger holds every money-moving record of the journal exactly once and nothing else:
 * per operation (= terminal tx id) and asset, the transfers add up to the journaled leg; no
 * idempotency key twice; every record acknowledged by the cloud (sync = 1), none refused.
 */
export async function expectLedgerMatchesJournal(db: Db, venueId: string, rows: JournalRow[]): Promise<void> {
  const money = rows.filter((r) => r.type === 'spend' || r.type === 'topup' || r.type === 'void');
  expect(
    money.filter((r) => r.sync !== 1).map((r) => `${r.tx}:${r.sync}`),
    'journal records not acknowledged by the cloud',
  ).toEqual([]);
  const keys = await db.query<{ n: string; d: string }>(
    'SELECT count(*)::text n, count(DISTINCT idempotency_key)::text d FROM transfers',
  );
  expect(keys.rows[0].n, 'a transfer idempotency key appears twice').toBe(keys.rows[0].d);
  const got = await db.query<{ op: string; asset: string; s: string }>(
    'SELECT operation_id op, asset, sum(amount)::text s FROM transfers WHERE venue_id = $1 GROUP BY operation_id, asset',
    [venueId],
  );
  const cloud = new Map(got.rows.map((r) => [`${r.op}|${r.asset}`, Number(r.s)]));
  const expected = new Map<string, number>();
  for (const r of money) for (const l of r.legs) expected.set(`${r.tx}|${l.asset}`, l.amount);
  const missing = [...expected]
    .filter(([k, v]) => cloud.get(k) !== v)
    .map(([k, v]) => `${k}=${v}≠${cloud.get(k)}`);
  const extra = [...cloud.keys()].filter((k) => !expected.has(k));
  expect(missing, 'approved transactions missing or wrong in the cloud').toEqual([]);
  expect(extra, 'cloud transfers no journaled transaction explains').toEqual([]);
  const ops = await db.query<{ c: string }>('SELECT count(*)::text c FROM operations WHERE venue_id = $1', [
    venueId,
  ]);
  expect(Number(ops.rows[0].c)).toBe(money.length);
}

export async function expectSumsZero(db: Db): Promise<void> {
  const r = await db.query<{ asset: string; s: string }>(
    'SELECT asset, sum(balance)::text s FROM accounts GROUP BY asset',
  );
  for (const x of r.rows) expect(Number(x.s), `Σ ${x.asset}`).toBe(0);
}

/** Signs a checkpoint, downloads the whole log over HTTP and runs tibillet-verify's core on it. */
export async function expectLogVerifies(cloudUrl: string, apiKey: string): Promise<number> {
  const signed = await fetch(`${cloudUrl}/v1/log/checkpoints`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}` },
  });
  expect(signed.status, await signed.clone().text()).toBeLessThan(300);
  const client = logClient(cloudUrl);
  const exp = await downloadLog(client);
  const report = await verifyExport(exp, {
    consistencyProof: async (first, second) =>
      (await client.get<{ proof: string[] }>(`/v1/log/proof/consistency?first=${first}&second=${second}`))
        .proof,
  });
  expect(report.issues, 'tibillet-verify issues').toEqual([]);
  expect(report.ok).toBe(true);
  for (const [asset, s] of Object.entries(report.sums)) expect(s, `log Σ ${asset}`).toBe(0);
  expect(report.latest?.treeSize).toBe(exp.entries.length);
  return exp.entries.length;
}
