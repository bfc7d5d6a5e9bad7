#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
// tibillet-cloud: start the federation cloud (PGlite on disk by default, PostgreSQL with
// --database-url / DATABASE_URL), or bootstrap a federation with its first admin.
import { createWriteStream, mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { createFederation, createGateway, createUser, createVenue } from './admin/setup.js';
import { createCloud, DEFAULT_LOG_ORIGIN } from './app.js';
import { openDb } from './db/connect.js';
import { migrate } from './db/migrate.js';
import { runDormancy } from './dormancy/job.js';
import { sendOutbox, smtpTransport, startOutboxSender } from './dormancy/outbox.js';
import { queueMembershipReminders } from './memberships/reminders.js';
import { StripeCheckout } from './payments/stripe.js';
import { purgePersonalData, startRetentionPurge } from './retention/purge.js';
import { cardAccounts, exportLog } from './transparency/log-routes.js';
import { CheckpointService, TransparencyLog } from './transparency/log-store.js';
import { parseMasterKey } from './util/secrets.js';
import { CLOUD_VERSION } from './version.js';

interface DbOpts {
  dataDir: string;
  databaseUrl?: string;
  schema?: string;
}

const program = new Command('tibillet-cloud').version(CLOUD_VERSION);
const dbOptions = (c: Command) =>
  c
    .option('--data-dir <dir>', 'PGlite data directory', './data/cloud')
    .option(
      '--database-url <url>',
      'PostgreSQL URL (default: env DATABASE_URL; PGlite when absent)',
      process.env.DATABASE_URL,
    )
    .option('--schema <name>', 'PostgreSQL schema (search_path)', process.env.DB_SCHEMA);

async function open(o: DbOpts) {
  if (!o.databaseUrl) mkdirSync(o.dataDir, { recursive: true });
  const db = await openDb({
    databaseUrl: o.databaseUrl,
    dataDir: o.databaseUrl ? undefined : o.dataDir,
    schema: o.schema,
  });
  await migrate(db);
  return db;
}

dbOptions(program.command('start').description('serve the cloud API'))
  .option('--port <port>', 'HTTP port', '8080')
  .option('--host <host>', 'listen address', '127.0.0.1')
  .option(
    '--master-key <hex>',
    'AES-256 master key for secrets at rest (env TIBILLET_MASTER_KEY)',
    process.env.TIBILLET_MASTER_KEY,
  )
  .option(
    '--checkpoint-interval <ms>',
    'sign a transparency log checkpoint every this many ms (0 = on demand only)',
    '60000',
  )
  .option(
    '--log-origin <origin>',
    'origin line of signed checkpoints (set when the log key is created)',
    DEFAULT_LOG_ORIGIN,
  )
  .option(
    '--public-url <url>',
    'public base URL put in emailed login/invitation links (env TIBILLET_PUBLIC_URL)',
    process.env.TIBILLET_PUBLIC_URL,
  )
  .option(
    '--smtp <url>',
    'SMTP URL, e.g. smtp://user:pass@mail.example:587 (env SMTP_URL): the email outbox is sent while the cloud runs; without it mails stay queued',
    process.env.SMTP_URL,
  )
  .option(
    '--from <address>',
    'sender address (env MAIL_FROM)',
    process.env.MAIL_FROM ?? 'cooperative@localhost',
  )
  .option('--mail-interval <ms>', 'how often the email outbox is sent', '5000')
  .option(
    '--purge-interval <ms>',
    'how often personal data past retention is deleted: unconfirmed artist sign-ups and dead verification links, sent emails, expired sessions, used or expired holder links (0 = never; then cron purge)',
    '3600000',
  )
  .action(
    async (
      o: DbOpts & {
        port: string;
        host: string;
        masterKey?: string;
        checkpointInterval: string;
        logOrigin: string;
        publicUrl?: string;
        smtp?: string;
        from: string;
        mailInterval: string;
        purgeInterval: string;
      },
    ) => {
      const db = await open(o);
      const masterKey = parseMasterKey(o.masterKey);
      const cloud = await createCloud({
        db,
        masterKey,
        logger: { level: process.env.LOG_LEVEL ?? 'info' },
        checkpointIntervalMs: Number(o.checkpointInterval),
        logOrigin: o.logOrigin,
        publicUrl: o.publicUrl,
        // Online top-up through Stripe Checkout when its keys are configured.
        payments:
          process.env.STRIPE_SECRET_KEY && process.env.STRIPE_WEBHOOK_SECRET
            ? new StripeCheckout({
                apiKey: process.env.STRIPE_SECRET_KEY,
                webhookSecret: process.env.STRIPE_WEBHOOK_SECRET,
                baseUrl: process.env.STRIPE_API_BASE,
              })
            : undefined,
      });
      const address = await cloud.app.listen({ port: Number(o.port), host: o.host });
      // The first stdout line tells supervisors (and tests) where we listen.
      process.stdout.write(`listening ${address}\n`);
      const transport = o.smtp ? smtpTransport(o.smtp) : undefined;
      const mail = transport
        ? startOutboxSender(db, transport, {
            from: o.from,
            intervalMs: Number(o.mailInterval),
            log: (line, data) => cloud.app.log.info(data ?? {}, line),
          })
        : undefined;
      if (!mail)
        cloud.app.log.warn('no --smtp: emails (login links, verifications) stay queued in the outbox');
      const purge =
        Number(o.purgeInterval) > 0
          ? startRetentionPurge(db, {
              intervalMs: Number(o.purgeInterval),
              log: (line, data) => cloud.app.log.info(data ?? {}, line),
            })
          : undefined;
      const stop = async () => {
        await mail?.stop();
        await purge?.stop();
        transport?.close();
        await cloud.close();
        await db.close();
        process.exit(0);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
  );

dbOptions(
  program
    .command('bootstrap')
    .description('create a federation, a venue, its gateway key and a federation admin'),
)
  .requiredOption('--federation <id>')
  .requiredOption('--venue <id>')
  .requiredOption('--admin-email <email>')
  .requiredOption('--admin-password <password>')
  .action(
    async (o: DbOpts & { federation: string; venue: string; adminEmail: string; adminPassword: string }) => {
      const db = await open(o);
      await createFederation(db, { id: o.federation, name: o.federation });
      await createVenue(db, { id: o.venue, federationId: o.federation, name: o.venue });
      const gw = await createGateway(db, o.venue);
      await createUser(db, {
        email: o.adminEmail,
        password: o.adminPassword,
        role: 'federation_admin',
        federationId: o.federation,
      });
      process.stdout.write(
        `${JSON.stringify({ federation: o.federation, venue: o.venue, gatewayApiKey: gw.apiKey })}\n`,
      );
      await db.close();
    },
  );

dbOptions(
  program
    .command('export-log')
    .description('write the transparency log (checkpoints, keys, entries) as a tibillet-verify export'),
)
  .requiredOption('--out <file>', 'output file (- for stdout)')
  .option(
    '--master-key <hex>',
    'master key (unseals the log key to sign a fresh checkpoint)',
    process.env.TIBILLET_MASTER_KEY,
  )
  .option('--federation <id>', 'federation of the --card UIDs')
  .option('--card <uid...>', 'include these cards\u2019 pseudonymous account ids')
  .option('--no-checkpoint', 'do not sign a checkpoint of the current tree first')
  .action(
    async (
      o: DbOpts & {
        out: string;
        masterKey?: string;
        federation?: string;
        card?: string[];
        checkpoint: boolean;
      },
    ) => {
      const db = await open(o);
      const service = new CheckpointService(db, new TransparencyLog(db), {
        masterKey: parseMasterKey(o.masterKey),
        origin: DEFAULT_LOG_ORIGIN,
      });
      if (o.checkpoint) await service.signNow();
      let cards: Record<string, string[]> | undefined;
      if (o.card?.length) {
        if (!o.federation) throw new Error('--card needs --federation');
        cards = {};
        for (const uid of o.card)
          cards[uid.toUpperCase()] = (await cardAccounts(db, o.federation, uid.toUpperCase())) ?? [];
      }
      const src = Readable.from(exportLog(db, service, { cards }));
      if (o.out === '-') await pipeline(src, process.stdout, { end: false });
      else await pipeline(src, createWriteStream(o.out));
      await db.close();
    },
  );

dbOptions(
  program
    .command('dormancy')
    .description(
      'run the dormant-wallet job once (reminders, reclaims), then send the email outbox (cron it daily)',
    ),
)
  .option(
    '--smtp <url>',
    'SMTP URL, e.g. smtp://user:pass@mail.example:587 (env SMTP_URL); without it mails stay queued',
    process.env.SMTP_URL,
  )
  .option(
    '--from <address>',
    'sender address (env MAIL_FROM)',
    process.env.MAIL_FROM ?? 'cooperative@localhost',
  )
  .action(async (o: DbOpts & { smtp?: string; from: string }) => {
    const db = await open(o);
    const run = await runDormancy(db, Date.now());
    process.stdout.write(
      `${JSON.stringify({ reminders: run.reminders, reclaims: run.reclaims.length, skippedNoContact: run.skippedNoContact })}\n`,
    );
    if (o.smtp) {
      const transport = smtpTransport(o.smtp);
      process.stdout.write(`${JSON.stringify(await sendOutbox(db, transport, { from: o.from }))}\n`);
      transport.close();
    }
    await db.close();
  });

dbOptions(
  program
    .command('purge')
    .alias('purge-signups')
    .description(
      'delete once the personal data past retention: artist sign-ups never confirmed and verification links used or expired more than 7 days ago, emails sent (or given up) more than 30 days ago, sessions expired more than 7 days ago, holder login and invitation links used or expired more than 7 days ago (start does it hourly); prints the counts',
    ),
).action(async (o: DbOpts) => {
  const db = await open(o);
  process.stdout.write(`${JSON.stringify(await purgePersonalData(db, Date.now()))}\n`);
  await db.close();
});

dbOptions(
  program
    .command('membership-reminders')
    .description('queue the due membership renewal reminders, then send the email outbox (cron it daily)'),
)
  .option(
    '--public-url <url>',
    'public base URL of the renewal link (env TIBILLET_PUBLIC_URL)',
    process.env.TIBILLET_PUBLIC_URL,
  )
  .option('--smtp <url>', 'SMTP URL (env SMTP_URL); without it mails stay queued', process.env.SMTP_URL)
  .option(
    '--from <address>',
    'sender address (env MAIL_FROM)',
    process.env.MAIL_FROM ?? 'cooperative@localhost',
  )
  .action(async (o: DbOpts & { publicUrl?: string; smtp?: string; from: string }) => {
    if (!o.publicUrl)
      throw new Error('--public-url (or TIBILLET_PUBLIC_URL) is required: reminders link to it');
    const db = await open(o);
    process.stdout.write(`${JSON.stringify(await queueMembershipReminders(db, { baseUrl: o.publicUrl }))}\n`);
    if (o.smtp) {
      const transport = smtpTransport(o.smtp);
      process.stdout.write(`${JSON.stringify(await sendOutbox(db, transport, { from: o.from }))}\n`);
      transport.close();
    }
    await db.close();
  });

program.command('gen-master-key').action(() => {
  process.stdout.write(`${randomBytes(32).toString('hex')}\n`);
});

await program.parseAsync();
