/**
 * What every seed name (shared/spec/seed-uwsgi-module.md, 130 names) is inside a real uwsgi-node
 * process, by area: `real` (does what uWSGI's does, with uWSGI's scope), a `placeholder` (a
 * Python-only attribute with a fixed value), or a coded error with the reason. The server-side
 * conformance test (seed-names.test.ts) asserts each name against this, and the README's feature
 * table block is generated from it (scripts/generate-feature-table.mjs; readme-table.test.ts
 * checks it is up to date).
 */

/** The areas of the README feature table that seed names belong to, in table order. */
export const AREAS = {
  process: { title: "process, master and introspection", stub: "emulated in-process: the seed's defaults unless `configure()` sets options; `reload`/`stop` counted" },
  cache: { title: "caches", stub: "the same engine over in-process memory" },
  metrics: { title: "metrics", stub: "the same engine over in-process memory" },
  locks: { title: "user locks", stub: "the same engine; relocking is a coded error" },
  signals: { title: "signals, timers, cron, file monitors", stub: "the same signal table, on a controllable clock" },
  rpc: { title: "RPC", stub: "local registry and the real remote client" },
  spooler: { title: "spooler", stub: "real spool files, run in-process by `runSpooler()`" },
  mules: { title: "mules and farms", stub: "emulated queues, handlers run as the mule" },
  request: { title: "request I/O and request log", stub: "inside `openRequest()` of `uwsgi-node/testing`" },
  websocket: { title: "websockets", stub: "inside `openRequest(handler, { websocket: true })`" },
  async: { title: "sockets and async primitives", stub: "the same: real sockets of the process, event-loop yields" },
  legion: { title: "legions", stub: "no legion: `false` / `null`" },
  python: { title: "Python-only names and internal routing", stub: "the same placeholders; `route` inside `openRequest()`" },
} as const;

export type Area = keyof typeof AREAS;

/** A seed name's status in the server. */
export type ServerStatus = "real" | { readonly placeholder: string } | { readonly error: string; readonly why: string };

export interface SeedEntry {
  readonly area: Area;
  readonly server: ServerStatus;
}

const real = (area: Area): SeedEntry => ({ area, server: "real" });
const placeholder = (area: Area, why: string): SeedEntry => ({ area, server: { placeholder: why } });
const coded = (area: Area, error: string, why: string): SeedEntry => ({ area, server: { error, why } });

