/** Host target: the portable core on Node, with node:crypto, serialport and mqtt. */
export { nodeCrypto } from './crypto.js';
