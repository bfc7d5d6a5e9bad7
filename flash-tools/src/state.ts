/** The batch state file: which steps each device finished, so an interrupted batch resumes. Never holds keys. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface DeviceState {
  path: string;
  board?: string;
  steps: string[];
  at: string;
}

export interface BatchStateData {
  version: 1;
  devices: Record<string, DeviceState>;
}

export class BatchState {
  private data: BatchStateData = { version: 1, devices: {} };

  constructor(readonly file: string | undefined) {
    if (file && existsSync(file)) {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as BatchStateData;
      if (parsed.version === 1 && parsed.devices) this.data = parsed;
    }
  }

  done(key: string, step: string): boolean {
    return this.data.devices[key]?.steps.includes(step) ?? false;
  }

  mark(key: string, path: string, step: string, board?: string): void {
    const d = this.data.devices[key] ?? { path, steps: [], at: '' };
    d.path = path;
    if (board) d.board = board;
    if (!d.steps.includes(step)) d.steps.push(step);
    d.at = new Date().toISOString();
    this.data.devices[key] = d;
    this.save();
  }

  /** Synchronous write + rename: jobs run on one thread, so marks never interleave. */
  private save(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, `${JSON.stringify(this.data, null, 2)}\n`);
    renameSync(`${this.file}.tmp`, this.file);
  }

  snapshot(): BatchStateData {
    return structuredClone(this.data);
  }
}
