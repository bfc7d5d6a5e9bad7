// A probe on a real host terminal (createHostTerminal): it records, without changing behaviour,
// the tap tx ids the firmware publishes, the ones it writes to its offline queue, the verified
// results it receives and what its screen shows, so a fault test can check them against the
// gateway journal. It wraps the terminal's HAL (publish, storage) and its down-message handler.
import type { Hal, protocol } from '@tibillet/firmware';
import type { HostTerminal } from '@tibillet/firmware/host';

export interface TerminalProbe {
  /** Tap tx ids in publish order (a re-send or a drained queued tap appears again). */
  sent: string[];
  /** Tap tx ids written to the offline queue (the cashier saw "queued"). */
  queued: string[];
  /** Verified results by tx (the last one for each). */
  results: Map<string, protocol.ResultBody>;
  screens: string[][];
  connected(): boolean;
  /** The terminal's menu (pushed config) has arrived. */
  hasMenu(): boolean;
  /** Its offline queue limit, from the pushed config (the venue's terminalOfflineQueue). */
  offq(): number;
  /** The reader has reported the last card gone (the next tap of any card is a new sale). */
  fieldEmpty(): boolean;
}

interface TerminalInternals {
  hal: Hal;
  config: protocol.ConfigBody;
  cardInField: string;
  handleDown(m: protocol.Message): void;
}

export function probe(ht: HostTerminal, screens: string[][] = []): TerminalProbe {
  const t = ht.terminal as unknown as TerminalInternals;
  const p: TerminalProbe = {
    sent: [],
    queued: [],
    results: new Map(),
    screens,
    connected: () => t.hal.mqtt.isConnected(),
    hasMenu: () => (t.config.menu?.length ?? 0) > 0,
    fieldEmpty: () => t.cardInField === '',
    offq: () => t.config.offq ?? 0,
  };
  const publish = t.hal.mqtt.publish;
  t.hal.mqtt.publish = (topic, payload, qos, retain) => {
    if (topic.endsWith('/up/tap')) p.sent.push((JSON.parse(payload) as { b: { tx: string } }).b.tx);
    publish(topic, payload, qos, retain);
  };
  const write = t.hal.storage.write;
  t.hal.storage.write = (k, v) => {
    if (/^q\d+$/.test(k)) p.queued.push((JSON.parse(v.slice(v.indexOf(':') + 1)) as { tx: string }).tx);
    write(k, v);
  };
  const show = t.hal.display.show;
  t.hal.display.show = (lines) => {
    screens.push(lines);
    show(lines);
  };
  const handleDown = t.handleDown.bind(t);
  t.handleDown = (m) => {
    if (m.k === 'result') p.results.set((m.b as protocol.ResultBody).tx, m.b as protocol.ResultBody);
    handleDown(m);
  };
  return p;
}
