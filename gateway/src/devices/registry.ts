/**
 * Known terminals: keys (from the cloud), revocations, the last verified counter per device
 * (replay protection that survives restarts), and what each one said in hello/heartbeat.
 */
import type { DeviceEntry } from '../venue-config.js';

export interface DeviceStatus {
  deviceId: string;
  online: boolean;
  firmware?: string;
  board?: string;
  reader?: string;
  freeMemory?: number;
  lastSeen?: number;
  queued?: number;
  uptime?: number;
  lastError?: string;
}

export class DeviceRegistry {
  private keys = new Map<string, string>();
  private revoked = new Set<string>();
  private counters: Map<string, number>;
  readonly status = new Map<string, DeviceStatus>();

  constructor(counters: Map<string, number>) {
    this.counters = counters;
  }

  /** Replaces the device list; returns the ids that lost access (revoked or removed). */
  update(devices: DeviceEntry[]): string[] {
    const before = new Set(this.keys.keys());
    this.keys = new Map();
    this.revoked = new Set();
    for (const d of devices) {
      if (d.revoked) this.revoked.add(d.deviceId);
      else this.keys.set(d.deviceId, d.keyHex.toLowerCase());
    }
    return [...before].filter((id) => !this.keys.has(id));
  }

  key(deviceId: string): string | undefined {
    return this.keys.get(deviceId);
  }

  isRevoked(deviceId: string): boolean {
    return this.revoked.has(deviceId);
  }

  lastCounter(deviceId: string): number {
    return this.counters.get(deviceId) ?? -1;
  }

  setCounter(deviceId: string, n: number): void {
    this.counters.set(deviceId, n);
  }

  seen(deviceId: string, patch: Partial<DeviceStatus>): DeviceStatus {
    const s = { ...(this.status.get(deviceId) ?? { deviceId, online: false }), ...patch, deviceId };
    this.status.set(deviceId, s);
    return s;
  }

  list(): DeviceStatus[] {
    const ids = new Set([...this.keys.keys(), ...this.status.keys()]);
    return [...ids]
      .sort()
      .map((id) => ({ ...(this.status.get(id) ?? { deviceId: id, online: false }), deviceId: id }));
  }
}
