/**
 * A complete terminal on Node: the portable state machine, the Node HAL (mqtt.js, file storage)
 * and a PN532 reached through a serial port: the simulator behind `@serialport/binding-mock`
 * (demo, tests) or a real USB-serial adapter (HSU mode).
 */

import { FIRMWARE_VERSION, pn532, type Serial, terminal } from '@tibillet/firmware';
import { SerialPort } from 'serialport';
import { createNodeHal, type ScreenEvent } from './node-hal.js';
import { openSimulatedPort, serialFromStream } from './sim-serial.js';

export interface HostTerminalOptions {
  mqttUrl: string;
  venue: string;
  deviceId: string;
  keyHex: string;
  /** 'sim' (a simulated PN532) or a serial path such as /dev/ttyUSB0. */
  reader: 'sim' | string;
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
  let serial: Serial;
  if (o.reader === 'sim') {
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
  const driver = new pn532.Pn532Driver({ clock: hal.clock, transport: new pn532.HsuTransport(serial) });
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
