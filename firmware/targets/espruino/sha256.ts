/**
 * SHA-256 for the Espruino build: Espruino's native `require('crypto').SHA256` (ESP32 and Pico W
 * builds of 2v29 have it), else the JavaScript one from the tb-sha256 Storage module. The build
 * (scripts/build-espruino.mjs) routes every import of src/util/sha256.js in the main file here,
 * so the core's HMAC (message MACs, MQTT password) runs on the native hash.
 */
import { tbModule } from './modules.js';

let hash: ((this: void, bytes: number[]) => number[]) | undefined;

function bytesOf(data: ArrayBuffer | number[]): number[] {
  const u = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
  const out: number[] = [];
  for (let i = 0; i < u.length; i++) out.push(u[i] & 255);
  return out;
}

/** Is there a native SHA-256 on this board? */
export function nativeSha256(): EspruinoCryptoModule | undefined {
  try {
    const mod = espruinoRequire('crypto');
    return typeof mod.SHA256 === 'function' ? mod : undefined;
  } catch {
    return undefined;
  }
}

export function sha256(bytes: number[]): number[] {
  if (hash === undefined) {
    const mod = nativeSha256();
    hash =
      mod !== undefined
        ? (b) => bytesOf((mod.SHA256 as (data: number[]) => ArrayBuffer)(b))
        : tbModule('sha256').sha256;
  }
  return hash(bytes);
}
