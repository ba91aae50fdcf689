/**
 * A worker's request log: lines batched for at most a few milliseconds (`line-batcher.ts`) and
 * appended by the worker itself to the descriptor the master handed it (one write per batch, see
 * `log-file.ts`), or, with `--log-master`, written to the worker's stdout for the master to
 * collect. With `--memory-report` every line starts with the worker's memory, as uWSGI writes it.
 * @module
 */
import { processMemory } from "../../module/process-memory.js";
import { LineBatcher } from "../line-batcher.js";
import type { RequestLogPlan } from "./instance-logs.js";
import { LogFile } from "./log-file.js";

/** What the worker calls. */
export interface WorkerRequestLog {
  /** Queues one request line (without its newline). */
  line(text: string): void;
  /** Writes what is queued now (before exiting). */
  flush(): void;
  /** Reopens the log file (the master rotated or moved it). */
  reopen(): void;
}

const MB = 1024 * 1024;

/** uWSGI's `--memory-report` prefix: `{address space usage: N bytes/NMB} {rss usage: N bytes/NMB} `. */
export function memoryReportPrefix(rss: number, vsz: number): string {
  return `{address space usage: ${vsz} bytes/${Math.floor(vsz / MB)}MB} {rss usage: ${rss} bytes/${Math.floor(rss / MB)}MB} `;
}

/**
 * The request log of a worker.
 * @param plan the descriptor and path from the master; null: through the master (stdout).
 * @param memoryReport prefix every line with the worker's memory (`--memory-report`).
 */
export function workerRequestLog(plan: RequestLogPlan | null, memoryReport: boolean): WorkerRequestLog {
  const file = plan === null ? null : new LogFile({ fd: plan.fd, path: plan.path });
  const batcher = new LineBatcher(file === null ? (text) => process.stdout.write(text) : (text) => file.write(text));
  // whatever way the worker exits (an uncaught exception included), the queued lines are written
  process.on("exit", () => {
    batcher.flush();
    file?.flushSync();
  });
  return {
    line: memoryReport
      ? (text) => {
          const [rss, vsz] = processMemory();
          batcher.line(memoryReportPrefix(rss, vsz) + text);
        }
      : (text) => batcher.line(text),
    flush() {
      batcher.flush();
      file?.flushSync();
    },
    reopen() {
      if (!file) return;
      batcher.flush();
      try {
        file.reopen();
      } catch (err) {
        process.stderr.write(`worker ${process.pid}: cannot reopen the request log ${plan?.path}: ${(err as Error).message}\n`);
      }
    },
  };
}
