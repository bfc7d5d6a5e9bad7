// Generates hardware/pinouts.md and hardware/wiring/*.svg from hardware/pins.json, so the
// docs, the diagrams and the firmware board profiles cannot drift apart.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const boards = JSON.parse(readFileSync(`${root}hardware/pins.json`, 'utf8'));
delete boards.$comment;

/** The wires of one diagram: [mcu pin, part, part pin, colour]. */
function wires(b, transport) {
  const p = b.pn532;
  const out = [
    ['3V3', 'PN532', 'VCC', '#d33'],
    ['GND', 'PN532', 'GND', '#333'],
  ];
  if (transport === 'hsu')
    out.push([p.hsu.tx, 'PN532', 'RXD (SCL)', '#1a7'], [p.hsu.rx, 'PN532', 'TXD (SDA)', '#17a']);
  if (transport === 'i2c')
    out.push(
      [p.i2c.sda, 'PN532', 'SDA', '#17a'],
      [p.i2c.scl, 'PN532', 'SCL', '#1a7'],
      [p.i2c.irq, 'PN532', 'IRQ', '#a71'],
    );
  out.push([p.rstpdn, 'PN532', 'RSTPDN', '#a17']);
  out.push(
    [b.display.sda, 'OLED', 'SDA', '#17a'],
    [b.display.scl, 'OLED', 'SCL', '#1a7'],
    [b.buzzer, 'buzzer', '+', '#a71'],
    [b.ledGreen, 'LED green', 'anode (220 Ω)', '#2a2'],
    [b.ledRed, 'LED red', 'anode (220 Ω)', '#c22'],
    [b.buttonOk, 'button OK', 'to GND', '#555'],
    [b.buttonBack, 'button back', 'to GND', '#555'],
  );
  return out;
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

function svg(name, b, transport) {
  const w = wires(b, transport);
  const rowH = 26;
  const h = 90 + w.length * rowH;
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="${h}" viewBox="0 0 760 ${h}" font-family="sans-serif" font-size="13">`,
    `<title>${esc(name)} + PN532 (${transport.toUpperCase()}) wiring</title>`,
    `<rect x="0" y="0" width="760" height="${h}" fill="#fff"/>`,
    `<text x="20" y="28" font-size="17" font-weight="bold">${esc(name)} + PN532 over ${transport.toUpperCase()} — DIP switches: ${transport === 'hsu' ? '1 OFF, 2 OFF' : '1 ON, 2 OFF'}</text>`,
    `<rect x="20" y="50" width="200" height="${w.length * rowH + 20}" rx="8" fill="#eef" stroke="#336"/>`,
    `<text x="30" y="${66 + w.length * rowH}" fill="#336">${esc(b.mcu)}</text>`,
  ];
  let lastPart = '';
  w.forEach(([pin, part, partPin, colour], i) => {
    const y = 70 + i * rowH;
    lines.push(`<text x="30" y="${y + 4}">${esc(pin)}</text>`);
    lines.push(`<circle cx="220" cy="${y}" r="4" fill="${colour}"/>`);
    lines.push(`<line x1="220" y1="${y}" x2="520" y2="${y}" stroke="${colour}" stroke-width="2"/>`);
    lines.push(`<circle cx="520" cy="${y}" r="4" fill="${colour}"/>`);
    if (part !== lastPart) lines.push(`<text x="640" y="${y + 4}" font-weight="bold">${esc(part)}</text>`);
    lines.push(`<text x="530" y="${y + 4}">${esc(partPin)}</text>`);
    lastPart = part;
  });
  lines.push('</svg>');
  return `${lines.join('\n')}\n`;
}

const diagrams = [
  ['esp32-devkitc', 'hsu'],
  ['esp32-devkitc', 'i2c'],
  ['pico-w', 'hsu'],
];
mkdirSync(`${root}hardware/wiring`, { recursive: true });
for (const [board, transport] of diagrams) {
  writeFileSync(
    `${root}hardware/wiring/${board}-pn532-${transport}.svg`,
    svg(board, boards[board], transport),
  );
}

const md = [
  '# Pinouts',
  '',
  'Generated from [`pins.json`](pins.json) by `node scripts/gen-wiring.mjs`; do not edit by hand.',
  'The firmware board profiles use the same pins (a test checks they agree).',
  '',
  '## PN532 interface DIP switches',
  '',
  '| interface | switch 1 | switch 2 | notes |',
  '| --- | --- | --- | --- |',
  '| HSU (UART 115200) | OFF | OFF | preferred: no I²C clock-stretching trouble on ESP32; send the wake-up preamble `55 55 00 00 00` first |',
  '| I²C (address 0x24) | ON | OFF | on a bus of its own; the PN532 stretches SCL ≥ 440 µs |',
  '| SPI (LSB-first, mode 0, ≤ 1 MHz) | OFF | ON | wait ~1 ms after each command before polling the status |',
  '',
];
for (const [name, b] of Object.entries(boards)) {
  const p = b.pn532;
  md.push(`## ${name} — ${b.mcu}`, '', '| function | pin |', '| --- | --- |');
  md.push(`| PN532 HSU: MCU RX ← PN532 TXD | ${p.hsu.rx} (UART${p.hsu.uart}) |`);
  md.push(`| PN532 HSU: MCU TX → PN532 RXD | ${p.hsu.tx} |`);
  md.push(`| PN532 I²C SDA / SCL / IRQ | ${p.i2c.sda} / ${p.i2c.scl} / ${p.i2c.irq} (bus ${p.i2c.bus}) |`);
  md.push(
    `| PN532 SPI SCK / MISO / MOSI / SS | ${p.spi.sck} / ${p.spi.miso} / ${p.spi.mosi} / ${p.spi.ss} |`,
  );
  md.push(`| PN532 RSTPDN (hard reset from the watchdog) | ${p.rstpdn} |`);
  md.push(
    `| SSD1306 SDA / SCL (0x${b.display.address.toString(16)}) | ${b.display.sda} / ${b.display.scl} |`,
  );
  md.push(`| buzzer (PWM) | ${b.buzzer} |`, `| LED green / red | ${b.ledGreen} / ${b.ledRed} |`);
  md.push(`| buttons OK / back (to GND, internal pull-up) | ${b.buttonOk} / ${b.buttonBack} |`);
  md.push(
    `| self-pour valve MOSFET gate (10 kΩ pull-down) | ${b.valve} |`,
    `| flow meter pulses | ${b.flowMeter} |`,
    '',
  );
}
md.push(
  'Wiring diagrams: ' + diagrams.map(([b, t]) => `[${b} ${t}](wiring/${b}-pn532-${t}.svg)`).join(', ') + '.',
  '',
);
writeFileSync(`${root}hardware/pinouts.md`, md.join('\n'));
console.log(`wrote hardware/pinouts.md and ${diagrams.length} diagrams`);
