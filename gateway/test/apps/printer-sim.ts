// A network thermal printer (raw TCP, like port 9100) that decodes the ESC/POS it receives:
// init (ESC @), code page (ESC t), bold (ESC E), alignment (ESC a), size (GS !), feed (ESC d),
// cut (GS V). Each connection is one job: lines of text (code page 858 decoded) with their
// bold/size/alignment, and whether the paper was cut. Unknown commands are recorded.
import net from 'node:net';

// Code page 858, bytes 0x80..0xFF (decoded independently of the encoder under test).
const HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈ€ÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u00ad±‗¾¶§÷¸°¨·¹³²■\u00a0';

export interface PrintedLine {
  text: string;
  bold: boolean;
  /** GS ! n: width and height multipliers. */
  w: number;
  h: number;
  align: 'left' | 'center' | 'right';
}

export interface Job {
  lines: PrintedLine[];
  inits: number;
  codePage: number | null;
  cut: boolean;
  feeds: number;
  unknown: string[];
  raw: Buffer;
}

export function decodeEscPos(b: Buffer): Job {
  const job: Job = { lines: [], inits: 0, codePage: null, cut: false, feeds: 0, unknown: [], raw: b };
  let bold = false;
  let w = 1;
  let h = 1;
  let align: PrintedLine['align'] = 'left';
  let text = '';
  let lineBold = false;
  const flush = () => {
    job.lines.push({ text, bold: lineBold || bold, w, h, align });
    text = '';
    lineBold = false;
  };
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 0x1b) {
      const cmd = b[++i];
      if (cmd === 0x40) {
        job.inits++;
        bold = false;
        w = h = 1;
        align = 'left';
      } else if (cmd === 0x45) bold = (b[++i] & 1) === 1;
      else if (cmd === 0x61) align = (['left', 'center', 'right'] as const)[b[++i] % 48] ?? 'left';
      else if (cmd === 0x74) job.codePage = b[++i];
      else if (cmd === 0x64) job.feeds += b[++i];
      else job.unknown.push(`ESC ${cmd?.toString(16)}`);
    } else if (c === 0x1d) {
      const cmd = b[++i];
      if (cmd === 0x21) {
        const n = b[++i];
        w = (n >> 4) + 1;
        h = (n & 15) + 1;
      } else if (cmd === 0x56) {
        const m = b[++i];
        if (m === 65 || m === 66) i++; // GS V m n
        job.cut = true;
      } else job.unknown.push(`GS ${cmd?.toString(16)}`);
    } else if (c === 0x0a) flush();
    else if (c >= 0x20 && c < 0x7f) {
      if (bold) lineBold = true;
      text += String.fromCharCode(c);
    } else if (c >= 0x80) {
      if (bold) lineBold = true;
      text += HIGH[c - 0x80];
    } else job.unknown.push(`ctl ${c.toString(16)}`);
  }
  if (text) flush();
  return job;
}

export async function printerSim() {
  const jobs: Job[] = [];
  const waiters: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    const chunks: Buffer[] = [];
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => {
      jobs.push(decodeEscPos(Buffer.concat(chunks)));
      for (const w of waiters.splice(0)) w();
      s.end();
    });
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    jobs,
    /** Waits for the n-th job (1-based). */
    job(n: number, ms = 3000): Promise<Job> {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(
          () => reject(new Error(`no print job #${n} within ${ms} ms (${jobs.length})`)),
          ms,
        );
        const check = () => {
          if (jobs.length >= n) {
            clearTimeout(deadline);
            resolve(jobs[n - 1]);
          } else waiters.push(check);
        };
        check();
      });
    },
    text: (j: Job) => j.lines.map((l) => l.text).join('\n'),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
