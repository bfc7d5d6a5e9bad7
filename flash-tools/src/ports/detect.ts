/** `detect`: list serial ports, recognise USB-serial bridges by VID:PID, probe for a REPL. */

import type { BoardKind } from '../repl/board.js';
import { probeLink } from '../repl/open.js';
import { ReplSession } from '../repl/session.js';
import { type BindingInterface, type Link, openLink } from './link.js';
import { type PortInfo, type PortLister, portLister } from './list.js';
import { findBridge } from './usb-ids.js';

export { findBridge, USB_BRIDGES, type UsbBridge } from './usb-ids.js';

export interface DetectedPort {
  path: string;
  vendorId?: string;
  productId?: string;
  manufacturer?: string;
  serialNumber?: string;
  /** USB bridge chip recognised from VID:PID. */
  chip?: string;
  /** Interpreter that answered the probe. */
  interpreter?: BoardKind;
  version?: string;
  /** Why the probe did not identify a board. */
  note?: string;
}

export interface DetectOptions {
  binding?: BindingInterface;
  lister?: PortLister;
  /** Probe every port for a REPL (default true). */
  probe?: boolean;
  /** Also list (and probe) ports with no known USB bridge (default false). */
  all?: boolean;
  baudRate?: number;
  probeTimeoutMs?: number;
}

export function classify(p: PortInfo): DetectedPort {
  const bridge = findBridge(p.vendorId, p.productId);
  const d: DetectedPort = { path: p.path };
  if (p.vendorId) d.vendorId = p.vendorId.toLowerCase();
  if (p.productId) d.productId = p.productId.toLowerCase();
  if (p.manufacturer) d.manufacturer = p.manufacturer;
  if (p.serialNumber) d.serialNumber = p.serialNumber;
  if (bridge) d.chip = bridge.chip;
  return d;
}

export async function probePort(
  path: string,
  o: DetectOptions = {},
): Promise<Pick<DetectedPort, 'interpreter' | 'version' | 'note'>> {
  let link: Link;
  try {
    link = await openLink(path, { binding: o.binding, baudRate: o.baudRate });
  } catch (e) {
    return { note: e instanceof Error ? e.message : String(e) };
  }
  const session = new ReplSession(link);
  try {
    const found = await probeLink(link, session, o.probeTimeoutMs ?? 1500);
    if (!found) return { note: 'no REPL prompt (wrong baud rate, blank board or busy port)' };
    return { interpreter: found.kind, version: found.version };
  } finally {
    session.close();
    await link.close();
  }
}

export async function detect(o: DetectOptions = {}): Promise<DetectedPort[]> {
  const list = await (o.lister ?? portLister(o.binding))();
  const ports = list.map(classify).filter((p) => o.all || p.chip !== undefined);
  ports.sort((a, b) => a.path.localeCompare(b.path));
  if (o.probe === false) return ports;
  return Promise.all(ports.map(async (p) => ({ ...p, ...(await probePort(p.path, o)) })));
}
