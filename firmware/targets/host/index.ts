/** Host target: the portable core on Node, with node:crypto, serialport and mqtt. */
export const HOST_TARGET = 'host';
