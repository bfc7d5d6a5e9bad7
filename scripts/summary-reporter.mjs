// Prints the plain closing line CI counts: "N passed, N failed, N skipped", and, while the run
// goes on, says which files and tests are still running whenever nothing has finished for a while
// (a CI run that stalls then names what it waits for instead of ending in a bare timeout).
const STALL_REPORT_MS = Number(process.env.TB_STALL_REPORT_MS) || 120_000;
const STALLS_BEFORE_EXIT = 4;

export default class SummaryReporter {
  /** moduleId → { started, test } */
  running = new Map();
  lastProgress = Date.now();
  stalls = 0;
  timer;

  onInit() {
    this.timer = setInterval(() => this.reportStall(), 15_000);
    this.timer.unref();
  }

  onTestModuleStart(mod) {
    this.running.set(mod.moduleId, { started: Date.now(), test: '' });
    this.lastProgress = Date.now();
  }

  onTestCaseReady(test) {
    const r = this.running.get(test.module.moduleId);
    if (r) r.test = test.fullName;
  }

  onTestCaseResult() {
    this.lastProgress = Date.now();
    this.stalls = 0;
  }

  onTestModuleEnd(mod) {
    this.running.delete(mod.moduleId);
    this.lastProgress = Date.now();
    this.stalls = 0;
  }

  reportStall() {
    const idle = Date.now() - this.lastProgress;
    if (idle < STALL_REPORT_MS || this.running.size === 0) return;
    const lines = [...this.running].map(
      ([id, r]) =>
        `  ${id.replace(`${process.cwd()}/`, '')} (${Math.round((Date.now() - r.started) / 1000)} s)${r.test ? `: ${r.test}` : ''}`,
    );
    process.stderr.write(
      `\n[stall] nothing finished for ${Math.round(idle / 1000)} s; still running:\n${lines.join('\n')}\n`,
    );
    this.lastProgress = Date.now(); // next report after another quiet period
    // No test takes this long: end a stalled run with a verdict rather than a CI timeout.
    if (++this.stalls >= STALLS_BEFORE_EXIT) {
      process.stdout.write('\n[stall] giving up on the stalled run\n0 passed, 1 failed, 0 skipped\n');
      process.exit(1);
    }
  }

  onTestRunEnd(testModules, unhandledErrors) {
    clearInterval(this.timer);
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that fails to load, or whose hooks fail while every test passed, must not hide.
      const tests = [...mod.children.allTests()];
      if (mod.state() === 'failed' && !tests.some((t) => t.result().state === 'failed')) failed++;
    }
    failed += unhandledErrors?.length ?? 0;
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
