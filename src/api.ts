/**
 * The `uwsgi` module's API: every attribute and function of the seed (uwsgiconf's documented
 * `uwsgi` module), with the same snake_case names, typed for Node.
 *
 * Conventions: bytes are `Buffer` (inputs also take `string`/`Uint8Array`), Python's None is
 * `null`, ints are `number`. uWSGI's "True or None" results are `true`/`false`. Functions that
 * wait on another process or the network return a `Promise`; memory-only ones (cache, metrics,
 * locks) are synchronous, as in uWSGI.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { BytesLike } from "./core/bytes.js";

/**
 * A cache argument whose calls go over the network and so return Promises: a cache on another
 * node (`name@host:port`, `@host:port`, `name@/unix/path`) or a Redis-backed cache
 * ({@link RedisCacheName}).
 */
export type RemoteCacheName = `${string}@${string}`;

/**
 * The name of a Redis-backed cache in API calls: `NAME@redis`, where `--cache2
 * name=NAME,items=N,backend=redis://host:port/db` declared it (`@redis` alone: the first
 * Redis-backed cache). Like a remote name it carries an `@`, so the types give its calls a
 * `Promise` result; the plain name `NAME` is refused with `UWSGI_ERR_CACHE_REDIS_NAME`, so a
 * synchronous-looking call can never hide a network round trip. (A relative unix socket called
 * `redis` is written `name@./redis`.)
 * @example
 * ```ts
 * // uwsgi-node --cache2 name=sessions,items=10000,backend=redis://127.0.0.1:6379/0 ...
 * await uwsgi.cache_update("user:1", "alice", 60, "sessions@redis"); // true
 * await uwsgi.cache_get("user:1", "sessions@redis");                 // Buffer | null
 * await uwsgi.cache_inc("hits", 1, 0, "sessions@redis");             // true, atomic across nodes
 * ```
 */
export type RedisCacheName = `${string}@redis`;

/**
 * What a cache function returns for a cache argument of type `N`, as the runtime does: a name
 * with `@` asks another node (a Promise), any other name is local (the value itself). A name
 * whose type does not say which (`string`, or a union of both kinds) gives `T | Promise<T>`:
 * `await` it. Omitted or null: the local default cache.
 * @example
 * ```ts
 * uwsgi.cache_get("k");                       // Buffer | null
 * uwsgi.cache_get("k", "sessions@10.0.0.2:3031"); // Promise<Buffer | null>
 * declare const name: string;
 * await uwsgi.cache_get("k", name);           // Buffer | null (the call gives Buffer | null | Promise<...>)
 * ```
 */
export type CacheResult<N extends string, T> = N extends RemoteCacheName ? Promise<T> : string extends N ? T | Promise<T> : T;

/** Handler of a uWSGI signal; receives the signal number. */
export type SignalHandler = (signum: number) => unknown;

/** An RPC function: positional byte arguments, returns bytes (a string is sent UTF-8 encoded). */
export type RpcFunction = (...args: Buffer[]) => unknown;

/**
 * The task dictionary the spooler callable receives: the spooled keys with their byte values,
 * plus `spooler_task_name` (the spool file's base name) and `body` when a body was spooled.
 */
export type SpoolTask = Record<string, Buffer>;

/** What the spooler callable returns: `SPOOL_OK` (-2), `SPOOL_RETRY` (-1) or `SPOOL_IGNORE` (0). */
export type SpoolResult = number;

/** The spooler callable: runs one task and tells what to do with its file. */
export type SpoolerFunction = (task: SpoolTask) => SpoolResult | Promise<SpoolResult>;

/** Values accepted in a spooled message: bytes, text, or a number written in decimal. */
export type SpoolValue = BytesLike | number;

/** A message for {@link UwsgiModule.send_to_spooler}. Reserved keys: `spooler`, `priority`, `at`, `body`. */
export type SpoolMessage = Record<string, SpoolValue>;

/** One application served by a worker, as in `workers()[i].apps`. */
export interface WorkerAppInfo {
  id: number;
  modifier1: number;
  mountpoint: Buffer;
  startup_time: number;
  requests: number;
  exceptions: number;
  chdir: Buffer;
}

