/**
 * `provision`: gives a terminal its identity. A fresh random 16-byte device key is registered in
 * the cloud first (a duplicate device id stops everything before the board is touched), then the
 * record is written to the board's storage and verified by read-back; if that fails, the cloud
 * registration is revoked so no half-provisioned key stays active. The key is never logged.
 */
import { randomBytes } from 'node:crypto';
import { protocol } from '@tibillet/firmware';
import { type RegistryOptions, registerDevice, revokeDevice } from './cloud.js';
import { errorMessage, FlashError } from './errors.js';
import { verifyFile } from './flash.js';
import type { BoardRepl } from './repl/board.js';

export interface ProvisionInput {
  deviceId: string;
  venueId: string;
  wifiSsid: string;
  wifiPass: string;
  mqttUrl: string;
  /** Optional board profile, PN532 bus and display language recorded for the firmware. */
  profile?: string;
  bus?: string;
  lang?: string;
}

/**
 * What the firmware reads at boot: canonical JSON in the file `tb.prov` (Espruino Storage and
 * NodeMCU file system alike), the record `tbProvision(...)` / `fw.provision(...)` write by hand.
 * `mqtt` is host:port (plain MQTT, the firmware derives its password from `key`).
 */
export interface ProvisionRecord {
  venue: string;
  device: string;
  key: string;
  ssid: string;
  pass: string;
  mqtt: string;
  /** Board profile (firmware/targets/espruino/boards.ts); the firmware guesses it when absent. */
  board?: string;
  /** PN532 interface: hsu (default), i2c or spi. */
  bus?: string;
  lang?: string;
}

export interface ProvisionOptions {
  /** Cloud registry; without it the key is only written to the board. */
  registry?: RegistryOptions;
  /** Firmware id recorded in the registry. */
  firmware: string;
  /** A given key instead of a fresh random one (tests, re-provisioning a known key). */
  keyHex?: string;
}

export interface ProvisionResult {
  path: string;
  deviceId: string;
  venueId: string;
  board: string;
  registered: boolean;
  /** Returned to the caller, printed only with --show-key. */
  keyHex: string;
}

export function validateInput(i: ProvisionInput): void {
  if (!protocol.isId(i.deviceId, 64))
    throw new FlashError('bad-input', `device id "${i.deviceId}" must be 1–64 characters of A-Z a-z 0-9 _ -`);
  if (!protocol.isId(i.venueId, 64))
    throw new FlashError('bad-input', `venue id "${i.venueId}" must be 1–64 characters of A-Z a-z 0-9 _ -`);
  const ssidBytes = Buffer.byteLength(i.wifiSsid);
  if (ssidBytes < 1 || ssidBytes > 32) throw new FlashError('bad-input', 'Wi-Fi SSID must be 1–32 bytes');
  if (i.wifiPass.length !== 0 && (i.wifiPass.length < 8 || i.wifiPass.length > 63)) {
    throw new FlashError(
      'bad-input',
      'Wi-Fi password must be empty (open network) or 8–63 characters (WPA2)',
    );
  }
  mqttHostPort(i.mqttUrl);
  if (i.bus !== undefined && !['hsu', 'i2c', 'spi'].includes(i.bus))
    throw new FlashError('bad-input', 'PN532 bus must be hsu, i2c or spi');
  if (i.lang !== undefined && !['fr', 'en'].includes(i.lang))
    throw new FlashError('bad-input', 'language must be fr or en');
}

/** "mqtt://host:port", "host:port" or "host" → "host:port" (the terminals speak plain MQTT only). */
export function mqttHostPort(url: string): string {
  const bad = (why: string) =>
    new FlashError(
      'bad-input',
      `MQTT address "${url}": ${why} (e.g. mqtt://192.168.1.10:1883 or gateway.local:1883)`,
    );
  const m = /^(?:([a-z0-9+.-]+):\/\/)?([^/:?#\s]+)(?::(\d{1,5}))?\/?$/i.exec(url.trim());
  if (!m) throw bad('not a host:port');
  if (m[1] !== undefined && m[1].toLowerCase() !== 'mqtt')
    throw bad('the terminals speak plain MQTT: use mqtt:// (TLS is terminated by the venue gateway)');
  const port = m[3] === undefined ? 1883 : Number(m[3]);
  if (port < 1 || port > 65535) throw bad('port out of range');
  return `${m[2]}:${port}`;
}

export function provisionRecord(i: ProvisionInput, keyHex: string): ProvisionRecord {
  const r: ProvisionRecord = {
    venue: i.venueId,
    device: i.deviceId,
    key: keyHex,
    ssid: i.wifiSsid,
    pass: i.wifiPass,
    mqtt: mqttHostPort(i.mqttUrl),
  };
  if (i.profile) r.board = i.profile;
  if (i.bus) r.bus = i.bus;
  if (i.lang) r.lang = i.lang;
  return r;
}

/** The bytes written: the firmware's canonical JSON (sorted keys), as its own tbProvision writes. */
export function encodeRecord(r: ProvisionRecord): Uint8Array {
  return new TextEncoder().encode(
    protocol.encodeCanonical(r as unknown as Parameters<typeof protocol.encodeCanonical>[0]),
  );
}

export function freshKeyHex(): string {
  return randomBytes(16).toString('hex');
}

export async function provisionBoard(
  board: BoardRepl,
  input: ProvisionInput,
  o: ProvisionOptions,
): Promise<ProvisionResult> {
  validateInput(input);
  const keyHex = o.keyHex ?? freshKeyHex();
  if (!/^[0-9a-f]{32}$/i.test(keyHex))
    throw new FlashError('bad-input', 'device key must be 16 bytes of hex');
  if (o.registry) {
    await registerDevice(o.registry, {
      deviceId: input.deviceId,
      venueId: input.venueId,
      board: board.kind,
      firmware: o.firmware,
      keyHex,
    });
  }
  const data = encodeRecord(provisionRecord(input, keyHex));
  try {
    await board.writeFile(board.files.provision, data);
    await verifyFile(board, board.files.provision, data);
  } catch (e) {
    await board.removeFile(board.files.provision).catch(() => undefined);
    let note = '';
    if (o.registry) {
      note = await revokeDevice(o.registry, input.deviceId).then(
        () => '; its cloud registration was revoked',
        (re) =>
          `; revoking its cloud registration ALSO FAILED (${errorMessage(re)}): run tibillet-flash revoke ${input.deviceId}`,
      );
    }
    throw new FlashError(e instanceof FlashError ? e.code : 'provision-failed', `${errorMessage(e)}${note}`);
  }
  return {
    path: board.path,
    deviceId: input.deviceId,
    venueId: input.venueId,
    board: board.kind,
    registered: !!o.registry,
    keyHex,
  };
}
