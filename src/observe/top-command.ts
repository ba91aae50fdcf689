/**
 * `uwsgi-node top [--interval SECONDS] ADDRESS`: a live terminal view of any uWSGI-compatible
 * stats server (`--stats ADDRESS` of uwsgi-node or of real uWSGI), redrawn every interval
 * (default 1 s). `q` or Ctrl-C quits. `--once` prints one screen (rates need two reads: it
 * waits one interval) and exits.
 * @module
 */
import { UwsgiError } from "../errors.js";
import { readStats } from "./stats-reader.js";
import { statsRates } from "./stats-rates.js";
import { renderTop } from "./top-screen.js";
import type { StatsDocument } from "./stats-document-types.js";

const USAGE = "usage: uwsgi-node top [--interval SECONDS] [--once] ADDRESS   (ADDRESS: host:port, /path/to/socket or @name of a --stats server)";

/** Parsed `top` arguments. */
interface TopArgs {
  address: string;
  intervalMs: number;
  once: boolean;
}

function parseArgs(argv: readonly string[]): TopArgs {
  let address: string | null = null;
  let intervalMs = 1000;
  let once = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--once") once = true;
    else if (a === "--interval" || a.startsWith("--interval=")) {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "interval", `expected seconds > 0, got ${JSON.stringify(v ?? "")}`);
      intervalMs = n * 1000;
    } else if (a === "--help" || a === "-h") throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "top", USAGE);
    else if (address === null && !a.startsWith("--")) address = a;
    else throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "top", `unexpected argument ${JSON.stringify(a)}; ${USAGE}`);
  }
  if (address === null) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "top", `no stats address; ${USAGE}`);
  return { address, intervalMs, once };
}

/** Runs the view until `q`/Ctrl-C (or one screen with `--once`); resolves with the exit code. */
export async function runTop(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const out = process.stdout;
  const tty = out.isTTY === true;
  let previous: { doc: StatsDocument; at: number } | null = null;
  let stopped = false;
  let wake: (() => void) | null = null;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  const stdin = process.stdin;
  if (!args.once && stdin.isTTY) {
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", (b: Buffer) => {
      const k = b.toString();
      if (k === "q" || k === "Q" || k === "\u0003") stop();
    });
  }
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  if (tty && !args.once) out.write("\x1b[?1049h\x1b[?25l"); // alternate screen, hide cursor
  let code = 0;
  try {
    for (let round = 0; !stopped; round++) {
      const at = Date.now();
      let screen: string[];
      try {
        const doc = await readStats(args.address);
        const rates = statsRates(previous?.doc ?? null, doc, previous ? (at - previous.at) / 1000 : 0);
        screen = renderTop(doc, rates, { address: args.address, at: new Date(at) }, tty ? out.columns : 200);
        previous = { doc, at };
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        if (args.once || !previous) {
          process.stderr.write(`uwsgi-node top: ${why}\n`);
          code = 1;
          if (args.once) break;
        }
        screen = previous ? renderTop(previous.doc, statsRates(null, previous.doc, 0), { address: args.address, at: new Date(at), error: why }, tty ? out.columns : 200) : [`uwsgi-node top - ${args.address} - waiting: ${why}`];
      }
      if (!args.once || round === 1) out.write((tty && !args.once ? "\x1b[H\x1b[2J" : "") + screen.join("\n") + "\n");
      if (args.once && round === 1) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, args.intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    if (tty && !args.once) out.write("\x1b[?25h\x1b[?1049l");
    if (!args.once && stdin.isTTY) {
      stdin.setRawMode(false);
      stdin.pause();
    }
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
  return code;
}
