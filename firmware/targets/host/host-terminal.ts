/**
 * A complete terminal on Node: the portable state machine, the Node HAL (mqtt.js, file storage)
 * and a PN532 reached through a serial port: the simulator behind `@serialport/binding-mock`
 * (demo, tests) or a real USB-serial adapter (HSU mode).
 */

import { FIRMWARE_VERSION, pn532, type Serial, terminal } from '@tibillet/firmware';
import { SerialPort } from 'serialport';
import { type Acr122uOptions, openAcr122u, parseAcr122uSpec } from './acr122u.js';
import { beepApdu, parseLedBuzzer } from './acr122u-apdu.js';
import { Acr122uTransport } from './acr122u-transport.js';
import { createNodeHal, type ScreenEvent } from './node-hal.js';
import { openSimulatedPort, serialFromStream } from './sim-serial.js';

export interface HostTerminalOptions {
  mqttUrl: string;
  venue: string;
  deviceId: string;
  keyHex: string;
  /**
   * 'sim' (a simulated PN532), a serial path such as /dev/ttyUSB0 (PN532 in HSU mode), or
   * 'acr122u' / 'acr122u:<part of the PC/SC reader name>' (USB ACR122U through pcscd).
   */
  reader: 'sim' | string;
  /** Reader diagnostics (ACR122U: firmware, PC/SC failures). */
  log?: (line: string) => void;
  /**
   * ACR122U only: how long to wait for the reader and for pcscd's first answer, and where
   * `pcsclite` comes from (tests).
   */
  acr122u?: Pick<Acr122uOptions, 'load' | 'waitMs' | 'pcscdTimeoutMs'>;
  storagePath?: string;
  lang?: 'fr' | 'en';
  board?: string;
  resultTimeoutMs?: number;
  onScreen?: (ev: ScreenEvent) => void;
}

export interface HostTerminal {
  terminal: terminal.Terminal;
  /** The simulated chip (reader 'sim' only): place and remove cards on it. */
  sim: pn532.Pn532Simulator | undefined;
  /** Taps a plain UID card on the simulated reader for `holdMs`, then removes it. */
  tap(uidHex: string, holdMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function createHostTerminal(o: HostTerminalOptions): Promise<HostTerminal> {
  const { hal, client } = createNodeHal(o);
  const term = new terminal.Terminal(hal, {
    venue: o.venue,
    deviceId: o.deviceId,
    keyHex: o.keyHex,
    board: o.board ?? 'host',
    firmware: FIRMWARE_VERSION,
    lang: o.lang,
    resultTimeoutMs: o.resultTimeoutMs,
    freeMemory: () => process.memoryUsage().heapTotal - process.memoryUsage().heapUsed,
  });
  let sim: pn532.Pn532Simulator | undefined;
  let closePort: () => Promise<void>;
  let serial: Serial | undefined;
  let transport: pn532.Pn532Transport | undefined;
  const acrName = parseAcr122uSpec(o.reader);
  const log = o.log ?? ((line: string) => console.error(line));
  if (acrName !== undefined) {
    const acr = await openAcr122u({ ...o.acr122u, name: acrName || undefined, log }).catch(async (e) => {
      await client.endAsync();
      throw e;
    });
    log(`acr122u: using "${acr.readerName}", firmware ${await acr.firmware()}`);
    transport = new Acr122uTransport(acr.link, hal.clock, log);
    closePort = () => acr.close();
    // The reader's own buzzer and LED follow the terminal's (accept: green, refuse: red).
    let colour: 'green' | 'red' = 'green';
    const { led, buzzer } = hal;
    hal.led = {
      set: (c, pattern) => {
        if (c === 'green' || c === 'red') colour = c;
        led.set(c, pattern);
      },
    };
    hal.buzzer = {
      beep: (pattern) => {
        buzzer.beep(pattern);
        // Next tick: the terminal sets the LED colour right after the beep.
        hal.clock.setTimeout(() => {
          acr.link.exchange(beepApdu(pattern, colour), (err, answer) => {
            const r = err === undefined ? parseLedBuzzer(answer) : undefined;
            if (r === undefined || !r.ok) log(`acr122u: buzzer: ${err ?? (r && !r.ok ? r.detail : '')}`);
          });
        }, 0);
      },
    };
  } else if (o.reader === 'sim') {
    const port = await openSimulatedPort(hal.clock);
    sim = port.sim;
    serial = port.serial;
    closePort = port.close;
  } else {
    const port = new SerialPort({ path: o.reader, baudRate: pn532.HSU_BAUD });
    await new Promise<void>((resolve, reject) => port.once('open', resolve).once('error', reject));
    serial = serialFromStream(port);
    closePort = () => new Promise<void>((resolve) => port.close(() => resolve()));
  }
  const driver = new pn532.Pn532Driver({
    clock: hal.clock,
    transport: transport ?? new pn532.HsuTransport(serial as Serial),
  });
  const poller = terminal.startReader(driver, hal.clock, (ev) => term.onReader(ev), { intervalMs: 40 });
  return {
    terminal: term,
    sim,
    async tap(uidHex, holdMs = 300) {
      if (!sim) throw new Error('tap() needs the simulated reader');
      const uid = uidHex.match(/../g)?.map((h) => Number.parseInt(h, 16)) ?? [];
      sim.placeCard(pn532.uidCard(uid));
      await new Promise((r) => setTimeout(r, holdMs));
      sim.removeCard();
    },
    async close() {
      poller.stop();
      await closePort();
      await client.endAsync();
    },
  };
}