/** One worker's statistics, as returned by {@link UwsgiModule.workers}. */
export interface WorkerInfo {
  id: number;
  pid: number;
  requests: number;
  delta_requests: number;
  signals: number;
  exceptions: number;
  /** `cheap`, `pause`, `sigN`, `busy` or `idle`. */
  status: Buffer;
  rss: number;
  vsz: number;
  /** Microseconds spent serving requests. */
  running_time: number;
  /** Unix time of the last spawn. */
  last_spawn: number;
  /** Respawns so far (0 after the first spawn). */
  respawn_count: number;
  /** Bytes sent. */
  tx: number;
  /** Running average response time in microseconds. */
  avg_rt: number;
  apps: WorkerAppInfo[];
}

/** Value of an option in {@link UwsgiModule.opt}: bytes, `true` for a flag, a list when repeated. */
export type OptValue = Buffer | true | Array<Buffer | true>;

/** The keyword arguments of `mule_get_msg`, as an object. */
export interface MuleGetMsgOptions {
  /** Accepted and ignored: handlers run while a mule waits (uWSGI's inverted flag is not copied). */
  signals?: boolean | null;
  /** false or null: only the mule's own and the shared queue (default: its farms' too). */
  farms?: boolean | null;
  /** Longest message returned (default 65536); longer ones are cut. */
  buffer_size?: number;
  /** Seconds to wait; -1 (default) forever. */
  timeout?: number;
}

/**
 * The `uwsgi` module.
 *
 * @example
 * ```ts
 * import { uwsgi } from "uwsgi-node";
 *
 * uwsgi.cache_update("greeting", "hello", 60);
 * uwsgi.cache_get("greeting")?.toString(); // "hello"
 * uwsgi.cache_inc("hits");
 * if (uwsgi.is_stub) console.log("running without the server");
 * ```
 */
export interface UwsgiModule {
  // ------------------------------------------------------------------ attributes ------------

  /** True when the in-process stub is in use instead of the server's runtime. */
  readonly is_stub: boolean;
  /** Spooler result: the task is done; its file is removed. Value -2. */
  readonly SPOOL_OK: -2;
  /** Spooler result: retry the task at the next spooler pass. Value -1. */
  readonly SPOOL_RETRY: -1;
  /** Spooler result: this language does not handle the task (it stays and is retried). Value 0. */
  readonly SPOOL_IGNORE: 0;
  /** Python import-hook type in uWSGI; always `null` here (nothing to import from a binary). */
  readonly SymbolsImporter: null;
  /** Python import-hook type in uWSGI; always `null` here. */
  readonly SymbolsZipImporter: null;
  /** Python import-hook type in uWSGI; always `null` here. */
  readonly ZipImporter: null;
  /** Mountpoint → application map; user code may assign it before apps load. `null` by default. */
  applications: Record<string, unknown> | null;
  /** Configured `--buffer-size` in bytes (0 in the stub unless configured). */
  readonly buffer_size: number;
  /** Cores (threads/async slots) per worker, as in uWSGI: not the CPU count. */
  readonly cores: number;
  /**
   * CGI/uwsgi variables of the current request (empty outside a request). The current request
   * follows the app's async code (awaits, timers, callbacks) through `AsyncLocalStorage`, from the
   * moment this module is loaded in the worker: import it when the app loads, not lazily inside a
   * request handler (the request that loads it sees its variables only until its first await).
   * @example
   * ```ts
   * app.get("/", async (req, res) => {
   *   await db.query("...");
   *   res.send(uwsgi.env.REMOTE_ADDR);
   * });
   * ```
   */
  readonly env: Record<string, string>;
  /** Whether thread support is enabled (`--enable-threads`/`--threads`). */
  readonly has_threads: boolean;
  /** Host name of the machine. */
  readonly hostname: Buffer;
  /** Magic variables of the config files (`%d`, `%n`, ...): one-letter keys. */
  readonly magic_table: Record<string, Buffer>;
  /**
   * Called for every message a message-loop mule receives (see {@link UwsgiModule.mule_msg}).
   * @example
   * ```ts
   * uwsgi.mule_msg_hook = (msg) => console.log("mule got", msg.toString());
   * ```
   */
  mule_msg_hook: ((message: Buffer) => unknown) | null;
  /** Number of worker processes configured (`--processes`). */
  readonly numproc: number;
  /** The configuration options; repeated options are lists (uWSGI keeps only the last one). */
  readonly opt: Record<string, OptValue>;
  /** Called in every worker, mule and spooler after it is spawned. */
  post_fork_hook: (() => unknown) | null;
  /**
   * Called in a worker before it exits on a graceful stop, a reload or recycling, once its
   * requests are done and after the process's SIGTERM listeners and the app's own close (see
   * docs/production.md); a returned promise is awaited, within `--worker-reload-mercy`. Not
   * called on an immediate stop, a harakiri or a crash. The stub only stores it (no worker exits
   * there).
   * @example
   * ```ts
   * uwsgi.atexit = async () => {
   *   await pool.end();
   * };
   * ```
   */
  atexit: (() => unknown) | null;
  /** File descriptors of the listening sockets. */
  readonly sockets: number[];
  /**
   * The spooler callable: receives each task, returns `SPOOL_OK`, `SPOOL_RETRY` or `SPOOL_IGNORE`.
   * @example
   * ```ts
   * uwsgi.spooler = (task) => {
   *   sendMail(task.to.toString());
   *   return uwsgi.SPOOL_OK;
   * };
   * ```
   */
  spooler: SpoolerFunction | null;
  /** WSGI's start_response; Node apps use the response object, so this is `null`. */
  readonly start_response: null;
  /** Unix time the instance started (0 in the stub until configured). */
  readonly started_on: number;
  /** Unbit hosting flag; always false. */
  readonly unbit: boolean;
  /** Version string, e.g. `2.0.21-uwsgi-node-0.1.0`. */
  readonly version: Buffer;
  /** Version as (major, minor, revision, release, custom). */
  readonly version_info: readonly [number, number, number, number, Buffer];

