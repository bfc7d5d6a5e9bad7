/** Generators of PN532 byte streams for the decoder tests and the bench. */
import fc from 'fast-check';
import * as pn532 from '../../src/pn532/index.js';

export type Expected = pn532.DecoderEvent;

export interface Piece {
  bytes: number[];
  /** The event a decoder must report for this piece, when it is a valid frame. */
  event?: Expected;
}

/** A valid chip frame: response (normal or extended), ACK, NACK or error frame. */
export function validPiece(params: fc.Arbitrary<number[]>): fc.Arbitrary<Piece> {
  return fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 255 }), params).map(([code, p]) => ({
      bytes: pn532.responseFrame(code, p),
      event: { type: 'response', command: code, params: p } as Expected,
    })),
    fc.constant({ bytes: pn532.ACK_FRAME, event: { type: 'ack' } as Expected }),
    fc.constant({ bytes: pn532.NACK_FRAME, event: { type: 'nack' } as Expected }),
    fc.constant({ bytes: pn532.ERROR_FRAME, event: { type: 'error' } as Expected }),
  );
}

/** Splits `all` at random points into chunks. */
export function chunk(all: number[], cuts: number[]): number[][] {
  const points = cuts.map((c) => c % (all.length + 1)).sort((a, b) => a - b);
  const out: number[][] = [];
  let prev = 0;
  for (const p of points) {
    out.push(all.slice(prev, p));
    prev = p;
  }
  out.push(all.slice(prev));
  return out;
}
