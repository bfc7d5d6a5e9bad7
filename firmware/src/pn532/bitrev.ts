/** Bit reversal of a byte: the PN532 speaks SPI LSB-first while the HAL SPI shifts MSB-first. */
const TABLE: number[] = [];
for (let i = 0; i < 256; i++) {
  let v = i;
  let r = 0;
  for (let k = 0; k < 8; k++) {
    r = r * 2 + (v % 2);
    v = Math.floor(v / 2);
  }
  TABLE.push(r);
}

export function reverseBits(b: number): number {
  return TABLE[b];
}

export function reverseAll(bytes: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(TABLE[bytes[i]]);
  return out;
}
