/**
 * A device's MQTT password, derived from its device key so provisioning stores one secret:
 * hex(HMAC-SHA256(deviceKey, "tibillet-mqtt-v1")). The MQTT username is the device id.
 */
import { fromHex, toHex, utf8Encode } from '../util/bytes.js';
import { hmacSha256 } from '../util/hmac.js';

export function mqttPassword(keyHex: string): string {
  const key = fromHex(keyHex);
  if (key === undefined) throw new Error('mqttPassword: key is not hex');
  return toHex(hmacSha256(key, utf8Encode('tibillet-mqtt-v1')));
}
