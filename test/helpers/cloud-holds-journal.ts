// What a fault test with a cloud checks once the gateway's backlog has drained.
import { protocol } from '@tibillet/firmware';
import type { Gateway } from '@tibillet/gateway';
import { expect } from 'vitest';
import type { CloudHarness } from '../e2e/cloud-harness.js';
import {
  expectLedgerMatchesJournal,
  expectLogVerifies,
  expectSumsZero,
  journalRows,
} from '../faults/fault-kit.js';

/**
 * Each of `answers` (tx id → the result a terminal got) is the result the gateway journaled; the
 * cloud ledger holds that journal exactly once; Σ per asset = 0; the public log verifies.
 */
export async function expectCloudHoldsJournal(
  cloud: CloudHarness,
  gw: Gateway,
  answers: Iterable<[string, protocol.ResultBody]>,
): Promise<void> {
  const rows = journalRows(gw.ctx.journal.db);
  const byTx = new Map(rows.map((r) => [r.tx, r]));
  for (const [tx, a] of answers)
    expect(byTx.get(tx)?.result, tx).toBe(protocol.encodeCanonical(a as unknown as protocol.Json));
  await expectLedgerMatchesJournal(cloud.db, gw.ctx.venueId, rows);
  await expectSumsZero(cloud.db);
  await expectLogVerifies(cloud.url, cloud.apiKeys[0]);
}
