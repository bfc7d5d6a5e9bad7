/** NDEF: the Type 4 / Type 2 tag file holding the card's URL (NFC Forum RTD URI). */

const URI_PREFIXES = ['', 'http://www.', 'https://www.', 'http://', 'https://'];

function bytesToString(bytes: number[], start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** Parses the first record of an NDEF message if it is a well-known URI record ('U'). */
export function parseUriRecord(msg: number[]): string | undefined {
  if (msg.length < 4) return undefined;
  const header = msg[0];
  const shortRecord = (header & 0x10) !== 0;
  const typeLength = msg[1];
  let i = 2;
  let payloadLength: number;
  if (shortRecord) {
    payloadLength = msg[i];
    i += 1;
  } else {
    if (msg.length < 6) return undefined;
    payloadLength = msg[i] * 16777216 + msg[i + 1] * 65536 + msg[i + 2] * 256 + msg[i + 3];
    i += 4;
  }
  if ((header & 0x08) !== 0) i += 1 + msg[i]; // ID length present
  if ((header & 0x07) !== 0x01 || typeLength !== 1 || msg[i] !== 0x55) return undefined;
  i += 1;
  if (payloadLength < 1 || i + payloadLength > msg.length) return undefined;
  const code = msg[i];
  const prefix = code < URI_PREFIXES.length ? URI_PREFIXES[code] : '';
  return prefix + bytesToString(msg, i + 1, i + payloadLength);
}

/** Builds a short NDEF message with one URI record (https:// abbreviated). */
export function uriRecord(url: string): number[] {
  let code = 0;
  let rest = url;
  for (let c = URI_PREFIXES.length - 1; c > 0; c--) {
    const p = URI_PREFIXES[c];
    if (url.substring(0, p.length) === p) {
      code = c;
      rest = url.substring(p.length);
      break;
    }
  }
  const out = [0xd1, 0x01, rest.length + 1, 0x55, code];
  for (let i = 0; i < rest.length; i++) out.push(rest.charCodeAt(i));
  return out;
}

/** Finds the NDEF message TLV (0x03) in NTAG21x user memory (from page 4). */
export function findNdefTlv(memory: number[]): number[] | undefined {
  let i = 0;
  while (i < memory.length) {
    const t = memory[i];
    if (t === 0x00) {
      i++;
      continue;
    }
    if (t === 0xfe) return undefined;
    if (i + 1 >= memory.length) return undefined;
    let len = memory[i + 1];
    let start = i + 2;
    if (len === 0xff) {
      if (i + 3 >= memory.length) return undefined;
      len = memory[i + 2] * 256 + memory[i + 3];
      start = i + 4;
    }
    if (t === 0x03) return start + len <= memory.length ? memory.slice(start, start + len) : undefined;
    i = start + len;
  }
  return undefined;
}
