// flash.batch20Seconds: `tibillet-flash batch` on 20 simulated boards (flash + provision + selftest).
import { benchBatch } from './batch.js';

export async function run(): Promise<Record<string, number>> {
  const r = await benchBatch(20, true);
  if (r.ok !== r.boards) throw new Error(`${r.boards - r.ok} boards failed in the batch`);
  return { 'flash.batch20Seconds': r.seconds };
}
