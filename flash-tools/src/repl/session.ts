/**
 * A line-oriented REPL conversation over a serial link. Every command the flasher sends makes
 * the board print one framed reply line, `@@OK <value>` or `@@ERR <message>`, whatever the
 * echo, prompts (`>`, `> `) or boot chatter around it: the session skips everything else.
 */
import { FlashError } from '../errors.js';
import type { Link } from '../ports/link.js';

export interface Reply {
  ok: boolean;
  value: string;
}

export class ReplSession {
  private buffer = '';
  /** Every byte received, for error messages and debugging. */
  transcript = '';
  private waiters: { tag: string; resolve: (line: string) => void }[] = [];
  private readonly unsubscribe: () => void;

  constructor(readonly link: Link) {
    this.unsubscribe = link.onData((chunk) => this.onData(chunk.toString('latin1')));
  }

  private onData(text: string): void {
    this.transcript = (this.transcript + text).slice(-4096);
    this.buffer += text;
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.onLine(line);
    }
  }

  private onLine(raw: string): void {
    const line = raw.replace(/^(?:>\s?)+/, ''); // prompts glued to the output when echo is off
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i];
      if (line.startsWith(w.tag)) {
        this.waiters.splice(i, 1);
        w.resolve(line.slice(w.tag.length));
        return;
      }
    }
  }

  /** Forgets buffered output (before a new conversation). */
  clear(): void {
    this.buffer = '';
    this.transcript = '';
  }

  /** Resolves with the rest of the first line starting with one of `tags`, or undefined after timeoutMs. */
  waitFor(tags: string[], timeoutMs: number): Promise<{ tag: string; rest: string } | undefined> {
    return new Promise((resolve) => {
      const mine: { tag: string; resolve: (line: string) => void }[] = [];
      const done = (v: { tag: string; rest: string } | undefined) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => !mine.includes(w));
        resolve(v);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      for (const tag of tags) mine.push({ tag, resolve: (rest) => done({ tag, rest }) });
      this.waiters.push(...mine);
    });
  }

  /** Sends one line and waits for its framed reply. */
  async call(line: string, timeoutMs: number, what: string): Promise<Reply> {
    const reply = this.waitFor(['@@OK', '@@ERR'], timeoutMs);
    await this.link.write(line);
    const r = await reply;
    if (!r)
      throw new FlashError(
        'no-reply',
        `${this.link.path}: no answer to ${what} within ${timeoutMs} ms (the board stopped responding: check the cable and power)`,
      );
    return { ok: r.tag === '@@OK', value: r.rest.replace(/^ /, '') };
  }

  close(): void {
    this.unsubscribe();
    for (const w of this.waiters) w.resolve('');
    this.waiters = [];
  }
}
