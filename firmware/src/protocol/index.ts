/** Wire protocol v1 (docs/protocol.md): envelope, kinds, topics, signing, counters. */
export { sign, verify, setCrypto } from './codec.js';
export type { MacProvider, VerifyReason, VerifyResult } from './codec.js';
export * from './messages.js';
export { deviceTopic, broadcastTopic, deviceSubscriptions, parseTopic, TOPIC_ROOT } from './topics.js';
export type { ParsedTopic } from './topics.js';
export { Counter, COUNTER_BLOCK } from './counter.js';
export { validateFields, isId } from './schema.js';
export type { FieldSpec, FieldType } from './schema.js';
export { encodeCanonical, parseJson, intToString } from '../util/json.js';
export type { Json, ParseResult } from '../util/json.js';
export { mqttPassword } from './credentials.js';
