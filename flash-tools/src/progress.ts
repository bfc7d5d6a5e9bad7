/** Progress bars for a terminal (cli-progress), or nothing when the output is not a TTY or is JSON. */
import cliProgress from 'cli-progress';
import type { BatchProgress } from './batch.js';

export function barsProgress(stream: NodeJS.WriteStream = process.stderr): BatchProgress {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: ' {port} [{bar}] {percentage}% {step}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  const width = 16;
  return {
    start: (path) => {
      bars.set(path, multi.create(100, 0, { port: path.padEnd(width), step: 'opening' }));
    },
    update: (path, fraction, step) => bars.get(path)?.update(Math.round(fraction * 100), { step }),
    finish: (path, ok) =>
      bars
        .get(path)
        ?.update(ok ? 100 : (bars.get(path)?.getProgress() ?? 0) * 100, { step: ok ? 'done' : 'FAILED' }),
    stop: () => multi.stop(),
  };
}

export function silentProgress(): BatchProgress {
  return { start: () => {}, update: () => {}, finish: () => {}, stop: () => {} };
}
