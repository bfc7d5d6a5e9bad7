/** `label`: a box label with a QR code of the device id, as SVG or PNG. */
import QRCode from 'qrcode';
import { GLYPH_H, GLYPH_W, glyph } from './font5x7.js';
import { encodePng } from './png.js';

export interface LabelInput {
  deviceId: string;
  /** Second line, e.g. the venue or the board. */
  subtitle?: string;
}

const MARGIN = 4; // quiet zone, in modules

function qrMatrix(text: string): { size: number; dark: (r: number, c: number) => boolean } {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  return { size: qr.modules.size, dark: (r, c) => qr.modules.get(r, c) === 1 };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function labelSvg(l: LabelInput): string {
  const m = qrMatrix(l.deviceId);
  const unit = 4; // px per module
  const qrPx = (m.size + 2 * MARGIN) * unit;
  const width = Math.max(qrPx, 8 * l.deviceId.length + 40);
  const height = qrPx + (l.subtitle ? 44 : 26);
  const x0 = (width - qrPx) / 2 + MARGIN * unit;
  let d = '';
  for (let r = 0; r < m.size; r++)
    for (let c = 0; c < m.size; c++)
      if (m.dark(r, c)) d += `M${x0 + c * unit} ${MARGIN * unit + r * unit}h${unit}v${unit}h-${unit}z`;
  const text = (y: number, s: string, size: number) =>
    `<text x="${width / 2}" y="${y}" font-family="DejaVu Sans Mono, monospace" font-size="${size}" text-anchor="middle">${escapeXml(s)}</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${escapeXml(l.deviceId)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<path d="${d}" fill="#000" shape-rendering="crispEdges"/>`,
    text(qrPx + 8, l.deviceId, 14),
    l.subtitle ? text(qrPx + 28, l.subtitle, 11) : '',
    '</svg>',
    '',
  ].join('\n');
}

export function labelPng(l: LabelInput): Buffer {
  const m = qrMatrix(l.deviceId);
  const unit = 6;
  const textScale = 2;
  const lines = [l.deviceId, ...(l.subtitle ? [l.subtitle] : [])];
  const qrPx = (m.size + 2 * MARGIN) * unit;
  const textW = Math.max(...lines.map((s) => s.length)) * (GLYPH_W + 1) * textScale + 16;
  const width = Math.max(qrPx, textW);
  const lineH = (GLYPH_H + 3) * textScale;
  const height = qrPx + lines.length * lineH + 8;
  const px = new Uint8Array(width * height).fill(255);
  const fill = (x: number, y: number, w: number, h: number) => {
    for (let yy = y; yy < y + h; yy++) px.fill(0, yy * width + x, yy * width + x + w);
  };
  const x0 = Math.floor((width - qrPx) / 2) + MARGIN * unit;
  for (let r = 0; r < m.size; r++)
    for (let c = 0; c < m.size; c++)
      if (m.dark(r, c)) fill(x0 + c * unit, MARGIN * unit + r * unit, unit, unit);
  lines.forEach((s, i) => {
    const w = s.length * (GLYPH_W + 1) * textScale;
    let x = Math.floor((width - w) / 2);
    const y = qrPx + i * lineH;
    for (const ch of s) {
      const rows = glyph(ch);
      for (let gy = 0; gy < rows.length; gy++) {
        for (let gx = 0; gx < rows[gy].length; gx++) {
          if (rows[gy][gx]) fill(x + gx * textScale, y + gy * textScale, textScale, textScale);
        }
      }
      x += (GLYPH_W + 1) * textScale;
    }
  });
  return encodePng({ width, height, pixels: px });
}
