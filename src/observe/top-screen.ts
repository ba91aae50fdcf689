/**
 * The `uwsgi-node top` screen, in the spirit of uwsgitop and `pm2 monit`: a header with the
 * instance's totals, one row per worker (pid, status, requests, requests/s, exceptions, average
 * response time, RSS, bytes sent, respawns), then caches, spoolers, mules and legions (who is Lord,
 * quorum, members and when each was last seen) when there are any.
 * Pure: a stats document and its rates in, lines of text out.
 * @module
 */
import type { StatsDocument } from "./stats-document-types.js";
import type { InstanceRates } from "./stats-rates.js";

/** Human-readable bytes (1024-based). */
export function formatBytes(n: number | undefined): string {
  const v = n ?? 0;
  if (v < 1024) return `${v}B`;
  const units = ["KB", "MB", "GB", "TB"];
  let x = v / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x.toFixed(1)}${units[i]}`;
}

/** µs as a short duration. */
export function formatMicros(us: number | undefined): string {
  const v = us ?? 0;
  if (v < 1000) return `${v}us`;
  if (v < 1_000_000) return `${(v / 1000).toFixed(1)}ms`;
  return `${(v / 1_000_000).toFixed(2)}s`;
}

function row(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells.map((c, i) => String(c).padEnd(widths[i] ?? 8)).join(" ").trimEnd();
}

/** What the screen shows besides the document. */
export interface TopContext {
  /** The address read. */
  address: string;
  /** When the document was read. */
  at: Date;
  /** The last read failed: why (the previous document is still shown). */
  error?: string;
}

/**
 * Renders the screen as lines (no ANSI codes; the caller clears and writes).
 * @example
 * ```ts
 * const lines = renderTop(doc, statsRates(prev, doc, 1), { address: "127.0.0.1:9191", at: new Date() });
 * ```
 */
export function renderTop(doc: StatsDocument, rates: InstanceRates, ctx: TopContext, width = 120): string[] {
  const lines: string[] = [];
  const busy = doc.workers.filter((w) => w.status === "busy").length;
  const totalReq = doc.workers.reduce((n, w) => n + (w.requests ?? 0), 0);
  const totalRss = doc.workers.reduce((n, w) => n + (w.rss ?? 0), 0);
  const queue = doc.sockets?.length ? doc.sockets.map((s) => `${s.queue ?? 0}/${s.max_queue ?? 0}`).join(" ") : String(doc.listen_queue ?? 0);
  lines.push(`uwsgi-node top - ${ctx.address} - uWSGI ${doc.version ?? "?"} - master pid ${doc.pid ?? "?"} - ${ctx.at.toISOString().slice(11, 19)} UTC - q quits`);
  lines.push(
    `req/s ${rates.requestsPerSecond.toFixed(1)}  requests ${totalReq}  workers ${doc.workers.length} (busy ${busy}, idle ${doc.workers.length - busy})  ` +
      `listen queue ${queue}  sent/s ${formatBytes(Math.round(rates.txPerSecond))}  rss ${formatBytes(totalRss)}`,
  );
  if (ctx.error) lines.push(`!! ${ctx.error}`);
  lines.push("");
  const widths = [4, 8, 10, 9, 8, 5, 9, 9, 9, 4];
  lines.push(row(["WID", "PID", "STATUS", "REQ", "REQ/s", "EXC", "AVG", "RSS", "TX", "RES"], widths));
  for (const w of doc.workers) {
    const r = rates.workers.get(w.id);
    lines.push(
      row(
        [w.id, w.pid, w.status, w.requests ?? 0, (r?.requestsPerSecond ?? 0).toFixed(1), w.exceptions ?? 0, formatMicros(w.avg_rt), formatBytes(w.rss), formatBytes(w.tx), w.respawn_count ?? 0],
        widths,
      ),
    );
  }
  if (doc.caches?.length) {
    lines.push("", row(["CACHE", "ITEMS", "MAX", "HITS", "MISS", "FULL"], [16, 9, 9, 10, 10, 8]));
    for (const c of doc.caches) {
      // a Redis-backed cache: its items and counters are not in the document
      const known = c.items !== undefined;
      lines.push(row([c.name, c.items ?? "-", c.max_items, known ? (c.hits ?? 0) : "-", known ? (c.miss ?? 0) : "-", known ? (c.full ?? 0) : "-"], [16, 9, 9, 10, 10, 8]));
    }
  }
  if (doc.spoolers?.length) {
    lines.push("", row(["SPOOLER", "PID", "TASKS", "RUNNING", "RESPAWNS"], [32, 8, 8, 8, 8]));
    for (const s of doc.spoolers) lines.push(row([s.dir, s.pid, s.tasks, s.running, s.respawns ?? 0], [32, 8, 8, 8, 8]));
  }
  if (doc.mules?.length) {
    lines.push("", row(["MULE", "PID", "STATUS", "SIGNALS", "MESSAGES"], [5, 8, 10, 8, 8]));
    for (const m of doc.mules) lines.push(row([m.id, m.pid, m.status ?? "", m.signals ?? 0, m.messages ?? 0], [5, 8, 10, 8, 8]));
  }
  if (doc.legions?.length) {
    const now = Math.floor(Date.now() / 1000);
    lines.push("", row(["LEGION", "VALOR", "LORD", "LORD VALOR", "QUORUM", "MEMBERS"], [16, 7, 10, 11, 7, 8]));
    for (const l of doc.legions) {
      const lord = l.i_am_the_lord > 0 ? `me (${now - l.i_am_the_lord}s)` : "other";
      lines.push(row([l.legion, l.valor, lord, l.lord_valor ?? 0, l.quorum ?? 0, l.members?.length ?? 0], [16, 7, 10, 11, 7, 8]));
      for (const m of l.members ?? []) lines.push(`  ${m.name} valor ${m.valor}, last seen ${Math.max(0, now - m.last_seen)}s ago`);
    }
  }
  return lines.map((l) => (l.length > width ? l.slice(0, width) : l));
}
