/**
 * Board profiles for the Espruino build. They mirror hardware/pins.json (the single source of
 * the pin assignments; test/espruino/boards.test.ts checks they agree). Pins keep the names of
 * the board's documentation (GPIO16, GP5); `espruinoPin()` turns them into Espruino's (D16, D5).
 */

export interface BoardProfile {
  /** Profile id, as in hardware/pins.json; also the `board` field of the hello message. */
  id: string;
  /** Espruino's `process.env.BOARD` values that select this profile by default. */
  espruinoBoards: string[];
  pn532: {
    hsu: { uart: number; rx: string; tx: string; baud: number };
    i2c: { bus: number; sda: string; scl: string; address: number; irq: string };
    spi: { bus: number; sck: string; miso: string; mosi: string; ss: string };
    rstpdn: string;
  };
  display: { chip: string; bus: number; sda: string; scl: string; address: number };
  buzzer: string;
  ledGreen: string;
  ledRed: string;
  buttonOk: string;
  buttonBack: string;
  valve: string;
  flowMeter: string;
}

export const BOARDS: BoardProfile[] = [
  {
    id: 'esp32-devkitc',
    espruinoBoards: ['ESP32'],
    pn532: {
      hsu: { uart: 2, rx: 'GPIO16', tx: 'GPIO17', baud: 115200 },
      i2c: { bus: 1, sda: 'GPIO26', scl: 'GPIO25', address: 36, irq: 'GPIO34' },
      spi: { bus: 2, sck: 'GPIO18', miso: 'GPIO19', mosi: 'GPIO23', ss: 'GPIO5' },
      rstpdn: 'GPIO4',
    },
    display: { chip: 'SSD1306', bus: 0, sda: 'GPIO21', scl: 'GPIO22', address: 60 },
    buzzer: 'GPIO27',
    ledGreen: 'GPIO32',
    ledRed: 'GPIO33',
    buttonOk: 'GPIO13',
    buttonBack: 'GPIO14',
    valve: 'GPIO2',
    flowMeter: 'GPIO35',
  },
  {
    id: 'pico-w',
    espruinoBoards: ['RPI_PICO_W', 'PICO_W', 'RASPBERRYPI_PICO_W', 'PICOW'],
    pn532: {
      hsu: { uart: 1, rx: 'GP5', tx: 'GP4', baud: 115200 },
      i2c: { bus: 1, sda: 'GP6', scl: 'GP7', address: 36, irq: 'GP21' },
      spi: { bus: 0, sck: 'GP18', miso: 'GP16', mosi: 'GP19', ss: 'GP17' },
      rstpdn: 'GP20',
    },
    display: { chip: 'SSD1306', bus: 0, sda: 'GP12', scl: 'GP13', address: 60 },
    buzzer: 'GP15',
    ledGreen: 'GP14',
    ledRed: 'GP10',
    buttonOk: 'GP2',
    buttonBack: 'GP3',
    valve: 'GP22',
    flowMeter: 'GP26',
  },
];

/** 'GPIO16' → 'D16', 'GP5' → 'D5'; a name already in Espruino's form is kept. */
export function espruinoPin(name: string): string {
  let digits = '';
  for (let i = name.length - 1; i >= 0; i--) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) break;
    digits = name.charAt(i) + digits;
  }
  if (name.charAt(0) === 'D' || digits === '') return name;
  return 'D' + digits;
}

/** The profile named `id`, else the one whose Espruino board is `envBoard`, else the first. */
export function findBoard(id: string | undefined, envBoard: string | undefined): BoardProfile {
  for (let i = 0; i < BOARDS.length; i++) if (BOARDS[i].id === id) return BOARDS[i];
  for (let i = 0; i < BOARDS.length; i++) {
    const names = BOARDS[i].espruinoBoards;
    for (let j = 0; j < names.length; j++) if (names[j] === envBoard) return BOARDS[i];
  }
  return BOARDS[0];
}
