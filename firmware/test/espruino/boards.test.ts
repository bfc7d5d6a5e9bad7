/** The board profiles of the Espruino and NodeMCU targets mirror hardware/pins.json. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BOARDS, espruinoPin, findBoard } from '../../targets/espruino/boards.js';

const pins = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../hardware/pins.json'), 'utf8'),
) as Record<string, unknown>;

describe('board profiles', () => {
  it('match hardware/pins.json, board by board', () => {
    const ids = Object.keys(pins).filter((k) => !k.startsWith('$'));
    expect(BOARDS.map((b) => b.id).sort()).toEqual(ids.sort());
    for (const b of BOARDS) {
      const { id: _id, espruinoBoards: _e, ...profile } = b;
      const { mcu: _mcu, ...expected } = pins[b.id] as Record<string, unknown>;
      expect(profile, b.id).toEqual(expected);
    }
  });

  it('map pin names to Espruino names and pick the profile from the Espruino board', () => {
    expect(espruinoPin('GPIO16')).toBe('D16');
    expect(espruinoPin('GP5')).toBe('D5');
    expect(espruinoPin('D4')).toBe('D4');
    expect(findBoard(undefined, 'ESP32').id).toBe('esp32-devkitc');
    expect(findBoard(undefined, 'RPI_PICO_W').id).toBe('pico-w');
    expect(findBoard('pico-w', 'ESP32').id).toBe('pico-w');
  });
});
