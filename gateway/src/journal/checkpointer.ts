/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit that
 * crosses 1,000 WAL pages, and with synchronous=NORMAL it fsyncs the WAL and the database file
 * there: under a tap load the event loop stalled for milliseconds every few hundred taps (60 % of
 * the journal's main-thread time in a measurement; the p99 of every tap in flight meanwhile).
 * Here a worker thread with its own connection to the same database runs PASSIVE checkpoints,
 * which never block the writer; the journal's connection turns its automatic checkpoint off.
 * SQLite's locking keeps the two connections consistent, and a crash of either is a crash SQLite
 * recovers from. The writer restarts the WAL from its start once a checkpoint has caught up.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// CommonJS, run by the worker thread (eval): one connection, one PASSIVE checkpoint per request.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path);
db.pragma('synchronous = NORMAL'); // a checkpoint fsyncs the WAL before and the database after
const closed = new Int32Array(workerData.closed);
parentPort.on('message', (m) => {
  if (m === 'close') {
    try { db.close(); } finally {
      Atomics.store(closed, 0, 1);
      Atomics.notify(closed, 0);
      parentPort.close();
    }
    return;
  }
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.message) });
  }
});
`;

const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
/** How long close() waits for a checkpoint in progress to end before it gives up on the worker. */
const CLOSE_WAIT_MS = 10_000;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly closed = new Int32Array(new SharedArrayBuffer(4));
  private running = false;
  private failed = false;

  /** `done(walFrames, checkpointed)` after each checkpoint: equal when it caught up with the writer. */
  constructor(
    path: string,
    private readonly done: (walFrames: number, checkpointed: number) => void,
  ) {
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { path, sqlite: sqlitePath, closed: this.closed.buffer },
    });
    this.worker.unref();
    this.worker.on('message', (r: { log: number; checkpointed: number; error?: string }) => {
      this.running = false;
      if (r.error !== undefined) this.failed = true;
      this.done(r.log ?? 0, r.checkpointed ?? 0);
    });
    this.worker.on('error', () => {
      this.running = false;
      this.failed = true;
      this.done(0, 0);
    });
  }

  /** False when the worker failed: the caller goes back to SQLite's own checkpoints. */
  get healthy(): boolean {
    return !this.failed;
  }

  /** Asks for a checkpoint unless one is running. */
  request(): void {
    if (this.running || this.failed) return;
    this.running = true;
    this.worker.postMessage('checkpoint');
  }

  /**
   * Closes the worker's connection before the journal closes its own (synchronously: the
   * journal's close() is). Waits for a checkpoint in progress to finish.
   */
  close(): void {
    if (this.failed) {
      void this.worker.terminate();
      return;
    }
    this.worker.postMessage('close');
    Atomics.wait(this.closed, 0, 0, CLOSE_WAIT_MS);
  }
}
