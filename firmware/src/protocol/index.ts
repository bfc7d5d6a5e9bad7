/** Wire protocol v1 (docs/protocol.md): envelope, kinds, topics, signing, counters. */

export type { Json, ParseResult } from '../util/json.js';
export { encodeCanonical, intToString, parseJson } from '../util/json.js';
export type { MacProvider, VerifyReason, VerifyResult } from './codec.js';
export { setCrypto, sign, verify } from './codec.js';
export { COUNTER_BLOCK, Counter } from './counter.js';
export { mqttPassword } from './credentials.js';
export * from './messages.js';
export { isId, validateFields } from './schema.js';
export type { ParsedTopic } from './topics.js';
export { broadcastTopic, deviceSubscriptions, deviceTopic, parseTopic, TOPIC_ROOT } from './topics.js';