  // ------------------------------------------------------------------ cache ------------------

  /**
   * Gets a value. `null` on a miss or an unknown cache. A `name@address` cache asks that node; a
   * `name@redis` cache ({@link RedisCacheName}) reads Redis. Both return a Promise, which rejects
   * with a coded error (`UWSGI_ERR_REMOTE_UNREACHABLE`, `UWSGI_ERR_CACHE_REDIS`) when the other
   * end cannot answer.
   * @param cache cache name; omitted, null or "" = the default cache.
   * @example
   * ```ts
   * const v = uwsgi.cache_get("user:1", "sessions"); // Buffer | null
   * const r = await uwsgi.cache_get("user:1", "sessions@10.0.0.2:3031");
   * const s = await uwsgi.cache_get("user:1", "sessions@redis");
   * ```
   */
  cache_get(key: BytesLike, cache?: null): Buffer | null;
  cache_get<N extends string = "">(key: BytesLike, cache?: N | null): CacheResult<N, Buffer | null>;
  /**
   * Stores a value only if the key is absent: an existing key is left untouched and `false` returned.
   * @param expires seconds from now; 0 or omitted = never.
   */
  cache_set(key: BytesLike, value: BytesLike, expires?: number | null, cache?: null): boolean;
  cache_set<N extends string = "">(key: BytesLike, value: BytesLike, expires?: number | null, cache?: N | null): CacheResult<N, boolean>;
  /** Creates or overwrites a value; the expiry is replaced (0 or omitted = never). */
  cache_update(key: BytesLike, value: BytesLike, expires?: number | null, cache?: null): boolean;
  cache_update<N extends string = "">(key: BytesLike, value: BytesLike, expires?: number | null, cache?: N | null): CacheResult<N, boolean>;
  /** Deletes a key; `false` if it was not there. */
  cache_del(key: BytesLike, cache?: null): boolean;
  cache_del<N extends string = "">(key: BytesLike, cache?: N | null): CacheResult<N, boolean>;
  /** Whether a live (unexpired) value exists for the key. */
  cache_exists(key: BytesLike, cache?: null): boolean;
  cache_exists<N extends string = "">(key: BytesLike, cache?: N | null): CacheResult<N, boolean>;
  /** Removes every item of the cache. */
  cache_clear(cache?: null): boolean;
  cache_clear<N extends string = "">(cache?: N | null): CacheResult<N, boolean>;
  /**
   * Adds `value` (default 1) to the 64-bit little-endian counter at `key`, creating it from the
   * cache's `math_initial` (0) when missing. The expiry applies only when the key is created.
   * @example
   * ```ts
   * uwsgi.cache_inc("hits");           // true
   * uwsgi.cache_num("hits");           // 1
   * ```
   */
  cache_inc(key: BytesLike, value?: number, expires?: number | null, cache?: null): boolean;
  cache_inc<N extends string = "">(key: BytesLike, value?: number, expires?: number | null, cache?: N | null): CacheResult<N, boolean>;
  /** Subtracts `value` (default 1) from the counter at `key`. */
  cache_dec(key: BytesLike, value?: number, expires?: number | null, cache?: null): boolean;
  cache_dec<N extends string = "">(key: BytesLike, value?: number, expires?: number | null, cache?: N | null): CacheResult<N, boolean>;
  /** Multiplies the counter at `key` by `value` (default 2). */
  cache_mul(key: BytesLike, value?: number, expires?: number | null, cache?: null): boolean;
  cache_mul<N extends string = "">(key: BytesLike, value?: number, expires?: number | null, cache?: N | null): CacheResult<N, boolean>;
  /** Divides the counter at `key` by `value` (default 2); dividing by 0 sets it to 0. */
  cache_div(key: BytesLike, value?: number, expires?: number | null, cache?: null): boolean;
  cache_div<N extends string = "">(key: BytesLike, value?: number, expires?: number | null, cache?: N | null): CacheResult<N, boolean>;
  /** The 64-bit number stored at `key`; 0 when missing or not an 8-byte value. */
  cache_num(key: BytesLike, cache?: null): number;
  cache_num<N extends string = "">(key: BytesLike, cache?: N | null): CacheResult<N, number>;
  /**
   * Keys of a local cache (live items only), or of a Redis-backed cache (`name@redis`: a Promise).
   * @throws UwsgiError `UWSGI_ERR_CACHE_UNAVAILABLE` for an unknown cache (uWSGI's ValueError).
   * @example
   * ```ts
   * uwsgi.cache_keys("sessions");             // Buffer[]
   * await uwsgi.cache_keys("sessions@redis"); // Buffer[]
   * ```
   */
  cache_keys(cache: RedisCacheName): Promise<Buffer[]>;
  cache_keys(cache?: string | null): Buffer[];

