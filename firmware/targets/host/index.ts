/** Host target: the portable core on Node, with node:crypto, serialport and mqtt. */
export { nodeCrypto, nodeMac } from './crypto.js';
export { createHostTerminal, type HostTerminal, type HostTerminalOptions } from './host-terminal.js';
export { createNodeHal, fileStorage, type NodeHalOptions, type ScreenEvent } from './node-hal.js';
export { openSimulatedPort, type SimulatedPort, serialFromStream } from './sim-serial.js';
