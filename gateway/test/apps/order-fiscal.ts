// The inalterable fiscal records of one order, as tests check them.
import type { TicketData } from '../../src/apps/fiscal.js';
import type { Rig } from './apps-helpers.js';

/** The order's line records (in chain order) and its ticket record, each with its kind. */
export function orderFiscal(r: Rig, orderId: string) {
  const recs = (
    r.gw.ctx.journal.db
      .prepare("SELECT kind, data FROM app_fiscal WHERE ref = ? AND kind IN ('line', 'ticket') ORDER BY seq")
      .all(orderId) as { kind: string; data: string }[]
  ).map((x) => ({ kind: x.kind, ...JSON.parse(x.data) }));
  return {
    lines: recs.filter((x) => x.kind === 'line'),
    ticket: recs.find((x) => x.kind === 'ticket') as TicketData & { kind: string },
  };
}
