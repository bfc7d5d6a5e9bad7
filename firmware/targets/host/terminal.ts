#!/usr/bin/env node
/**
 * tibillet-terminal: runs a terminal on this computer, with a USB PN532, a USB ACR122U (PC/SC) or the simulator.
 * In simulator mode, type a card UID (hex) and Enter to tap it; `next`, `ok`, `back` press buttons.
 */
import { createInterface } from 'node:readline';
import { ntag424, protocol } from '@tibillet/firmware';
import { Command, InvalidArgumentError } from 'commander';
import { nodeCrypto, nodeMac } from './crypto.js';
import { createHostTerminal } from './host-terminal.js';

const id = (v: string) => {
  if (!protocol.isId(v, 32)) throw new InvalidArgumentError('1..32 characters of A-Z a-z 0-9 _ -');
  return v;
};
const key = (v: string) => {
  if (!/^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{64}$/.test(v)) throw new InvalidArgumentError('16 or 32 bytes as hex');
  return v.toLowerCase();
};

const ms = (v: string) => {
  if (!/^\d{1,6}$/.test(v) || Number(v) < 100) throw new InvalidArgumentError('milliseconds, 100 to 999999');
  return Number(v);
};

const program = new Command('tibillet-terminal')
  .description(
    'Run a TiBillet terminal on this computer (USB PN532 in HSU mode, USB ACR122U, or the simulator)',
  )
  .option('--venue <id>', 'venue id', id, 'demo')
  .requiredOption('--device <id>', 'device id', id)
  .requiredOption('--key <hex>', 'device key (hex)', key)
  .option('--mqtt <url>', 'gateway broker URL', 'mqtt://127.0.0.1:1884')
  .option(
    '--reader <path>',
    "serial port of a PN532 in HSU mode (USB-serial adapter), 'acr122u[:<PC/SC reader name>]' (USB ACR122U through pcscd), or 'sim'",
    'sim',
  )
  .option('--sim', 'use the simulated PN532 (same as --reader sim)')
  .option('--reader-wait <ms>', 'ACR122U: how long to wait for the reader to appear in pcscd', ms, 5000)
  .option(
    '--pcscd-timeout <ms>',
    'ACR122U: how long pcscd may take to answer before the terminal gives up with a clear message',
    ms,
    5000,
  )
  .option('--storage <file>', 'file standing in for the flash storage')
  .option('--lang <fr|en>', 'display language', 'fr')
  .action(async (o) => {
    protocol.setCrypto(nodeMac);
    let lastLine = '';
    ntag424.setCrypto(nodeCrypto);
    const t = await createHostTerminal({
      mqttUrl: o.mqtt,
      venue: o.venue,
      deviceId: o.device,
      keyHex: o.key,
      reader: o.sim ? 'sim' : o.reader,
      acr122u: { waitMs: o.readerWait, pcscdTimeoutMs: o.pcscdTimeout },
      storagePath: o.storage,
      lang: o.lang === 'en' ? 'en' : 'fr',
      onScreen: (ev) => {
        if (ev.kind !== 'display') return;
        const line = `┃ ${(ev.value as string[]).join(' │ ')}`;
        if (line !== lastLine) console.log(line); // a reconnect loop redraws the same screen
        lastLine = line;
      },
    }).catch((e: Error) => {
      // A missing reader, native module or daemon: say what to install, no stack trace.
      console.error(`tibillet-terminal: ${e.message}`);
      process.exit(1);
    });
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      const cmd = line.trim();
      if (cmd === 'next' || cmd === 'ok' || cmd === 'back') t.terminal.onButton(cmd);
      else if (/^([0-9a-fA-F]{8}|[0-9a-fA-F]{14})$/.test(cmd)) void t.tap(cmd.toUpperCase());
      else if (cmd !== '') console.error('type a card UID (8 or 14 hex digits), or next / ok / back');
    });
    const stop = async () => {
      rl.close();
      await t.close();
      process.exit(0);
    };
    process.once('SIGINT', stop).once('SIGTERM', stop);
  });

await program.parseAsync();