/** Every seed name, by name. */
export const SEED_MANIFEST: Readonly<Record<string, SeedEntry>> = {
  // attributes
  SPOOL_IGNORE: real("spooler"),
  SPOOL_OK: real("spooler"),
  SPOOL_RETRY: real("spooler"),
  SymbolsImporter: placeholder("python", "null: a Python import-hook type"),
  SymbolsZipImporter: placeholder("python", "null: a Python import-hook type"),
  ZipImporter: placeholder("python", "null: a Python import-hook type"),
  applications: placeholder("python", "null: Node apps are loaded from --module, not a mountpoint dict"),
  buffer_size: real("process"),
  cores: real("process"),
  env: real("request"),
  has_threads: real("process"),
  hostname: real("process"),
  is_stub: real("process"),
  magic_table: real("process"),
  mule_msg_hook: real("mules"),
  numproc: real("process"),
  opt: real("process"),
  post_fork_hook: real("process"),
  sockets: real("process"),
  spooler: real("spooler"),
  start_response: placeholder("python", "null: the WSGI callable; Node apps write to `res`"),
  started_on: real("process"),
  unbit: real("process"),
  version: real("process"),
  version_info: real("process"),
  // functions
  accepting: real("process"),
  add_cron: real("signals"),
  add_file_monitor: real("signals"),
  add_ms_timer: real("signals"),
  add_rb_timer: real("signals"),
  add_timer: real("signals"),
  add_var: real("request"),
  alarm: real("process"),
  async_connect: real("async"),
  async_sleep: real("async"),
  cache_clear: real("cache"),
  cache_dec: real("cache"),
  cache_del: real("cache"),
  cache_div: real("cache"),
  cache_exists: real("cache"),
  cache_get: real("cache"),
  cache_inc: real("cache"),
  cache_keys: real("cache"),
  cache_mul: real("cache"),
  cache_num: real("cache"),
  cache_set: real("cache"),
  cache_update: real("cache"),
  call: real("rpc"),
  chunked_read: real("request"),
  chunked_read_nb: real("request"),
  cl: real("request"),
  close: real("async"),
  connect: real("async"),
  connection_fd: real("request"),
  disconnect: real("request"),
  embedded_data: real("request"),
  extract: real("request"),
  farm_get_msg: real("mules"),
  farm_msg: real("mules"),
  get_logvar: real("request"),
  green_schedule: real("async"),
  i_am_the_lord: real("legion"),
  i_am_the_spooler: real("spooler"),
  in_farm: real("mules"),
  is_a_reload: real("process"),
  is_connected: real("async"),
  is_locked: real("locks"),
  listen_queue: real("process"),
  lock: real("locks"),
  log: real("process"),
  log_this_request: real("request"),
  logsize: real("process"),
  loop: real("process"),
  lord_scroll: real("legion"),
  masterpid: real("process"),
  mem: real("process"),
  metric_dec: real("metrics"),
  metric_div: real("metrics"),
  metric_get: real("metrics"),
  metric_inc: real("metrics"),
  metric_mul: real("metrics"),
  metric_set: real("metrics"),
  metric_set_max: real("metrics"),
  metric_set_min: real("metrics"),
  micros: real("process"),
  mule_get_msg: real("mules"),
  mule_id: real("mules"),
  mule_msg: real("mules"),
  offload: real("request"),
  parsefile: real("spooler"),
  ready: real("process"),
  ready_fd: real("request"),
  recv: real("async"),
  register_rpc: real("rpc"),
  register_signal: real("signals"),
  reload: real("process"),
  request_id: real("request"),
  route: real("python"),
  rpc: real("rpc"),
  rpc_list: real("rpc"),
  scrolls: real("legion"),
  send: real("request"),
  send_to_spooler: real("spooler"),
  sendfile: real("request"),
  set_logvar: real("request"),
  set_spooler_frequency: real("spooler"),
  set_user_harakiri: real("process"),
  set_warning_message: real("process"),
  setprocname: real("process"),
  signal: real("signals"),
  signal_received: real("signals"),
  signal_registered: real("signals"),
  signal_wait: real("signals"),
  spooler_get_task: real("spooler"),
  spooler_jobs: real("spooler"),
  spooler_pid: real("spooler"),
  spooler_pids: real("spooler"),
  stop: real("process"),
  suspend: real("async"),
  total_requests: real("process"),
  unlock: real("locks"),
  wait_fd_read: real("async"),
  wait_fd_write: real("async"),
  websocket_handshake: real("websocket"),
  websocket_recv: real("websocket"),
  websocket_recv_nb: real("websocket"),
  websocket_send: real("websocket"),
  websocket_send_binary: real("websocket"),
  worker_id: real("process"),
  workers: real("process"),
};

/** The status as one word: `real`, `placeholder` or the error code. */
export function statusWord(s: ServerStatus): string {
  return s === "real" ? "real" : "placeholder" in s ? "placeholder" : s.error;
}

/** The markers around the README block generated by {@link renderSeedTable}. */
export const README_BEGIN = "<!-- seed-names:begin (generated from test/conformance/seed-manifest.ts by `node scripts/generate-feature-table.mjs`; test/conformance/readme-table.test.ts checks it) -->";
export const README_END = "<!-- seed-names:end -->";

/**
 * The README's per-area table of seed names: which names, what the stub does, what they are in
 * the server (real; placeholders and coded errors named with the reason), as the conformance
 * test asserts them. Markers included.
 */
export function renderSeedTable(): string {
  const lines = [
    README_BEGIN,
    "Each of the 130 seed names inside a real server process, by area, as test/conformance/seed-names.test.ts asserts it:",
    "",
    "| area | seed names | stub | server |",
    "|---|---|---|---|",
  ];
  for (const [area, info] of Object.entries(AREAS) as Array<[Area, (typeof AREAS)[Area]]>) {
    const names = Object.keys(SEED_MANIFEST).filter((n) => SEED_MANIFEST[n]!.area === area).sort();
    const parts: string[] = [];
    const realNames = names.filter((n) => SEED_MANIFEST[n]!.server === "real");
    if (realNames.length === names.length) parts.push(`real: all ${names.length}`);
    else if (realNames.length > 0) parts.push(`real: ${realNames.map((n) => `\`${n}\``).join(", ")}`);
    for (const n of names) {
      const s = SEED_MANIFEST[n]!.server;
      if (s === "real") continue;
      if ("placeholder" in s) parts.push(`\`${n}\`: placeholder, ${s.placeholder}`);
      else parts.push(`\`${n}\`: coded error \`${s.error}\` (${s.why})`);
    }
    lines.push(`| ${info.title} | ${names.map((n) => `\`${n}\``).join(", ")} | ${info.stub} | ${parts.join("; ")} |`);
  }
  lines.push(README_END);
  return lines.join("\n");
}
