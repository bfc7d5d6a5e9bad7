// Reads back a QR code rendered as SVG by the `qrcode` package (one stroked path: "M x y" moves,
// "m dx dy" relative moves, "h n" dark runs on row y-0.5), rasterised and decoded with jsQR:
// tests check what a phone camera would read, not the string handed to the renderer.
import jsqrModule from 'jsqr';

type JsQR = typeof import('jsqr').default;
/**
 * jsQR itself: the package is CommonJS, so a default import is its module object for TypeScript
 * (NodeNext) and Node, and the function for Vite's interop; both carry it.
 */
export const jsQR: JsQR =
  typeof jsqrModule === 'function'
    ? (jsqrModule as JsQR)
    : (jsqrModule as unknown as { default: JsQR }).default;

export function decodeQrSvg(svg: string, scale = 4): string | null {
  const size = Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)?.[1]);
  const d = /<path[^>]*stroke="#000000"[^>]*d="([^"]+)"/.exec(svg)?.[1];
  if (!size || !d) return null;
  const dark = new Uint8Array(size * size);
  let x = 0;
  let y = 0;
  for (const [, cmd, a, b] of d.matchAll(/([MmHh])\s*(-?[\d.]+)(?:\s+(-?[\d.]+))?/g)) {
    if (cmd === 'M') [x, y] = [Number(a), Number(b)];
    else if (cmd === 'm') [x, y] = [x + Number(a), y + Number(b)];
    else {
      for (let i = 0; i < Number(a); i++) dark[Math.floor(y) * size + x + i] = 1;
      x += Number(a);
    }
  }
  const w = size * scale;
  const rgba = new Uint8ClampedArray(w * w * 4).fill(255);
  for (let py = 0; py < w; py++)
    for (let px = 0; px < w; px++)
      if (dark[Math.floor(py / scale) * size + Math.floor(px / scale)])
        rgba.fill(0, (py * w + px) * 4, (py * w + px) * 4 + 3);
  return jsQR(rgba, w, w)?.data ?? null;
}
