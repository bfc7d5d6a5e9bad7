#!/usr/bin/env node
// tibillet-verify: checks a TiBillet transparency log, downloaded from a cloud (--url) or read
// from an export file (--file; GET /v1/log/export or `tibillet-cloud export-log`).
// Exit codes: 0 verified, 1 verification failed, 2 usage / network / file error.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { CLOUD_VERSION } from '../version.js';
import { HttpError, logClient, openLog } from './download.js';
import { ExportReadError, type OpenedExport, openExport } from './read-export.js';
import { type VerifyReport, verifyLog } from './verify.js';

interface Opts {
  url?: string;
  file?: string;
  card?: string;
  cardAccounts?: string;
  token?: string;
  logKey?: string;
  state?: string;
  json?: boolean;
  quiet?: boolean;
}

class UsageError extends Error {}

const program = new Command('tibillet-verify')
  .version(CLOUD_VERSION)
  .description(
    'Verify a TiBillet transparency log: hash chain, Merkle roots, signatures, Σ = 0, no negative balances',
  )
  .option('--url <base>', 'cloud base URL to download the log from')
  .option('--file <path>', 'log export file (JSON, tibillet-log-export/v1)')
  .option('--card <uid>', "print this card's history with verified inclusion proofs")
  .option(
    '--card-accounts <ids>',
    'comma-separated account ids of --card (when the export does not map the card)',
  )
  .option('--token <token>', 'bearer token (needed to look up --card over HTTP)', process.env.TIBILLET_TOKEN)
  .option('--log-key <hex>', "pin the log's Ed25519 public key")
  .option('--state <file>', 'remember the last verified checkpoint here; later runs check the log extends it')
  .option('--json', 'print the report as JSON')
  .option('--quiet', 'print only failures');

function printReport(r: VerifyReport, o: Opts): void {
  if (o.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const out = (s: string) => {
    if (!o.quiet) process.stdout.write(`${s}\n`);
  };
  out(
    `entries: ${r.entries}, checkpoints: ${r.checkpoints}, witness cosignatures: ${r.cosignatures}, accounts: ${r.accounts}`,
  );
  if (r.latest)
    out(
      `latest checkpoint: size ${r.latest.treeSize}, root ${r.latest.rootHash}, ${new Date(r.latest.timestamp).toISOString()}`,
    );
  out(
    `Σ per asset: ${
      Object.entries(r.sums)
        .map(([a, s]) => `${a}=${s}`)
        .join(' ') || '(no transfers)'
    }`,
  );
  for (const w of r.warnings) out(`warning: ${w}`);
  if (r.card) {
    out(`card ${r.card.uid} (accounts ${r.card.accounts.join(', ') || 'none'}):`);
    for (const l of r.card.lines)
      out(
        `  #${l.seq} ${new Date(l.at).toISOString()} ${l.kind.padEnd(12)} ${l.asset.padEnd(14)} ${(l.amount > 0 ? '+' : '') + l.amount} → ${l.balance}  proof ${l.proof}`,
      );
    out(
      `  balances: ${
        Object.entries(r.card.balances)
          .map(([a, b]) => `${a}=${b}`)
          .join(' ') || '(none)'
      }`,
    );
  }
  for (const i of r.issues)
    process.stderr.write(`FAIL [${i.check}]${i.seq !== undefined ? ` seq ${i.seq}` : ''}: ${i.message}\n`);
  if (r.ok) out('OK: log verified');
  else
    process.stderr.write(
      `log verification FAILED (${r.issues.length} issue${r.issues.length > 1 ? 's' : ''})\n`,
    );
}

/** Entries passed through, with a progress line on a terminal for large logs. */
function withProgress(entries: OpenedExport['entries'], total: number, o: Opts): OpenedExport['entries'] {
  if (entries === null || !process.stderr.isTTY || o.json || o.quiet || !(total > 200_000)) return entries;
  const source = entries;
  return (async function* () {
    let n = 0;
    for await (const e of source) {
      yield e;
      if (++n % 100_000 === 0)
        process.stderr.write(
          `\rverifying: ${n.toLocaleString('en')} / ${total.toLocaleString('en')} entries`,
        );
    }
    process.stderr.write('\r\x1b[K');
  })();
}

async function main(o: Opts): Promise<number> {
  if (!!o.url === !!o.file) throw new UsageError('give exactly one of --url or --file');
  if (o.logKey && !/^[0-9a-fA-F]{64}$/.test(o.logKey))
    throw new UsageError('--log-key must be 64 hex digits');
  const client = o.url ? logClient(o.url, o.token) : null;
  let opened: OpenedExport;
  if (client) opened = await openLog(client);
  else {
    try {
      opened = openExport(o.file!);
    } catch (err) {
      throw new UsageError(`cannot read ${o.file}: ${(err as Error).message}`);
    }
  }
  const exp = opened.head;
  let card: { uid: string; accounts: string[] } | undefined;
  if (o.card) {
    const uid = o.card.toUpperCase();
    let accounts =
      o.cardAccounts
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean) ?? exp.cards?.[uid];
    if (!accounts && client)
      accounts = (await client.get<{ accounts: string[] }>(`/v1/log/cards/${encodeURIComponent(uid)}`))
        .accounts;
    if (!accounts)
      throw new UsageError(`no account ids for card ${uid}: pass --card-accounts or export with --card`);
    card = { uid, accounts };
  }
  let trusted: { treeSize: number; rootHash: string } | undefined;
  if (o.state && existsSync(o.state))
    trusted = JSON.parse(readFileSync(o.state, 'utf8')) as { treeSize: number; rootHash: string };
  const report = await verifyLog(exp, withProgress(opened.entries, exp.size, o), {
    logKey: o.logKey,
    trusted,
    card,
    ...(client
      ? {
          inclusionProof: async (index, treeSize) =>
            (
              await client.get<{ proof: string[] }>(
                `/v1/log/proof/inclusion?index=${index}&treeSize=${treeSize}`,
              )
            ).proof,
          consistencyProof: async (first, second) =>
            (
              await client.get<{ proof: string[] }>(
                `/v1/log/proof/consistency?first=${first}&second=${second}`,
              )
            ).proof,
        }
      : {}),
  });
  printReport(report, o);
  if (report.ok && o.state && report.latest)
    writeFileSync(
      o.state,
      `${JSON.stringify({ treeSize: report.latest.treeSize, rootHash: report.latest.rootHash })}\n`,
    );
  return report.ok ? 0 : 1;
}

program.action(async (o: Opts) => {
  try {
    process.exitCode = await main(o);
  } catch (err) {
    if (err instanceof UsageError || err instanceof HttpError || err instanceof ExportReadError) {
      process.stderr.write(
        `tibillet-verify: ${err instanceof ExportReadError ? `cannot read ${o.file}: ` : ''}${err.message}\n`,
      );
      process.exitCode = 2;
    } else throw err;
  }
});

await program.parseAsync();
