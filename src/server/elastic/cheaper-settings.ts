/**
 * The cheaper (adaptive worker count) and idle options, read and checked once in the master.
 * @module
 */
import type { OptionSet } from "../../config/option-set.js";
import { optionInt, optionString } from "../../config/option-values.js";
import { UwsgiError } from "../../errors.js";
import { CHEAPER_ALGOS, type CheaperAlgoName } from "./cheaper-algo.js";

/** `--cheaper` and its companions. */
export interface CheaperSettings {
  /** `--cheaper`: the fewest workers kept running (`--processes` is the most). */
  readonly min: number;
  /** `--cheaper-initial`: workers started at boot (default `--cheaper`). */
  readonly initial: number;
  /** `--cheaper-step` (default 1). */
  readonly step: number;
  /** `--cheaper-overload` (default 3). */
  readonly overload: number;
  readonly algo: CheaperAlgoName;
}

const COMPANIONS = ["cheaper-initial", "cheaper-step", "cheaper-algo", "cheaper-overload"] as const;

/**
 * Reads the cheaper options for an instance of `processes` workers; null when `--cheaper` is
 * absent (or 0).
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming the option: a companion without `--cheaper`,
 *   `--cheaper` not below `--processes`, an initial count out of range, an unknown algorithm.
 */
export function readCheaperSettings(options: OptionSet, processes: number): CheaperSettings | null {
  const min = optionInt(options, "cheaper", 0);
  if (min === 0) {
    for (const name of COMPANIONS) {
      if (options.has(name)) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", name, "has no effect without --cheaper N");
    }
    return null;
  }
  if (min >= processes) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "cheaper", `must be lower than --processes (${processes}), got ${min}`);
  const initial = optionInt(options, "cheaper-initial", min);
  if (initial < min || initial > processes) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "cheaper-initial", `must be between --cheaper (${min}) and --processes (${processes}), got ${initial}`);
  const step = optionInt(options, "cheaper-step", 1);
  if (step < 1) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "cheaper-step", "must be at least 1");
  const overload = optionInt(options, "cheaper-overload", 3);
  const algo = (optionString(options, "cheaper-algo") ?? "spare").trim();
  if (!(CHEAPER_ALGOS as readonly string[]).includes(algo)) {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "cheaper-algo", `unknown algorithm ${JSON.stringify(algo)} (known: ${CHEAPER_ALGOS.join(", ")})`);
  }
  return { min, initial, step, overload, algo: algo as CheaperAlgoName };
}

/**
 * `--idle SECONDS`: with no request for that long, every worker is stopped until a connection
 * waits (0 = off). The wait is seen in a TCP listen queue, so at least one TCP socket is needed.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming `idle` when every socket is a UNIX socket.
 */
export function readIdleSeconds(options: OptionSet, sockets: readonly { readonly address: { readonly kind: string } }[]): number {
  const idle = optionInt(options, "idle", 0);
  if (idle > 0 && !sockets.some((s) => s.address.kind === "tcp")) {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "idle", "needs a TCP socket (--http, --socket HOST:PORT): a waiting connection is seen in its listen queue");
  }
  return idle;
}