  // ------------------------------------------------------------------ metrics ----------------

  /** Value of a metric; 0 for an unknown metric. */
  metric_get(key: string): number;
  /** Sets a metric (default 1). `false` for unknown or read-only (collected) metrics. */
  metric_set(key: string, value?: number): boolean;
  /** Adds to a metric (default 1). */
  metric_inc(key: string, value?: number): boolean;
  /** Subtracts from a metric (default 1). */
  metric_dec(key: string, value?: number): boolean;
  /** Multiplies a metric (default 1). */
  metric_mul(key: string, value?: number): boolean;
  /** Divides a metric (default 1); dividing by 0 fails and leaves it unchanged. */
  metric_div(key: string, value?: number): boolean;
  /** Raises a metric to `value` if that is greater. */
  metric_set_max(key: string, value?: number): boolean;
  /** Lowers a metric to `value` if that is smaller. */
  metric_set_min(key: string, value?: number): boolean;

  // ------------------------------------------------------------------ locks ------------------

  /**
   * Takes user lock `lock_num` (0..N with `--locks N`), blocking until it is free. Lock 0 always exists.
   * These locks are per instance. A lock name (`lock("jobs")`, a lock across nodes) is refused
   * with `UWSGI_ERR_LOCK_CLUSTER`: a lease can expire under a paused holder and `lock()` gives no
   * fencing token to the protected resource, so it cannot be made safe (docs/cluster.md).
   * @throws UwsgiError `UWSGI_ERR_LOCK_INVALID`, `UWSGI_ERR_LOCK_IN_SPOOLER`,
   *   `UWSGI_ERR_LOCK_REENTRANT` when this process already holds it (uWSGI would deadlock), or
   *   `UWSGI_ERR_LOCK_CLUSTER` for a lock name.
   * @example
   * ```ts
   * uwsgi.lock(1);
   * try { critical(); } finally { uwsgi.unlock(1); }
   * ```
   */
  lock(lock_num?: number): void;
  /** Releases user lock `lock_num`. */
  unlock(lock_num?: number): void;
  /** Whether user lock `lock_num` is held by some process. */
  is_locked(lock_num?: number): boolean;

  // ------------------------------------------------------------------ signals ----------------

