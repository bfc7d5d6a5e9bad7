import { describe, expect, it } from 'vitest';
import * as pn532 from '../../src/pn532/index.js';
import * as bytes from '../../src/util/bytes.js';

const hex = (b: number[]) => bytes.toHex(b);
const h = (s: string) => bytes.fromHex(s.replace(/ /g, '')) as number[];

describe('pn532 frame codec (UM0701 vectors)', () => {
  it('GetFirmwareVersion command frame', () => {
    expect(hex(pn532.commandFrame(0x02, []))).toBe('0000ff02fed4022a00');
  });
  it('SAMConfiguration normal mode', () => {
    expect(hex(pn532.commandFrame(0x14, [0x01, 0x14, 0x01]))).toBe('0000ff05fbd414011401' + '0200');
  });
  it('InListPassiveTarget 1 target 106 kbps type A', () => {
    expect(hex(pn532.commandFrame(0x4a, [0x01, 0x00]))).toBe('0000ff04fcd44a0100e100');
  });
  it('GetFirmwareVersion response built by responseFrame', () => {
    expect(hex(pn532.responseFrame(0x03, [0x32, 0x01, 0x06, 0x07]))).toBe('0000ff06fad50332010607e800');
  });
  it('ACK, NACK and error frames', () => {
    expect(hex(pn532.ACK_FRAME)).toBe('0000ff00ff00');
    expect(hex(pn532.NACK_FRAME)).toBe('0000ffff0000');
    expect(hex(pn532.ERROR_FRAME)).toBe('0000ff01ff7f8100');
  });
  it('switches to the extended frame when TFI + data exceed 255 bytes', () => {
    const params: number[] = [];
    for (let i = 0; i < 254; i++) params.push(i);
    const normal = pn532.commandFrame(0x40, params); // TFI + code + 254 params = 256 bytes
    expect(normal.slice(0, 8)).toEqual([0x00, 0x00, 0xff, 0xff, 0xff, 0x01, 0x00, 0xff]);
    expect(normal.length).toBe(8 + 256 + 2);
    const sum = normal.slice(8, 8 + 256).reduce((a, b) => a + b, 0);
    expect((sum + normal[normal.length - 2]) % 256).toBe(0);
    expect(normal[normal.length - 1]).toBe(0);
    const justFits = pn532.commandFrame(0x40, params.slice(0, 253)); // LEN 255
    expect(justFits.slice(0, 5)).toEqual([0x00, 0x00, 0xff, 0xff, 0x01]);
  });
  it('frameLengthAt reads headers', () => {
    expect(pn532.frameLengthAt(h('00ff00ff00'), 0)).toBe(5);
    expect(pn532.frameLengthAt(h('0000ff06fad50332010607e800'), 1)).toBe(12);
    expect(pn532.frameLengthAt(h('00ff06fb'), 0)).toBe(-1);
    expect(pn532.frameLengthAt(h('00ff'), 0)).toBe(0);
    expect(pn532.frameLengthAt(pn532.commandFrame(0x40, new Array(300).fill(1)), 1)).toBe(7 + 302 + 2);
  });
  it('maps status bytes to names', () => {
    expect(pn532.statusName(pn532.statusCode(0x01))).toBe('rf-timeout');
    expect(pn532.statusName(pn532.statusCode(0x27))).toBe('wrong-context');
    expect(pn532.statusName(pn532.statusCode(0x41))).toBe('rf-timeout'); // MI bit ignored
    expect(pn532.statusName(0x3f)).toBe('status-0x3f');
  });
});
