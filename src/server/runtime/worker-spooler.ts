/**
 * Spool tasks run by worker 1 while the server starts no spooler processes: it scans the
 * `--spooler` directories every `--spooler-frequency` seconds (or `set_spooler_frequency`), and
 * at once after this process queued a task. Tasks are files, so one scanner per instance keeps a
 * task from running twice.
 * @module
 */
import type { SpoolerFunction } from "../../api.js";
import type { InstanceConfig } from "../../config/instance-config.js";
import { runSpoolPass } from "../../engines/spooler/spool-pass.js";

/** Worker 1's spool scanner. */
export class WorkerSpooler {
  #override = 0;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #again = false;

  constructor(
    private readonly config: InstanceConfig,
    private readonly hook: () => SpoolerFunction | null,
    private readonly log: (line: string, err?: unknown) => void,
  ) {}

  /** Directories this scanner serves (external ones are only targets). */
  dirs(): string[] {
    return this.config.spoolers.filter((s) => !s.external).map((s) => s.dir);
  }

  /** Starts the periodic scan. */
  start(): void {
    if (this.dirs().length > 0) this.#schedule(0);
  }

  /** Scans now (a task was just queued). */
  notify(): void {
    this.#schedule(0);
  }

  /** Seconds between scans: the override, else `--spooler-frequency`. */
  frequency(): number {
    return this.#override || this.config.spoolerFrequency;
  }

  /** Sets (seconds > 0) or clears (0) the scan-period override. */
  setFrequency(seconds: number): void {
    this.#override = seconds;
    if (!this.#running) this.#schedule(seconds * 1000 || this.frequency() * 1000);
  }

  #schedule(ms: number): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#pass(), ms);
    this.#timer.unref();
  }

  async #pass(): Promise<void> {
    this.#timer = null;
    this.#running = true;
    try {
      await runSpoolPass(this.dirs(), this.hook(), Date.now(), this.log);
    } finally {
      this.#running = false;
      const again = this.#again;
      this.#again = false;
      this.#schedule(again ? 0 : this.frequency() * 1000);
    }
  }
}