  /**
   * Registers a handler for signal `number` (0..255) delivered to `target`: `workers`, `workerN`,
   * `worker`, `active-workers`, `mules`, `muleN`, `mule`, `spooler` (one spooler process),
   * `spoolers` (every spooler process), `farmN`, `farm_NAME`.
   * @example
   * ```ts
   * uwsgi.register_signal(17, "workers", (n) => reloadConfig());
   * uwsgi.add_timer(17, 30); // every 30 s, once for the whole instance
   * ```
   */
  register_signal(number: number, target: string, func: SignalHandler): void;
  /** Raises signal `num` (the server's master routes it by the instance's table; the stub delivers it in-process), or sends it to a remote node `host:port`. */
  signal(num: number, remote?: string): Promise<void>;
  /** Whether a handler is registered for `num` in this process. */
  signal_registered(num: number): boolean;
  /** Waits (inside a request) for signal `num`, or any signal; resolves with empty bytes. */
  signal_wait(num?: number | null): Promise<Buffer>;
  /** Number of the last signal `signal_wait` received in this request (0 if none). */
  signal_received(): number;
  /** Raises `signal` every `period` seconds (0 never fires). */
  add_timer(signal: number, period: number): void;
  /** Raises `signal` every `period` milliseconds. */
  add_ms_timer(signal: number, period: number): void;
  /** Raises `signal` every `period` seconds, `repeat` times (0 = forever). */
  add_rb_timer(signal: number, period: number, repeat?: number): void;
  /**
   * Raises `signal` when the local time matches; -1 = any, -N = every N. Fires once per matching minute.
   * @example
   * ```ts
   * uwsgi.add_cron(20, 0, 3, -1, -1, -1); // 03:00 every day
   * ```
   */
  add_cron(signal: number, minute?: number, hour?: number, day?: number, month?: number, weekday?: number): boolean;
  /** Raises `signal` when `filename` (a file, or a directory's direct children) changes. */
  add_file_monitor(signal: number, filename: string): void;

  // ------------------------------------------------------------------ rpc --------------------

  /**
   * Registers an RPC function callable locally (`call`) and from other nodes (`rpc`).
   * @example
   * ```ts
   * uwsgi.register_rpc("hello", (name) => Buffer.concat([Buffer.from("hello "), name]));
   * await uwsgi.call("hello", "world"); // <Buffer "hello world">
   * ```
   */
  register_rpc(name: string, func: RpcFunction, argc?: number): boolean;
  /** Calls an RPC function on `address` (`host:port`, `/unix/path`), or locally when null or "". */
  rpc(address: BytesLike | null, func_name: BytesLike, ...args: BytesLike[]): Promise<Buffer | null>;
  /** Calls a local RPC function. */
  call(func_name: BytesLike, ...args: BytesLike[]): Promise<Buffer | null>;
  /** Names of the RPC functions registered in this process. */
  rpc_list(): Buffer[];

  // ------------------------------------------------------------------ spooler ----------------

  /**
   * Queues a task for the spooler and returns the spool file's path.
   * Reserved keys: `spooler` (target spooler directory), `priority` (subdirectory), `at` (unix
   * time before which the task does not run), `body` (bytes passed as the task's `body`).
   * @example
   * ```ts
   * uwsgi.send_to_spooler({ to: "a@example.com", at: Math.floor(Date.now() / 1000) + 60 });
   * ```
   */
  send_to_spooler(message?: SpoolMessage | null, kwargs?: SpoolMessage): Buffer;
  /** Alias of {@link UwsgiModule.send_to_spooler}. */
  spool(message?: SpoolMessage | null, kwargs?: SpoolMessage): Buffer;
  /** Paths of the queued tasks of the first spooler. */
  spooler_jobs(): Buffer[];
  /** Reads a task file into the dictionary the spooler callable would get; `null` if unreadable. */
  spooler_get_task(path: string): SpoolTask | null;
  /** Pid of the first spooler process (0 without one). */
  spooler_pid(): number;
  /** Pids of all spooler processes. */
  spooler_pids(): number[];
  /** Sets how often (seconds) the spoolers scan their directories; 0 restores the configured value. */
  set_spooler_frequency(seconds: number): boolean;
  /** Whether this process is a spooler. */
  i_am_the_spooler(): boolean;
  /** Parses a spool file (or any uwsgi-packet file) into a dictionary; `null` if malformed. */
  parsefile(fpath: string): Record<string, Buffer> | null;

  // ------------------------------------------------------------------ mules and farms --------

