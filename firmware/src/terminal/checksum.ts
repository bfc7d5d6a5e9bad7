/** Adler-32 over a string's code units: detects a record torn by a power cut, portably. */
export function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    a = (a + (s.charCodeAt(i) % 256)) % 65521;
    b = (b + a) % 65521;
  }
  return b * 65536 + a;
}
