/**
 * MQTT topic tree v1:
 *   tb/v1/{venue}/dev/{deviceId}/up/{kind}     device → gateway (the device may publish only here)
 *   tb/v1/{venue}/dev/{deviceId}/down/{kind}   gateway → device (the device may read only here…)
 *   tb/v1/{venue}/bcast/{kind}                 gateway → all devices of the venue (…and here)
 */
import type { Direction } from './messages.js';
import { isId } from './schema.js';

export const TOPIC_ROOT = 'tb/v1';

export function deviceTopic(venue: string, deviceId: string, dir: Direction, kind: string): string {
  return TOPIC_ROOT + '/' + venue + '/dev/' + deviceId + '/' + dir + '/' + kind;
}

export function broadcastTopic(venue: string, kind: string): string {
  return TOPIC_ROOT + '/' + venue + '/bcast/' + kind;
}

/** Subscriptions a device makes: its own down/ and the venue broadcast. */
export function deviceSubscriptions(venue: string, deviceId: string): string[] {
  return [TOPIC_ROOT + '/' + venue + '/dev/' + deviceId + '/down/+', TOPIC_ROOT + '/' + venue + '/bcast/+'];
}

export type ParsedTopic =
  | { ok: true; venue: string; deviceId: string; dir: Direction; kind: string }
  | { ok: true; venue: string; deviceId: ''; dir: 'bcast'; kind: string }
  | { ok: false; reason: string };

function split(topic: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i <= topic.length; i++) {
    if (i === topic.length || topic.charCodeAt(i) === 47) {
      parts.push(topic.substring(start, i));
      start = i + 1;
    }
  }
  return parts;
}

/** Parses and validates a topic of the tree (ids: 1..32 of [A-Za-z0-9_-]). Never throws. */
export function parseTopic(topic: string): ParsedTopic {
  if (typeof topic !== 'string' || topic.length > 160) return { ok: false, reason: 'bad-topic' };
  const p = split(topic);
  if (p.length < 4 || p[0] !== 'tb' || p[1] !== 'v1') return { ok: false, reason: 'bad-topic' };
  if (!isId(p[2], 32)) return { ok: false, reason: 'bad-venue' };
  if (p[3] === 'bcast' && p.length === 5 && isId(p[4], 16)) {
    return { ok: true, venue: p[2], deviceId: '', dir: 'bcast', kind: p[4] };
  }
  if (p[3] !== 'dev' || p.length !== 7) return { ok: false, reason: 'bad-topic' };
  if (!isId(p[4], 32)) return { ok: false, reason: 'bad-device' };
  if (p[5] !== 'up' && p[5] !== 'down') return { ok: false, reason: 'bad-direction' };
  if (!isId(p[6], 16)) return { ok: false, reason: 'bad-kind' };
  return { ok: true, venue: p[2], deviceId: p[4], dir: p[5] as Direction, kind: p[6] };
}
