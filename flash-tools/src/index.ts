/** @tibillet/flash-tools: the tibillet-flash CLI's building blocks. */
export {
  type BatchItem,
  type BatchOptions,
  type BatchStep,
  type BatchSummary,
  deviceIds,
  formatSummary,
  runBatch,
} from './batch.js';
export { type Bundle, defaultBundlePath, loadBundle } from './bundles.js';
export { adler32, crc32 } from './checksum.js';
export { type CliDeps, createProgram, runCli, VERSION } from './cli.js';
export { type DeviceRegistration, type RegistryOptions, registerDevice, revokeDevice } from './cloud.js';
export { errorCode, errorMessage, FlashError } from './errors.js';
export { type FlashResult, flashBoard, verifyFile } from './flash.js';
export { labelPng, labelSvg } from './label.js';
export { encodePng } from './png.js';
export { classify, type DetectedPort, detect, probePort } from './ports/detect.js';
export { type BindingInterface, type Link, openLink } from './ports/link.js';
export { listFromSysfs, type PortInfo, portLister } from './ports/list.js';
export { findBridge, USB_BRIDGES } from './ports/usb-ids.js';
export {
  encodeRecord,
  freshKeyHex,
  mqttHostPort,
  type ProvisionInput,
  type ProvisionRecord,
  provisionBoard,
  provisionRecord,
} from './provision.js';
export type { BoardKind, BoardRepl } from './repl/board.js';
export { ESPRUINO_FILES, EspruinoRepl, espruinoCommands } from './repl/espruino.js';
export { LUA_MAX_LINE, NODEMCU_FILES, NodemcuRepl, nodemcuCommands, nodemcuHelpers } from './repl/nodemcu.js';
export { noPromptMessage, openBoard, PROBE_ESPRUINO, PROBE_NODEMCU } from './repl/open.js';
export { ReplSession } from './repl/session.js';
export { formatSelftest, parseReport, type SelftestResult, selftestBoard } from './selftest.js';
