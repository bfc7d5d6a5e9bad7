// Reads the images out of a PDF for tests: finds every image XObject, inflates it, undoes the PNG
// row predictors pdfkit keeps (/Predictor 15) and returns RGBA pixels, so a test can run a QR
// decoder on exactly what a printer would print.
import { inflateSync } from 'node:zlib';

export interface PdfImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

const num = (dict: string, key: string): number | undefined => {
  const m = new RegExp(`/${key}\\s+(\\d+)`).exec(dict);
  return m ? Number(m[1]) : undefined;
};

function unpredict(data: Buffer, columns: number, bpp: number): Buffer {
  const stride = columns * bpp;
  const rows = Math.floor(data.length / (stride + 1));
  const out = Buffer.alloc(rows * stride);
  for (let y = 0; y < rows; y++) {
    const filter = data[y * (stride + 1)];
    const src = data.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = out.subarray(y * stride, (y + 1) * stride);
    const prev = y ? out.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? row[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      let v: number;
      if (filter === 0) v = src[i];
      else if (filter === 1) v = src[i] + a;
      else if (filter === 2) v = src[i] + b;
      else if (filter === 3) v = src[i] + ((a + b) >> 1);
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v = src[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      } else throw new Error(`PNG filter ${filter}`);
      row[i] = v & 0xff;
    }
  }
  return out;
}

export function pdfImages(pdf: Buffer): PdfImage[] {
  const s = pdf.toString('latin1');
  const out: PdfImage[] = [];
  // Soft masks (alpha channels) are images too: skip them, keep the images that are drawn.
  const masks = new Set([...s.matchAll(/\/SMask\s+(\d+)\s+0\s+R/g)].map((m) => m[1]));
  for (const m of s.matchAll(/(\d+) 0 obj\s*<<((?:(?!endobj)[\s\S])*?)>>\s*stream\r?\n/g)) {
    const dict = m[2];
    if (masks.has(m[1]) || !/\/Subtype\s*\/Image/.test(dict)) continue;
    const cs = /\/ColorSpace\s*\/(DeviceRGB|DeviceGray)/.exec(dict)?.[1];
    const width = num(dict, 'Width');
    const height = num(dict, 'Height');
    const length = num(dict, 'Length');
    if (!cs || !width || !height || length === undefined || num(dict, 'BitsPerComponent') !== 8) continue;
    const start = m.index! + m[0].length;
    let data = pdf.subarray(start, start + length);
    if (/\/FlateDecode/.test(dict)) data = inflateSync(data);
    const colors = cs === 'DeviceRGB' ? 3 : 1;
    if ((num(dict, 'Predictor') ?? 1) >= 10) data = unpredict(data, width, colors);
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      const [r, g, b] =
        colors === 3 ? [data[i * 3], data[i * 3 + 1], data[i * 3 + 2]] : [data[i], data[i], data[i]];
      rgba.set([r, g, b, 255], i * 4);
    }
    out.push({ width, height, rgba });
  }
  return out;
}
