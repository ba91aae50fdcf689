/**
 * The master FIFO (`--master-fifo PATH`, uWSGI 1.9.17+): a named pipe the master reads one-byte
 * commands from, so scripts can manage the instance without signals or pids:
 *
 * ```sh
 * echo r > /run/app.fifo      # graceful reload
 * echo +++s > /run/app.fifo   # three more workers (cheaper mode), then stats in the log
 * ```
 *
 * The option may be given up to ten times; the first path is slot 0 and is the one created at
 * start. A digit selects the slot, and once the bytes written in one go are handled the master
 * listens on the FIFO of that slot instead (uWSGI switches when the writer closes; the effect is
 * the same: the next command goes to the new path). Unknown bytes (newlines included) are ignored,
 * as in uWSGI.
 *
 * The FIFO is opened read/write so that the master never sees end-of-file between writers.
 * @module
 */
import { constants, openSync, unlinkSync } from "node:fs";
import { mkfifoSync } from "./mkfifo.js";
import { Socket } from "node:net";
import { UwsgiError } from "../../errors.js";

/** What each command byte does; a missing handler makes the byte a no-op with a log line. */
export interface MasterFifoCommands {
  /** `r`: graceful reload of the workers (new ones first). */
  readonly r: () => void;
  /** `R`: brutal reload: every worker is killed and respawned at once. */
  readonly R: () => void;
  /** `w`: graceful reload of the workers only (same as `r` here: the master is never re-executed). */
  readonly w: () => void;
  /** `W`: brutal reload of the workers only (same as `R` here). */
  readonly W: () => void;
  /** `c`: chain reload, one worker after another. */
  readonly c: () => void;
  /** `q`: graceful stop. */
  readonly q: () => void;
  /** `Q`: immediate stop. */
  readonly Q: () => void;
  /** `s`: write the stats document to the log. */
  readonly s: () => void;
  /** `l`: reopen the log file. */
  readonly l: () => void;
  /** `L`: rotate the log file. */
  readonly L: () => void;
  /** `+`: one more worker (cheaper mode). */
  readonly "+": () => void;
  /** `-`: one worker less (cheaper mode). */
  readonly "-": () => void;
}

/** The command bytes uwsgi-node understands, in uWSGI's table order. */
export const FIFO_COMMANDS = ["r", "R", "w", "W", "c", "q", "Q", "s", "l", "L", "+", "-"] as const;

/** The most FIFOs `--master-fifo` may name (slots 0-9). */
export const MAX_FIFO_SLOTS = 10;

/** The master's command FIFO. */
export class MasterFifo {
  readonly #paths: readonly string[];
  readonly #commands: MasterFifoCommands;
  readonly #log: (line: string) => void;
  #slot = 0;
  #socket: Socket | null = null;
  #closed = false;
  /** FIFOs this master created (removed at close). */
  readonly #created = new Set<string>();

  /**
   * Creates the FIFO of slot 0 (replacing any file at its path) and starts reading it.
   * @throws UwsgiError UWSGI_ERR_OPTION_VALUE (`master-fifo`) for more than ten paths,
   *   UWSGI_ERR_MASTER_FIFO when the FIFO cannot be created.
   */
  constructor(paths: readonly string[], commands: MasterFifoCommands, log: (line: string) => void) {
    if (paths.length === 0 || paths.length > MAX_FIFO_SLOTS) {
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "master-fifo", `give 1 to ${MAX_FIFO_SLOTS} paths, got ${paths.length}`);
    }
    this.#paths = paths;
    this.#commands = commands;
    this.#log = log;
    this.#open();
  }

  /** The path of the FIFO being read now. */
  get activePath(): string {
    return this.#paths[this.#slot]!;
  }

  #open(): void {
    const path = this.activePath;
    try {
      try {
        unlinkSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
      mkfifoSync(path, 0o600);
      this.#created.add(path);
      const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
      const socket = new Socket({ fd, readable: true, writable: false });
      socket.on("data", (chunk: Buffer) => this.#onData(chunk));
      socket.on("error", (err) => this.#log(`master fifo ${path}: ${err.message}`));
      this.#socket = socket;
    } catch (err) {
      throw new UwsgiError("UWSGI_ERR_MASTER_FIFO", path, (err as Error).message);
    }
  }

  #onData(chunk: Buffer): void {
    const before = this.#slot;
    for (const byte of chunk) {
      if (this.#closed) return;
      const ch = String.fromCharCode(byte);
      if (ch >= "0" && ch <= "9") {
        const slot = byte - 48;
        if (slot < this.#paths.length) this.#slot = slot;
        else this.#log(`master fifo: no fifo in slot ${slot} (${this.#paths.length} given)`);
        continue;
      }
      const handler = (this.#commands as unknown as Record<string, (() => void) | undefined>)[ch];
      if (handler && (FIFO_COMMANDS as readonly string[]).includes(ch)) {
        try {
          handler();
        } catch (err) {
          this.#log(`master fifo command ${JSON.stringify(ch)} failed: ${(err as Error).message}`);
        }
      }
    }
    if (this.#slot !== before && !this.#closed) {
      this.#socket?.destroy();
      try {
        this.#open();
        this.#log(`active master fifo is now ${this.activePath}`);
      } catch (err) {
        this.#log((err as Error).message);
      }
    }
  }

  /** Stops reading and removes the FIFOs this master created. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket?.destroy();
    for (const path of this.#created) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  }
}