  /** Id of this mule (1..M), 0 outside mules. */
  mule_id(): number;
  /**
   * Sends a message to any mule (no target), mule N (a number) or a farm (its name). Returns
   * true once the message is queued.
   * @throws UwsgiError `UWSGI_ERR_MULE_NONE`, `UWSGI_ERR_MULE_INVALID`, `UWSGI_ERR_FARM_UNKNOWN`,
   *   `UWSGI_ERR_MULE_MSG_TOO_LARGE` (beyond `--mule-msg-size`), `UWSGI_ERR_MULE_QUEUE_FULL` (the
   *   target's queue holds 65536 messages, or 16 MiB of this process wait for the master; uWSGI
   *   returns false and logs).
   * @example
   * ```ts
   * uwsgi.mule_msg("resize:42", "thumbnails"); // one mule of farm "thumbnails" gets it
   * ```
   */
  mule_msg(message: BytesLike, mule_farm?: string | number | null): boolean;
  /**
   * Waits for a message inside a mule: its own queue, the shared queue and (unless `farms` is
   * false or null) its farms'. Resolves with `b""` on timeout (seconds; -1 = forever); a message
   * longer than `buffer_size` (default 65536) is cut to it. Python's keywords are an options
   * object: `mule_get_msg({ farms: false, timeout: 5 })`. `signals` is accepted and ignored: signal
   * handlers run while a mule waits either way (uWSGI's inverted flag is not copied).
   * @example
   * ```ts
   * for (;;) {
   *   const msg = await uwsgi.mule_get_msg({ timeout: 10 });
   *   if (msg?.length) handle(msg);
   * }
   * ```
   * @throws UwsgiError `UWSGI_ERR_NOT_IN_MULE` outside a mule.
   */
  mule_get_msg(signals?: boolean | null, farms?: boolean | null, buffer_size?: number, timeout?: number): Promise<Buffer | null>;
  mule_get_msg(options: MuleGetMsgOptions): Promise<Buffer | null>;
  /** Sends a message to one mule of farm `farm`. */
  farm_msg(farm: string, message: BytesLike): void;
  /** Waits for a message on this mule's farms. */
  farm_get_msg(): Promise<Buffer | null>;
  /** Whether this mule belongs to farm `name` (any farm when omitted); `null` outside mules. */
  in_farm(name?: string | null): boolean | null;

  // ------------------------------------------------------------------ process ----------------

  /** Id of this worker (1..N), 0 elsewhere. */
  worker_id(): number;
  /** Pid of the master process (0 without one). */
  masterpid(): number;
  /** Statistics of every worker. */
  workers(): WorkerInfo[];
  /** Requests completed by the whole instance. */
  total_requests(): number;
  /** Requests completed by this core before the current one. */
  request_id(): number;
  /** (rss, vsz) of this process in bytes. */
  mem(): [number, number];
  /** Current time in microseconds. */
  micros(): number;
  /** Whether initialisation is complete. */
  ready(): boolean;
  /** Tells the master this worker accepts requests (needed by chain reloading). */
  accepting(flag?: boolean): void;
  /** Whether this start is a reload. */
  is_a_reload(): boolean;
  /**
   * Gracefully reloads the instance (SIGHUP to the master, as in uWSGI): workers finish their
   * requests, then new ones take over. Returns true once the master has been told.
   */
  reload(): boolean;
  /**
   * Stops the instance at once, as uWSGI does (SIGQUIT to the master): workers, mules and spoolers
   * are killed without waiting for in-flight requests, the caller's own included, so the reply of
   * the request that calls it may be cut. For a graceful stop, signal the master with SIGTERM:
   * `process.kill(uwsgi.masterpid(), "SIGTERM")`. Returns true once the master has been told.
   * The stub only counts the call (see `processRequests()` in `uwsgi-node/testing`).
   */
  stop(): boolean | null;
  /** Sets this process's title. */
  setprocname(name: string): void;
  /** Kills this process if the current task lasts more than `timeout` seconds (0 disarms). */
  set_user_harakiri(timeout?: number): void;
  /** Backlog of listening socket `socket_num`. */
  listen_queue(socket_num?: number): number;
  /** Stores a warning (≤ 80 bytes) reported by ping. */
  set_warning_message(message: string): boolean;
  /** Event loop engine name, or `null`. */
  loop(): string | null;

  // ------------------------------------------------------------------ logging ----------------

