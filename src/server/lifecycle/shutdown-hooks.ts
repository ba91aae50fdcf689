/**
 * The app's chance to clean up before its worker exits on a graceful stop, a reload or
 * recycling (`--max-requests`, `--reload-on-rss`). Once the worker has stopped accepting and
 * its requests in flight are done, it runs, one after another and each awaited:
 *
 * 1. the process's `SIGTERM` listeners (what Node servers register for a graceful shutdown),
 *    unless a real SIGTERM already ran them;
 * 2. the app's own close: `fastify.close()` for an exported Fastify instance (its `onClose`
 *    hooks run), `server.close()` for an exported `http.Server` (its `'close'` listeners run);
 * 3. `uwsgi.atexit`, when the app set it (uWSGI calls it as the worker exits).
 *
 * Everything must finish within `--worker-reload-mercy` seconds of the stop: the master kills the
 * worker then. A hook that throws or rejects is logged and the next one still runs. An immediate
 * stop (SIGQUIT, a second SIGTERM, master FIFO `Q`), a harakiri or a crash runs none of them.
 * @module
 */

/** What {@link runShutdownHooks} calls. */
export interface ShutdownHooks {
  /** The app's close (app-loader.ts), if its kind has one. */
  readonly appClose: (() => Promise<unknown>) | null;
  /** The `uwsgi` module object the app sees (its `atexit` is read at shutdown). */
  readonly module: { readonly atexit?: unknown } | null;
  /** The worker's own SIGTERM listener, which is not the app's. */
  readonly ownSigterm: (...args: unknown[]) => void;
  /** True when a real SIGTERM reached the worker: Node has already called the listeners. */
  readonly sigtermDelivered: boolean;
}

/** Runs the app's shutdown hooks in order, awaiting each; failures are logged, never thrown. */
export async function runShutdownHooks(hooks: ShutdownHooks, log: (line: string) => void): Promise<void> {
  const steps: Array<[string, () => unknown]> = [];
  if (!hooks.sigtermDelivered) {
    for (const listener of process.listeners("SIGTERM")) {
      if (listener !== hooks.ownSigterm) steps.push(["a SIGTERM listener", () => (listener as (signal: NodeJS.Signals) => unknown).call(process, "SIGTERM")]);
    }
  }
  if (hooks.appClose) steps.push(["the app's close()", hooks.appClose]);
  const atexit = hooks.module?.atexit;
  if (typeof atexit === "function") steps.push(["uwsgi.atexit", () => (atexit as () => unknown)()]);
  for (const [what, run] of steps) {
    try {
      await run();
    } catch (err) {
      log(`worker ${process.pid}: ${what} failed during shutdown: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
}
