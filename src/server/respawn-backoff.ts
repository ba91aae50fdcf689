/**
 * Delay before respawning a worker that keeps dying. A worker that ran for a while is respawned
 * at once; one that dies soon after its spawn again and again waits longer each time (doubling,
 * capped), so a crash loop does not burn the CPU or flood the log.
 * @module
 */

/** A worker that serves (is ready) for less than this counts as a crash-loop death. */
export const FAST_DEATH_MS = 2000;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 8000;

/** Tracks consecutive fast deaths of one worker slot. */
export class RespawnBackoff {
  #fastDeaths = 0;

  /**
   * Records a death and returns how long to wait before respawning (ms).
   * @param livedMs how long the process served: from becoming ready to its death (0 if never ready).
   * @param wasReady whether it ever became ready to serve.
   */
  onDeath(livedMs: number, wasReady: boolean): number {
    if (wasReady && livedMs >= FAST_DEATH_MS) {
      this.#fastDeaths = 0;
      return 0;
    }
    this.#fastDeaths++;
    if (this.#fastDeaths === 1) return 0;
    return Math.min(FIRST_DELAY_MS * 2 ** (this.#fastDeaths - 2), MAX_DELAY_MS);
  }

  /** Forgets past deaths (after a process proved healthy). */
  reset(): void {
    this.#fastDeaths = 0;
  }
}
