/**
 * The master's side of the instance's logs: which descriptor the workers append their request
 * lines to (the log, the `--req-logger` file, or standard error), and keeping every process on the
 * current file when the log is reopened or rotated (`--log-maxsize`, `--touch-logreopen`,
 * `--touch-logrotate`, `--log-reopen` on reload, the master FIFO's `l`/`L`).
 *
 * Reopening: the master reopens its descriptors, then tells every worker (`log-reopen`), which
 * reopens the path itself; a worker spawned later inherits the new descriptor. Lines a worker
 * writes before it has reopened land in the previous (renamed) file, whole: none is lost.
 * @module
 */
import { execFileSync } from "node:child_process";
import type { LogSink } from "../log-sink.js";
import { TouchWatcher } from "../touch-watcher.js";
import type { Privileges } from "../privileges.js";
import { LogFile } from "./log-file.js";
import type { LogSettings } from "./log-settings.js";

/** What a worker needs to write its request lines (part of its plan). */
export interface RequestLogPlan {
  /** Descriptor number in the worker (inherited through its stdio). */
  readonly fd: number;
  /** Path to reopen when told to; null for standard error. */
  readonly path: string | null;
}

/** The logs of one instance, as the master holds them. */
export class InstanceLogs {
  readonly #sink: LogSink;
  readonly #settings: LogSettings;
  /** `--req-logger file:`: the request log's own file; null when request lines go to the log or stderr. */
  readonly #requestFile: LogFile | null;
  readonly #watchers: TouchWatcher[] = [];

  /**
   * @param onReopen called once the master's files are reopened (the master tells the workers).
   */
  constructor(sink: LogSink, settings: LogSettings, onReopen: () => void) {
    this.#sink = sink;
    this.#settings = settings;
    const req = settings.requestLog;
    this.#requestFile = req.kind === "file" ? new LogFile({ path: req.path }, "req-logger") : null;
    sink.onReopen = () => {
      try {
        this.#requestFile?.reopen();
      } catch (err) {
        sink.line(`cannot reopen the request log ${this.#requestFile?.path}: ${(err as Error).message}`);
      }
      onReopen();
    };
  }

  /** Whether request lines go through the master's pipe (`--log-master` with requests logged to the log). */
  get requestsViaMaster(): boolean {
    return this.#settings.viaMaster && this.#settings.requestLog.kind === "log";
  }

  /** The master-side descriptor of the request log (handed to every worker through its stdio). */
  get requestFd(): number {
    const req = this.#settings.requestLog;
    if (req.kind === "file") return this.#requestFile!.fd;
    if (req.kind === "stderr") return 2;
    return this.#sink.fd;
  }

  /** The worker's view: descriptor `fd` (where the master puts {@link requestFd} in its stdio) and the path. */
  plan(fd: number): RequestLogPlan | null {
    if (this.requestsViaMaster) return null;
    const req = this.#settings.requestLog;
    return { fd, path: req.kind === "file" ? req.path : req.kind === "stderr" ? null : this.#sink.path };
  }

  /** Starts the `--touch-logreopen` / `--touch-logrotate` watchers. */
  start(): void {
    const s = this.#settings;
    if (s.touchReopen.length) this.#watchers.push(new TouchWatcher([...s.touchReopen], (p) => this.#reopen(false, `*** ${p} has been touched... reopening log files !!! ***`)));
    if (s.touchRotate.length) this.#watchers.push(new TouchWatcher([...s.touchRotate], (p) => this.#reopen(true, `*** ${p} has been touched... triggering log rotation !!! ***`)));
  }

  #reopen(rotate: boolean, why: string): void {
    this.#sink.reopen(rotate);
    this.#sink.line(why); // in the new file
  }

  /** The master's tick: `--log-maxsize`. */
  tick(): void {
    this.#sink.checkSize();
  }

  /** A reload starts: `--log-reopen` reopens the log files first, so new workers get the current file. */
  onReload(): void {
    if (this.#settings.reopenOnReload && this.#sink.path !== null) this.#sink.reopen(false);
  }

  /**
   * `--logfile-chown`: gives the log files to `--uid`/`--gid` (call before privileges are dropped).
   */
  chown(p: Privileges | undefined): void {
    if (!this.#settings.chown) return;
    if (!p || (p.uid === null && p.gid === null)) {
      this.#sink.line("--logfile-chown has no effect without --uid or --gid");
      return;
    }
    const uid = p.uid === null ? -1 : typeof p.uid === "number" ? p.uid : Number(execFileSync("id", ["-u", p.uid], { encoding: "utf8" }).trim());
    const gid = p.gid === null ? -1 : typeof p.gid === "number" ? p.gid : Number(execFileSync("getent", ["group", p.gid], { encoding: "utf8" }).split(":")[2]);
    this.#sink.chown(uid, gid);
    this.#requestFile?.chown(uid, gid);
  }

  /** Stops the watchers and closes the request log file. */
  close(): void {
    for (const w of this.#watchers) w.close();
    this.#requestFile?.close();
  }
}
