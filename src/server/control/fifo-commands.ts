/**
 * What each master FIFO command does to a running master (uWSGI's core/fifo.c table, mapped onto
 * uwsgi-node's master operations).
 * @module
 */
import type { MasterFifoCommands } from "./master-fifo.js";

/** The master operations the FIFO drives. */
export interface ControllableMaster {
  reload(chain: boolean, why?: string): void;
  brutalReload(why: string): void;
  stop(graceful: boolean, why?: string): void;
  /** The stats document as the stats server sends it. */
  statsJson(): string;
  /** `l` (rotate false) / `L` (rotate true). */
  reopenLog(rotate: boolean): void;
  /** `+`/`-` in cheaper mode: change the number of running workers by `delta`. */
  changeWorkers(delta: 1 | -1): void;
  log(line: string): void;
}

/** The FIFO command table for `master`. */
export function fifoCommands(master: ControllableMaster): MasterFifoCommands {
  return {
    r: () => master.reload(false, "...gracefully reloading workers (master fifo)..."),
    w: () => master.reload(false, "...gracefully reloading workers (master fifo)..."),
    R: () => master.brutalReload("...brutally reloading workers (master fifo)..."),
    W: () => master.brutalReload("...brutally reloading workers (master fifo)..."),
    c: () => master.reload(true, "chain reload starting (master fifo)..."),
    q: () => master.stop(true, "graceful shutdown requested via master fifo..."),
    Q: () => master.stop(false, "brutal shutdown requested via master fifo...killing workers..."),
    s: () => master.log(master.statsJson()),
    l: () => master.reopenLog(false),
    L: () => master.reopenLog(true),
    "+": () => master.changeWorkers(1),
    "-": () => master.changeWorkers(-1),
  };
}
