/**
 * A server child's line to the spoolers (every worker, mule and spooler has one): the spool
 * directories and spooler pids the master announced, wake-ups after a task was written (the
 * first task of an event-loop turn sends one at once, so the spooler starts on it while the turn
 * goes on spooling; the others of the turn one more per directory when the turn ends), and
 * `set_spooler_frequency`, all through the master. What the spooler functions of the `uwsgi`
 * module need from the server (the rest of `SpoolerDeps`, the role, comes from the
 * process context).
 * @module
 */
import { isSpoolerMasterMessage, type SpoolerChildMessage } from "./spooler-messages.js";
import { readSpoolerDirectory } from "./spooler-plan.js";

/** The spooler facts and requests of one child process. */
export class SpoolerLink {
  #dirs: readonly string[];
  #pids: number[];
  readonly #send: (msg: SpoolerChildMessage) => void;
  readonly #pendingWakes = new Set<string>();
  #flushQueued = false;

  constructor(dirs: readonly string[], pids: readonly number[], send: (msg: SpoolerChildMessage) => void) {
    this.#dirs = dirs;
    this.#pids = [...pids];
    this.#send = send;
  }

  /** Spool directories (real paths, configuration order; the first is the default target). */
  dirs(): readonly string[] {
    return this.#dirs;
  }

  /** Spooler pids in configuration order (`spooler_pids()`; 0 while one is being respawned). */
  pids(): number[] {
    return [...this.#pids];
  }

  /**
   * A task was written into `dir`: wake its spoolers. The first task of a turn is announced at
   * once (a burst of spools in one turn, e.g. a loop in a request, is worked on by the spooler
   * while it goes on, as uWSGI's SIGUSR1 per task does); later ones of the same turn are
   * announced once per directory when the turn ends.
   */
  notify(dir: string): void {
    if (this.#flushQueued) {
      this.#pendingWakes.add(dir);
      return;
    }
    this.#flushQueued = true;
    setImmediate(() => this.flush());
    this.#send({ t: "spooler-wake", dir });
  }

  /** Sends the pending wake-ups now. */
  flush(): void {
    this.#flushQueued = false;
    for (const dir of this.#pendingWakes) this.#send({ t: "spooler-wake", dir });
    this.#pendingWakes.clear();
  }

  /** `set_spooler_frequency(seconds)`: every spooler process of the instance gets it. */
  setFrequency(seconds: number): void {
    this.#send({ t: "spooler-frequency", seconds });
  }

  /** Applies a master message (the pid list); returns true when it was one of ours. */
  onMasterMessage(msg: unknown): boolean {
    if (!isSpoolerMasterMessage(msg)) return false;
    if (msg.t === "spooler-pids") this.#pids = [...msg.pids];
    return msg.t === "spooler-pids";
  }
}

let link: SpoolerLink | null = null;

/**
 * This process's link, created on first use from the environment the master gave it (no
 * directories when no spooler is configured) and kept up to date by the master's messages.
 */
export function spoolerLink(): SpoolerLink {
  if (link) return link;
  const view = readSpoolerDirectory();
  const send = (msg: SpoolerChildMessage): void => {
    if (process.connected) process.send!(msg, undefined, {}, () => undefined);
  };
  const created = new SpoolerLink(view?.dirs ?? [], view?.pids ?? [], send);
  process.on("message", (msg: unknown) => created.onMasterMessage(msg));
  link = created;
  return created;
}
