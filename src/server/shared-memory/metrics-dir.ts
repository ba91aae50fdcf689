/**
 * `--metrics-dir DIR`: the master keeps one text file per metric in DIR, named after the metric,
 * in uWSGI's layout (core/metrics.c): a page of 4096 bytes holding the value as decimal text and
 * a newline, the rest NUL bytes (uWSGI maps the file; readers `cat` it or mmap it). Every file is
 * written at start and again, on the master's metric tick (once a second), whenever its value
 * changed. Unlike uWSGI 2.0.21, values set by the app (`metric_set` & co.) are written too: its
 * loop only notices values changed by a collector.
 * @module
 */
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UwsgiError } from "../../errors.js";
import type { MetricsEngine } from "../../engines/metrics/metrics-engine.js";

/** Size of a metric file: uWSGI maps one page. */
const PAGE = 4096;

/** Writes the metric files of DIR. */
export class MetricsDirWriter {
  readonly #written = new Map<string, bigint>();

  /** @throws UwsgiError UWSGI_ERR_OPTION_VALUE when DIR is not a directory (uWSGI exits too). */
  constructor(
    readonly dir: string,
    readonly metrics: MetricsEngine,
  ) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "metrics-dir", `not a directory: ${dir}`);
  }

  /** Writes the file of every metric whose value changed since the last call (all on the first). */
  tick(): void {
    for (const m of this.metrics.snapshot()) {
      const value = BigInt(m.value);
      if (this.#written.get(m.name) === value) continue;
      const page = Buffer.alloc(PAGE);
      page.write(`${value}\n`, "latin1");
      writeFileSync(join(this.dir, m.name), page, { mode: 0o640 });
      this.#written.set(m.name, value);
    }
  }
}