  /** Writes a line to the instance log. */
  log(message: string): boolean;
  /** Bytes written to the log so far. */
  logsize(): number;
  /** Forces the request log line for the current request. */
  log_this_request(): void;
  /** Sets a per-request log variable. */
  set_logvar(name: string, value: string): void;
  /** Gets a per-request log variable, or `null`. */
  get_logvar(name: string): Buffer | null;
  /** Raises alarm `name` defined with `--alarm` (in the server the master runs it: `log:`, `cmd:`, `signal:N`); an unknown name is logged. */
  alarm(name: string, message: string): void;

  // ------------------------------------------------------------------ request ----------------

  /** Content length of the current request body. */
  cl(): number;
  /** File descriptor of the current request's connection (-1 when unknown). */
  connection_fd(): number;
  /** Drops the current connection. */
  disconnect(): void;
  /** Adds a variable to the current request's environment. */
  add_var(name: string, value: string): boolean;
  /**
   * Reads the next piece of the request body as it arrives (chunked or not: the server has
   * removed the transfer coding): an empty Buffer once the body is over. Rejects with
   * `UWSGI_ERR_REQUEST_TIMEOUT` after `timeout` seconds (0 = wait without limit) and with
   * `UWSGI_ERR_REQUEST_IO` when the client goes away. Do not also read `req` as a stream.
   * @example
   * ```ts
   * for (let chunk = await uwsgi.chunked_read(5); chunk.length > 0; chunk = await uwsgi.chunked_read(5)) hash.update(chunk);
   * ```
   */
  chunked_read(timeout?: number): Promise<Buffer>;
  /** Like {@link UwsgiModule.chunked_read} without waiting: `null` when nothing has arrived yet (uWSGI's None), empty at the end. */
  chunked_read_nb(): Promise<Buffer | null>;
  /** Whether the request's connection has data to read. */
  ready_fd(): boolean;

  // ------------------------------------------------------------------ websockets -------------

  /**
   * Switches the current request to a websocket: writes the 101 answer (with uWSGI's
   * `Sec-WebSocket-Origin`) from the request's `Sec-WebSocket-Key`, `Origin` and
   * `Sec-WebSocket-Protocol`, or the values given. Works on requests with `Upgrade` over
   * `--http`/`--http-socket` (nginx `proxy_pass` with the upgrade headers) and on the uwsgi socket.
   * Rejects with `UWSGI_ERR_WEBSOCKET_HANDSHAKE` (uWSGI's IOError) when it cannot.
   * @example
   * ```ts
   * export default async function app(req, res) {
   *   await uwsgi.websocket_handshake();
   *   for (;;) await uwsgi.websocket_send(await uwsgi.websocket_recv()); // echo until the client closes
   * }
   * ```
   */
  websocket_handshake(security_key?: string | null, origin?: string | null, proto?: string | null): Promise<void>;
  /**
   * The next message (text or binary) as bytes, whole (fragments reassembled). Rejects with
   * `UWSGI_ERR_WEBSOCKET_CLOSED` once the connection is closed and earlier messages are taken.
   * `request_context` (uWSGI 2.1) is not supported: the current request is used.
   */
  websocket_recv(request_context?: unknown): Promise<Buffer>;
  /** The next message, or an empty Buffer when none is waiting; rejects like {@link UwsgiModule.websocket_recv} once closed. */
  websocket_recv_nb(request_context?: unknown): Promise<Buffer>;
  /** Sends one text frame; resolves once written, rejects with `UWSGI_ERR_WEBSOCKET_SEND` on a closed connection. */
  websocket_send(message: BytesLike, request_context?: unknown): Promise<void>;
  /** Sends one binary frame (see {@link UwsgiModule.websocket_send}). */
  websocket_send_binary(message: BytesLike, request_context?: unknown): Promise<void>;

  // ------------------------------------------------------------------ sockets and fds --------

