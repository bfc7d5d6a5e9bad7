// A background job of the running cloud (email outbox, retention purge, checkpoint signing): one
// round at a time, the next `intervalMs` after the previous one ended, so a slow round never
// overlaps the next. Its timer alone does not keep the process alive (the server does).

export interface Rounds {
  /** Starts a round now unless one is running (the next follows `intervalMs` after it ends). */
  kick(): void;
  /** Waits for a round in progress, then stops. */
  stop(): Promise<void>;
}

/** Runs `round` now and then every `intervalMs` after each end; a failed round goes to `failed`. */
export function everyInterval(
  round: () => Promise<void>,
  intervalMs: number,
  failed: (err: Error) => void,
): Rounds {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const kick = (): void => {
    if (stopped || running) return;
    if (timer) clearTimeout(timer);
    timer = undefined;
    running = round()
      .catch(failed)
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(kick, intervalMs).unref();
      });
  };
  kick();
  return {
    kick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
