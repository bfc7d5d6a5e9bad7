/**
 * Files for an external Mosquitto (2.x) enforcing the same rules as the embedded broker:
 * a password file (PBKDF2-SHA512, mosquitto_passwd's `$7$` format) with one user per
 * non-revoked device plus the gateway, and the ACL file. Revoked devices are simply absent.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { protocol } from '@tibillet/firmware';
import type { DeviceEntry } from '../venue-config.js';
import { GATEWAY_USER, mosquittoAcl } from './acl.js';

const ITERATIONS = 101; // mosquitto_passwd's default for $7$

export function passwordLine(user: string, password: string, salt = randomBytes(12)): string {
  const hash = pbkdf2Sync(password, salt, ITERATIONS, 64, 'sha512');
  return `${user}:$7$${ITERATIONS}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export interface MosquittoFiles {
  passwordFile: string;
  aclFile: string;
  /** A mosquitto.conf listener block using both files. */
  confFile: string;
}

export function writeMosquittoConfig(opts: {
  dir: string;
  venue: string;
  devices: DeviceEntry[];
  gatewayPassword: string;
  port?: number;
  /** Unix user Mosquitto drops to (it reads these files after dropping privileges). */
  user?: string;
}): MosquittoFiles {
  mkdirSync(opts.dir, { recursive: true });
  const users = [passwordLine(GATEWAY_USER, opts.gatewayPassword)];
  for (const d of opts.devices)
    if (!d.revoked) users.push(passwordLine(d.deviceId, protocol.mqttPassword(d.keyHex)));
  const files = {
    passwordFile: join(opts.dir, 'tibillet.passwd'),
    aclFile: join(opts.dir, 'tibillet.acl'),
    confFile: join(opts.dir, 'tibillet.conf'),
  };
  const conf = [
    `listener ${opts.port ?? 1883} 127.0.0.1`,
    'allow_anonymous false',
    `password_file ${files.passwordFile}`,
    `acl_file ${files.aclFile}`,
    'max_packet_size 4096',
    ...(opts.user ? [`user ${opts.user}`] : []),
    '',
  ].join('\n');
  // Written then renamed, so a Mosquitto reloading on SIGHUP never reads half a file.
  for (const [path, text] of [
    [files.passwordFile, `${users.join('\n')}\n`],
    [files.aclFile, mosquittoAcl(opts.venue)],
    [files.confFile, conf],
  ] as const) {
    writeFileSync(`${path}.tmp`, text, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }
  return files;
}