  /** Connects to `socket` (`host:port`, `/unix/path`) and returns the file descriptor. */
  connect(socket: string, timeout?: number): Promise<number>;
  /** Like {@link UwsgiModule.connect}; returns -1 on failure. */
  async_connect(socket: string): Promise<number>;
  /** Closes a descriptor opened by `connect`. */
  close(fd: number): void;
  /** Whether `fd` is a connected socket. */
  is_connected(fd: number): boolean;
  /** Reads up to `maxsize` bytes from `fd`. */
  recv(fd: number, maxsize?: number): Promise<Buffer>;
  /**
   * With one argument writes response body bytes to the current request (the response head
   * first, as `res.write` does); with two writes `data` to descriptor `fd`. Resolves true once written.
   * @example
   * ```ts
   * res.setHeader("Content-Type", "text/plain");
   * await uwsgi.send("hello ");
   * await uwsgi.send(Buffer.from("world"));
   * res.end();
   * ```
   */
  send(fd_or_data: number | BytesLike, data?: BytesLike | null): Promise<boolean>;
  /**
   * Streams a file (a path or an open descriptor, which stays open) into the response body,
   * from `start_pos`, `filesize` bytes (0 = to the end); resolves true once written. Node has no
   * `sendfile(2)` for sockets: the bytes are read in 64 KiB pieces with backpressure, never
   * blocking the event loop. `chunk_size` is ignored, as in uWSGI.
   * @example
   * ```ts
   * await uwsgi.sendfile("/srv/report.pdf");
   * res.end();
   * ```
   */
  sendfile(fd_or_name: number | string, chunk_size?: number, start_pos?: number, filesize?: number): Promise<boolean | null>;
  /** Waits until `fd` is readable (timeout in seconds). */
  wait_fd_read(fd: number, timeout?: number | null): Promise<Buffer>;
  /** Waits until `fd` is writable (timeout in seconds). */
  wait_fd_write(fd: number, timeout?: number | null): Promise<Buffer>;
  /**
   * Hands the transfer of a file to the event loop and ends the response when it is sent:
   * resolves (empty bytes) as soon as the file is open, so the handler can return at once.
   * @example
   * ```ts
   * await uwsgi.offload("/srv/big.iso"); // the response ends when the file is out
   * ```
   */
  offload(filename: string): Promise<Buffer>;

  // ------------------------------------------------------------------ async ------------------

  /** Pauses the current request for `seconds`, letting others run. */
  async_sleep(seconds: number): Promise<Buffer>;
  /** Lets other requests run; resolves true when resumed. */
  suspend(): Promise<boolean>;
  /** Alias of {@link UwsgiModule.suspend}. */
  green_schedule(): Promise<boolean>;

  // ------------------------------------------------------------------ misc -------------------

  /**
   * Reads `fname`: a path or `file://` URL (`null` when unreadable), a `data:` URI (RFC 2397), or
   * `sym://NAME` (bytes registered with `registerEmbeddedData`, `null` when none). uWSGI's other
   * schemes (`data://N`, `section://`, `exec://`, `http://` ...) throw `UWSGI_ERR_EXTRACT`.
   * @example
   * ```ts
   * uwsgi.extract("data:text/plain;base64,aGk="); // <Buffer 68 69>
   * ```
   */
  extract(fname: string): Buffer | null;
  /**
   * The bytes registered as symbol `symbol_name` with `registerEmbeddedData` (a Node process has
   * no symbols linked into a uWSGI binary).
   * @throws UwsgiError UWSGI_ERR_EMBEDDED_DATA when nothing is registered under that name.
   */
  embedded_data(symbol_name: string): Buffer;
  /**
   * Runs internal-routing action `name` with `args_str` on the current request at once (as
   * uWSGI's `uwsgi_route_api_func`) and returns its code: 0 NEXT, 1 CONTINUE, 2 BREAK (the
   * request was answered or closed), -1 for an action uwsgi-node does not provide. Actions:
   * continue/last, break, return, goto, log, donotlog, logvar, addvar, addheader, signal, alarm,
   * redirect(-302/-301/-permanent), rewrite(-last).
   * @throws UwsgiError UWSGI_ERR_ROUTE for bad arguments; UWSGI_ERR_NO_REQUEST outside a request.
   * @example
   * ```ts
   * uwsgi.route("addheader", "X-Served-By: node"); // 0
   * uwsgi.route("redirect", "/login");            // 2: a 302 was sent
   * ```
   */
  route(name: string, args_str: string): number;
  /** Whether this instance is the Lord of legion `legion_name`. */
  i_am_the_lord(legion_name: string): boolean;
  /** The Lord's scroll of the legion, or `null`. */
  lord_scroll(legion_name: string): Buffer | null;
  /** Scrolls of the legion's nodes (own first), or `null` for an unknown legion. */
  scrolls(legion_name: string): Buffer[] | null;
}
