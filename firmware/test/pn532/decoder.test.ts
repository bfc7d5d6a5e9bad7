import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as pn532 from '../../src/pn532/index.js';
import { chunk, type Piece, validPiece } from './streams.js';

const h = (s: string) =>
  s
    .trim()
    .split(/\s+/)
    .map((x) => Number.parseInt(x, 16));
const decodeAll = (chunks: number[][]) => {
  const d = new pn532.FrameDecoder();
  const out: pn532.DecoderEvent[] = [];
  for (const c of chunks) out.push(...d.push(c));
  return out;
};
const RUNS = 2000;

describe('FrameDecoder', () => {
  it('decodes the GetFirmwareVersion ACK + response byte by byte', () => {
    const stream = h('00 00 FF 00 FF 00 00 00 FF 06 FA D5 03 32 01 06 07 E8 00');
    expect(decodeAll(stream.map((b) => [b]))).toEqual([
      { type: 'ack' },
      { type: 'response', command: 0x03, params: [0x32, 0x01, 0x06, 0x07] },
    ]);
  });

  it('accepts Uint8Array chunks', () => {
    const d = new pn532.FrameDecoder();
    expect(d.push(new Uint8Array(h('00 00 FF 06 FA D5 03 32 01 06 07 E8 00')))).toEqual([
      { type: 'response', command: 0x03, params: [0x32, 0x01, 0x06, 0x07] },
    ]);
  });

  it('reports the error frame and NACK', () => {
    expect(decodeAll([pn532.ERROR_FRAME, pn532.NACK_FRAME])).toEqual([{ type: 'error' }, { type: 'nack' }]);
  });

  it('skips leading garbage and extra preamble bytes, tolerates a missing postamble', () => {
    const good = h('00 00 FF 06 FA D5 03 32 01 06 07 E8'); // no postamble
    expect(decodeAll([[0x12, 0x55, 0xff, 0x00, 0x00, 0x00], good, pn532.ACK_FRAME])).toEqual([
      { type: 'response', command: 0x03, params: [0x32, 0x01, 0x06, 0x07] },
      { type: 'ack' },
    ]);
  });

  it('bad LCS → invalid, then the next frame', () => {
    expect(decodeAll([h('00 00 FF 06 FB D5 03'), pn532.ACK_FRAME])).toEqual([
      { type: 'invalid', reason: 'bad-lcs' },
      { type: 'ack' },
    ]);
  });

  it('bad DCS → invalid, then the next frame', () => {
    expect(decodeAll([h('00 00 FF 06 FA D5 03 32 01 06 07 E9 00'), pn532.ACK_FRAME])).toEqual([
      { type: 'invalid', reason: 'bad-dcs' },
      { type: 'ack' },
    ]);
  });

  it('finds a frame that starts inside a corrupted frame', () => {
    // A truncated frame announces 6 bytes; the real response starts 2 bytes into its payload.
    const good = pn532.responseFrame(0x4b, [0x00]);
    const stream = [...h('00 00 FF 06 FA D5 03'), ...good];
    const events = decodeAll([stream]);
    expect(events[0]).toEqual({ type: 'invalid', reason: 'bad-dcs' });
    expect(events[events.length - 1]).toEqual({ type: 'response', command: 0x4b, params: [0x00] });
  });

  it('reports the host echo (TFI D4) as bad-tfi', () => {
    expect(decodeAll([pn532.commandFrame(0x02, [])])).toEqual([{ type: 'invalid', reason: 'bad-tfi' }]);
  });

  it('decodes extended frames and refuses oversized ones', () => {
    const params = Array.from({ length: 260 }, (_, i) => i % 256);
    expect(decodeAll([pn532.responseFrame(0x41, params)])).toEqual([
      { type: 'response', command: 0x41, params },
    ]);
    // LEN 0x0200 (512) is over the PN532's 264: discarded without buffering it.
    const events = decodeAll([h('00 00 FF FF FF 02 00 FE D5 41'), pn532.ACK_FRAME]);
    expect(events).toEqual([{ type: 'invalid', reason: 'too-long' }, { type: 'ack' }]);
  });

  it('reports a zero-length frame and a TFI without code', () => {
    expect(decodeAll([h('00 00 FF 00 00 00')])).toEqual([{ type: 'invalid', reason: 'bad-len' }]);
    expect(decodeAll([h('00 00 FF 01 FF D5 2B 00')])).toEqual([{ type: 'invalid', reason: 'too-short' }]);
  });

  it('recovers every valid event from any chunking with garbage between frames', () => {
    // Garbage without 0xFF holds no start code of its own; it may hold 0x00 (preamble look-alikes).
    const garbage = fc.array(fc.integer({ min: 0, max: 254 }), { maxLength: 12 });
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(garbage, validPiece(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }))),
          {
            maxLength: 12,
          },
        ),
        fc.array(fc.nat(), { maxLength: 30 }),
        (pieces, cuts) => {
          const all: number[] = [];
          const expected: pn532.DecoderEvent[] = [];
          for (const [g, p] of pieces) {
            all.push(...g, ...p.bytes);
            expected.push(p.event as pn532.DecoderEvent);
          }
          expect(decodeAll(chunk(all, cuts))).toEqual(expected);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('recovers valid frames after corrupted and truncated ones', () => {
    // Corruptions the decoder detects at the header or the DCS; payloads avoid 0x00/0xFF so no
    // false start code can swallow the next frame (that case has its own test above).
    const payload = fc.array(fc.integer({ min: 1, max: 254 }), { maxLength: 20 });
    const good = fc
      .tuple(fc.integer({ min: 1, max: 254 }), payload)
      .map(
        ([c, p]) =>
          ({ bytes: pn532.responseFrame(c, p), event: { type: 'response', command: c, params: p } }) as Piece,
      );
    const bad = fc.oneof(
      good.map((p) => p.bytes.slice(0, 3 + (p.bytes.length % 2))), // cut in the header
      good.map((p) => {
        const b = p.bytes.slice();
        b[b.length - 2] = (b[b.length - 2] + 1) % 256; // DCS
        return b;
      }),
      good.map((p) => {
        const b = p.bytes.slice();
        b[4] = (b[4] + 1) % 256; // LCS
        return b;
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(bad, good), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (pairs, cuts) => {
          const all: number[] = [];
          const expected: pn532.DecoderEvent[] = [];
          for (const [b, g] of pairs) {
            all.push(...b, ...g.bytes);
            expected.push(g.event as pn532.DecoderEvent);
          }
          const valid = decodeAll(chunk(all, cuts)).filter((e) => e.type !== 'invalid');
          expect(valid).toEqual(expected);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('gives the same events whatever the chunking, and never throws, on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 20 }), (u8, cuts) => {
        const all = Array.from(u8);
        const whole = decodeAll([all]);
        expect(decodeAll(chunk(all, cuts))).toEqual(whole);
        const d = new pn532.FrameDecoder();
        expect(() => d.push(u8)).not.toThrow();
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on mutated valid streams and keeps its buffer bounded', () => {
    fc.assert(
      fc.property(
        fc.array(validPiece(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 300 })), {
          maxLength: 6,
        }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 10 }),
        (pieces, mutations) => {
          const all = pieces.flatMap((p) => p.bytes);
          for (const [at, v] of mutations) if (all.length) all[at % all.length] = v;
          const d = new pn532.FrameDecoder();
          expect(() => d.push(all)).not.toThrow();
          expect((d as unknown as { buf: number[] }).buf.length).toBeLessThanOrEqual(270);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
