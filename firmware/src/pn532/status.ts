/**
 * PN532 status byte (UM0701 §7.1, error codes): returned first by InDataExchange, InRelease,
 * PowerDown… Bits 0-5 are the error code, bit 6 MI (more information), bit 7 NAD present.
 */
const NAMES: { [code: string]: string } = {
  '1': 'rf-timeout', // the target has not answered
  '2': 'crc-error',
  '3': 'parity-error',
  '4': 'bit-count-error', // during anticollision/select
  '5': 'framing-error', // MIFARE framing
  '6': 'bit-collision', // abnormal bit collision at 106 kbps
  '7': 'buffer-too-small', // communication buffer size insufficient
  '9': 'rf-buffer-overflow',
  '10': 'rf-field-timeout', // active mode: the RF field was not switched on in time
  '11': 'rf-protocol-error',
  '13': 'temperature-error',
  '14': 'internal-buffer-overflow',
  '16': 'invalid-parameter',
  '18': 'dep-unsupported-command',
  '19': 'data-format-mismatch', // DEP, MIFARE or ISO/IEC 14443-4
  '20': 'mifare-auth-error',
  '35': 'uid-check-byte-wrong',
  '37': 'dep-invalid-state',
  '38': 'operation-not-allowed',
  '39': 'wrong-context', // 0x27: unknown target number, target not in the right state…
  '41': 'target-released',
  '42': 'card-id-mismatch', // 14443-3B
  '43': 'card-disappeared', // 14443-3B
  '44': 'nfcid3-mismatch',
  '45': 'over-current',
  '46': 'nad-missing',
};

/** Error code of a status byte (0 = success). */
export function statusCode(status: number): number {
  return status % 64;
}

/** Name of a status error code, e.g. 0x01 → 'rf-timeout'; unknown codes → 'status-0xNN'. */
export function statusName(code: number): string {
  const n = NAMES['' + code];
  if (n !== undefined) return n;
  const hex = '0123456789abcdef';
  return 'status-0x' + hex.charAt(Math.floor(code / 16)) + hex.charAt(code % 16);
}
