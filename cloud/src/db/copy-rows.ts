// COPY ... FROM STDIN text-format payload, written row by row into one growing buffer. A payload
// built by string concatenation is a rope of thousands of pieces that stays alive (and is copied
// by every young-generation GC) until it is flattened and UTF-8 encoded at send time; here each
// row string dies as soon as it is written, and the bytes live outside the JS heap.

export class CopyRows {
  private buf: Buffer;
  private len = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Appends text already escaped for COPY (rows end with `\n`). */
  push(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const need = this.len + text.length * 3;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    this.len += this.buf.write(text, this.len, 'utf8');
  }

  /** The payload written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}
