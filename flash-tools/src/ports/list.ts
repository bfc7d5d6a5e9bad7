/**
 * Serial port listing. `SerialPort.list()` spawns `udevadm` on Linux and takes the process down
 * when it is missing, so without udevadm the ports are read from sysfs instead.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BindingInterface } from './link.js';

export interface PortInfo {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

export type PortLister = () => Promise<PortInfo[]>;

function hasUdevadm(): boolean {
  try {
    execFileSync('udevadm', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function readTrim(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** USB serial ports from /sys/class/tty (Linux without udev). */
export function listFromSysfs(root = '/sys/class/tty'): PortInfo[] {
  if (!existsSync(root)) return [];
  const out: PortInfo[] = [];
  for (const name of readdirSync(root)) {
    if (!/^tty(USB|ACM)\d+$/.test(name)) continue;
    const info: PortInfo = { path: `/dev/${name}` };
    try {
      let dir = realpathSync(join(root, name, 'device'));
      for (let i = 0; i < 6 && dir !== '/'; i++, dir = dirname(dir)) {
        const vid = readTrim(join(dir, 'idVendor'));
        if (vid) {
          info.vendorId = vid;
          info.productId = readTrim(join(dir, 'idProduct'));
          info.manufacturer = readTrim(join(dir, 'manufacturer'));
          info.serialNumber = readTrim(join(dir, 'serial'));
          break;
        }
      }
    } catch {
      // no device link: keep the bare path
    }
    out.push(info);
  }
  return out;
}

/** The ports of a binding (the mock in tests), or the OS ports. */
export function portLister(binding?: BindingInterface): PortLister {
  if (binding) return async () => (await binding.list()) as PortInfo[];
  return async () => {
    if (process.platform === 'linux' && !hasUdevadm()) return listFromSysfs();
    const { SerialPort } = await import('serialport');
    return (await SerialPort.list()) as PortInfo[];
  };
}
