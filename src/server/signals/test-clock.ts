/**
 * TEST-ONLY: the clock of the master's signal timers and crons can start at a chosen time, so a
 * test can watch a per-minute cron cross a minute boundary within seconds instead of waiting for
 * the wall clock. `UWSGI_NODE_TEST_CLOCK_START` (epoch milliseconds, or an ISO 8601 date) in the
 * master's environment makes the scheduler's clock read that time at its first reading (when the
 * first timer or cron is added: `--timer` options at start, else the first `add_timer`/`add_cron`
 * an app makes at import), then advance with real time. Starting on the first addition keeps a
 * test independent of how long the processes took to start. Nothing else (command crons, logs,
 * the apps) sees it. Production never sets it; the master logs a warning line whenever it is set.
 * @module
 */
import { systemClock, type Clock } from "../../core/clock.js";

/** The environment variable (test-only). */
export const TEST_CLOCK_ENV = "UWSGI_NODE_TEST_CLOCK_START";

/**
 * The clock of the master's signal scheduler: the wall clock, or the test clock when
 * {@link TEST_CLOCK_ENV} is set (a malformed value is logged and ignored).
 */
export function signalSchedulerClock(env: NodeJS.ProcessEnv, log: (line: string) => void): Clock {
  const raw = env[TEST_CLOCK_ENV];
  if (raw === undefined || raw === "") return systemClock;
  const start = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(start)) {
    log(`${TEST_CLOCK_ENV}=${JSON.stringify(raw)} is neither epoch milliseconds nor an ISO date: ignored, signal timers and crons use the wall clock`);
    return systemClock;
  }
  log(`*** ${TEST_CLOCK_ENV} is set (test-only): signal timers and crons run on a clock reading ${new Date(start).toISOString()} when the first one is added ***`);
  let offset: number | null = null;
  return {
    nowMs(): number {
      const now = Date.now();
      offset ??= start - now;
      return now + offset;
    },
  };
}
