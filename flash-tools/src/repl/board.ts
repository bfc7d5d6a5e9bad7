/** What the flasher needs from a board's REPL, whichever interpreter runs on it. */
import type { ReplSession } from './session.js';

export type BoardKind = 'espruino' | 'nodemcu';

export interface FileSum {
  size: number;
  sum: number;
}

export interface BoardFiles {
  /** Where the firmware bundle goes. */
  firmware: string;
  /** The file the interpreter runs at boot (written last, only after the bundle verified). */
  boot: string;
  /** Provisioning record (JSON). */
  provision: string;
}

export interface BoardRepl {
  readonly kind: BoardKind;
  readonly path: string;
  readonly session: ReplSession;
  readonly files: BoardFiles;
  /** Interpreter version, e.g. "2v29" or "3.0.0". */
  version(): Promise<string>;
  /** Stops whatever runs on the board so it listens to the REPL only. */
  quiesce(): Promise<void>;
  writeFile(
    name: string,
    data: Uint8Array,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void>;
  /** Size and checksum of a stored file as the board computes them, undefined when absent. */
  fileSum(name: string): Promise<FileSum | undefined>;
  /** The same checksum computed here. */
  localSum(data: Uint8Array): number;
  removeFile(name: string): Promise<void>;
  /** Boot code that runs the firmware file. */
  bootStub(): string;
  /** Runs the firmware's maintenance self-test; resolves with its JSON report. */
  selftest(timeoutMs: number): Promise<unknown>;
  /** Restarts the board into its boot code (no reply expected). */
  reboot(): Promise<void>;
  close(): Promise<void>;
}
