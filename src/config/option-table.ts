/**
 * The one table of uwsgi-node options. It drives the command-line parser, the ini/json/yaml
 * readers and `--help`. Names, aliases and short flags are uWSGI 2.0.21's (core/uwsgi.c and the
 * python/http plugins' option tables); help texts describe what the option does here.
 * @module
 */

import type { OptionValue } from "./option-set.js";
import {
  farmSpec,
  flagValue,
  intAtMost,
  nameEqualsValue,
  nonNegativeInt,
  pathAndSignal,
  signalAndSeconds,
  socketMode,
} from "./option-validators.js";

/** Whether an option takes a value: always, optionally (`--name=value` only on the command line), or never. */
export type OptionArg = "required" | "optional" | "none";

/** One option of the table. */
export interface OptionDef {
  /** Canonical name, without dashes; the name used in {@link OptionSet} entries. */
  readonly name: string;
  /** Other names accepted for the same option (resolved to `name` when parsed). */
  readonly aliases?: readonly string[];
  /** One-letter command-line flag, e.g. `"p"` for `-p 4`. */
  readonly short?: string;
  readonly arg: OptionArg;
  /** Repeatable: every occurrence is kept and used (otherwise the last one wins). */
  readonly multi?: boolean;
  /** Using the option turns the master process on (uWSGI's `UWSGI_OPT_MASTER`). */
  readonly impliesMaster?: boolean;
  /** Using the option turns the metrics subsystem on (uWSGI's `UWSGI_OPT_METRICS`). */
  readonly impliesMetrics?: boolean;
  /** Heading under which `--help` lists the option. */
  readonly category: string;
  /** One-line description for `--help`. */
  readonly help: string;
  /** Placeholder for the value in `--help`, e.g. `"ADDR"`. */
  readonly valueName?: string;
  /**
   * Set when the option is accepted (so uWSGI configs keep working) but does nothing here: why.
   * Using it logs "option NAME (where) has no effect in uwsgi-node: WHY" at start. Every option
   * without it is read by the server (test/unit/config/option-effects.test.ts checks both).
   */
  readonly noEffect?: string;
  /** Checks the final value; throws `UWSGI_ERR_OPTION_VALUE` naming the option. */
  readonly validate?: (value: OptionValue, name: string) => void;
}

const SOCKETS = "Sockets";
const PROCESSES = "Processes and reloading";
const APP = "Application";
const CONFIG = "Configuration files";
const LOGGING = "Logging";
const STATS = "Stats server";
const CACHE = "Cache";
const LOCKS = "Locks";
const METRICS = "Metrics";
const SPOOLER = "Spooler";
const MULES = "Mules and farms";
const SIGNALS = "Signals, timers and cron";
const RPC = "RPC";
const WEBSOCKETS = "WebSockets";
const GENERAL = "General";
const LEGIONS = "Legions";
const OPERATING = "Operating a running instance";
const ROUTING = "Internal routing";

const int = nonNegativeInt;
const flag = flagValue;

/** Every option uwsgi-node understands, in `--help` order. */
export const OPTIONS: readonly OptionDef[] = [
  // --- general ---------------------------------------------------------------------------------
  { name: "help", aliases: ["usage"], short: "h", arg: "none", category: GENERAL, help: "show this help and exit", validate: flag },
  { name: "version", arg: "none", category: GENERAL, help: "print the version and exit", validate: flag },

  // --- sockets ---------------------------------------------------------------------------------
  { name: "http", arg: "required", multi: true, category: SOCKETS, valueName: "ADDR", help: "serve HTTP on ADDR (uWSGI runs a separate HTTP router there; here the workers answer directly)" },
  { name: "http-socket", arg: "required", multi: true, category: SOCKETS, valueName: "ADDR", help: "bind a UNIX/TCP socket on which the workers speak HTTP" },
  { name: "socket", short: "s", arg: "required", multi: true, category: SOCKETS, valueName: "ADDR", help: "bind a UNIX/TCP socket speaking the default protocol (uwsgi)" },
  { name: "uwsgi-socket", arg: "required", multi: true, category: SOCKETS, valueName: "ADDR", help: "bind a UNIX/TCP socket speaking the uwsgi protocol" },
  { name: "listen", short: "l", arg: "required", category: SOCKETS, valueName: "N", help: "listen queue (backlog) size of the sockets", validate: int },
  { name: "socket-timeout", short: "z", arg: "required", category: SOCKETS, valueName: "SECONDS", help: "longest wait for a client's bytes: a new connection's first request, an HTTP header block, a uwsgi packet, the next bytes of a request body (default 4)", validate: int },
  { name: "http-keepalive", arg: "optional", category: SOCKETS, valueName: "SECONDS", help: "idle keep-alive timeout of HTTP connections (default 5); 0 or false closes the connection after each response" },
  { name: "limit-post", arg: "required", category: SOCKETS, valueName: "BYTES", help: "largest request body: HTTP answers 413, the uwsgi socket closes the connection (default: no limit)", validate: int },
  { name: "max-connections", arg: "required", category: SOCKETS, valueName: "N", help: "open connections per worker; more are closed at once and logged (default: the open-file limit minus 64)", validate: int },
  { name: "chmod-socket", short: "C", arg: "optional", category: SOCKETS, valueName: "MODE", help: "chmod UNIX sockets: bare or 1 for 666, or three octal digits (--chmod-socket=660)", validate: socketMode },
  { name: "chown-socket", arg: "required", category: SOCKETS, valueName: "USER[:GROUP]", help: "chown UNIX sockets (names or numbers) after binding them, before dropping privileges" },
  { name: "uid", arg: "required", category: SOCKETS, valueName: "USER", help: "after binding the sockets, the master (and so every worker) switches to USER (name or number); with --gid unset, to the user's primary group too. Started as root, it is required: without it the master refuses to start (--uid root runs the workers as root knowingly)" },
  { name: "gid", arg: "required", category: SOCKETS, valueName: "GROUP", help: "after binding the sockets, the master (and so every worker) switches to GROUP (name or number)" },
  { name: "umask", arg: "required", category: SOCKETS, valueName: "MASK", help: "set the umask (octal, e.g. 027) before any socket or file is created" },
  { name: "vacuum", arg: "none", category: SOCKETS, help: "remove the UNIX sockets and pidfile this instance created when it exits", validate: flag },
  { name: "buffer-size", short: "b", arg: "required", category: SOCKETS, valueName: "BYTES", help: "maximum size of a request's uwsgi packet / HTTP header block (default 4096, max 65535)", validate: intAtMost(65535) },

  // --- processes -------------------------------------------------------------------------------
  { name: "master", short: "M", arg: "none", category: PROCESSES, help: "run a master process that supervises the workers", validate: flag },
  { name: "processes", aliases: ["workers"], short: "p", arg: "required", category: PROCESSES, valueName: "N", help: "number of worker processes", validate: int },
  { name: "threads", arg: "required", category: PROCESSES, valueName: "N", help: "uWSGI: N threads per worker. Here it only makes uwsgi.has_threads true: a worker already runs its requests concurrently on its event loop (uwsgi.cores stays 1)", validate: int },
  { name: "enable-threads", short: "T", arg: "none", category: PROCESSES, help: "makes uwsgi.has_threads true (as --threads does); Node workers need no thread support switched on", validate: flag },
  { name: "lazy-apps", arg: "none", category: PROCESSES, help: "load the app in each worker, not in the master (always the case here)", noEffect: "every worker always loads the app itself (there is no copy-on-write preloading in the master), which is what this asks uWSGI for", validate: flag },
  { name: "die-on-term", arg: "none", category: PROCESSES, help: "make SIGTERM stop the instance (always the case here)", noEffect: "SIGTERM always stops the instance gracefully here (uWSGI without it reloads on SIGTERM); SIGQUIT stays an immediate stop", validate: flag },
  { name: "cheaper", arg: "required", category: PROCESSES, valueName: "N", help: "adaptive worker count: keep at least N workers running, up to --processes, as --cheaper-algo decides once a second", validate: int },
  { name: "cheaper-initial", arg: "required", category: PROCESSES, valueName: "N", help: "workers started at boot in cheaper mode (default --cheaper)", validate: int },
  { name: "cheaper-step", arg: "required", category: PROCESSES, valueName: "N", help: "most workers the cheaper algorithm adds at once (default 1)", validate: int },
  { name: "cheaper-algo", arg: "required", category: PROCESSES, valueName: "NAME", help: "spare (default: add when every worker is busy for more than --cheaper-overload checks, remove idle ones), backlog (add while the listen queue exceeds --cheaper-overload) or manual (only the master fifo's + and -)" },
  { name: "cheaper-overload", arg: "required", category: PROCESSES, valueName: "N", help: "spare: seconds of overload before adding workers and between removals; backlog: queued connections (default 3)", validate: int },
  { name: "idle", arg: "required", category: PROCESSES, valueName: "SECONDS", help: "after SECONDS without a request stop every worker (cheap mode); the next connection on a TCP socket starts them again", validate: int },
  { name: "harakiri", short: "t", arg: "required", category: PROCESSES, valueName: "SECONDS", help: "kill and respawn a worker whose request runs longer than this", validate: int },
  { name: "max-requests", short: "R", arg: "required", category: PROCESSES, valueName: "N", help: "recycle a worker after it has handled N requests", validate: int },
  { name: "reload-on-rss", arg: "required", category: PROCESSES, valueName: "MB", help: "recycle a worker whose resident memory exceeds this many megabytes", validate: int },
  { name: "touch-reload", arg: "required", multi: true, impliesMaster: true, category: PROCESSES, valueName: "FILE", help: "reload the instance when FILE is modified or touched" },
  { name: "touch-chain-reload", arg: "required", multi: true, impliesMaster: true, category: PROCESSES, valueName: "FILE", help: "reload the workers one after another when FILE is modified or touched" },
  { name: "worker-reload-mercy", arg: "required", category: PROCESSES, valueName: "SECONDS", help: "a worker asked to stop (reload, recycle, stop) that is still alive after SECONDS is killed (default 60)", validate: int },
  { name: "pidfile", arg: "required", category: PROCESSES, valueName: "FILE", help: "write the master's pid to FILE" },

  // --- operating a running instance -------------------------------------------------------------
  { name: "daemonize", arg: "required", category: OPERATING, valueName: "LOGFILE", help: "run in the background (new session, no terminal) at once, appending the log to LOGFILE" },
  { name: "daemonize2", arg: "required", category: OPERATING, valueName: "LOGFILE", help: "like --daemonize, but the command returns only once every worker is ready (exit code of the daemon if it fails to start)" },
  { name: "reload", arg: "required", category: OPERATING, valueName: "PIDFILE", help: "gracefully reload the instance whose master pid is in PIDFILE (SIGHUP), then exit; exit code 1 if the pidfile is stale" },
  { name: "stop", arg: "required", category: OPERATING, valueName: "PIDFILE", help: "gracefully stop the instance whose master pid is in PIDFILE (SIGINT), then exit; exit code 1 if the pidfile is stale" },
  { name: "master-fifo", arg: "required", multi: true, category: OPERATING, valueName: "PATH", help: "create a FIFO the master reads commands from: r/w reload, R/W brutal reload, c chain reload, q/Q stop, s stats to the log, l/L log reopen, +/- workers (cheaper), 0-9 switch to the Nth --master-fifo" },

  // --- application -----------------------------------------------------------------------------
  { name: "module", aliases: ["wsgi"], short: "w", arg: "required", category: APP, valueName: "MODULE", help: "load the application from a module (path or package name, optionally MODULE:CALLABLE)" },
  { name: "callable", arg: "required", category: APP, valueName: "NAME", help: "name of the application export to call (default: application)" },
  { name: "wsgi-file", aliases: ["file"], arg: "required", category: APP, valueName: "FILE", help: "load the application from a script file" },
  { name: "chdir", arg: "required", category: APP, valueName: "DIR", help: "change to DIR before loading the application" },
  { name: "env", arg: "required", multi: true, category: APP, valueName: "NAME=VALUE", help: "set an environment variable (NAME alone removes it)" },
  { name: "need-app", arg: "none", category: APP, help: "exit if the application cannot be loaded (always the case here)", validate: flag, noEffect: "the instance always exits (code 22) when the app cannot be loaded at start" },

  // --- configuration ---------------------------------------------------------------------------
  { name: "ini", arg: "required", multi: true, category: CONFIG, valueName: "FILE[:SECTION]", help: "read options from an ini file, section [uwsgi] unless SECTION is given (:SECTION alone rereads the last ini file)" },
  { name: "json", aliases: ["js"], short: "j", arg: "required", multi: true, category: CONFIG, valueName: "FILE[:OBJECT]", help: "read options from a JSON file (object \"uwsgi\" unless given; --js reads JSON too, not JavaScript)" },
  { name: "yaml", aliases: ["yml"], short: "y", arg: "required", multi: true, category: CONFIG, valueName: "FILE[:KEY]", help: "read options from a YAML file (mapping \"uwsgi\" unless given)" },
  { name: "set", short: "S", arg: "required", multi: true, category: CONFIG, valueName: "NAME=VALUE", help: "set an option, or define a placeholder %(NAME) if NAME is not an option", validate: nameEqualsValue },
  { name: "set-placeholder", aliases: ["set-ph"], arg: "required", multi: true, category: CONFIG, valueName: "NAME=VALUE", help: "define the placeholder %(NAME) (NAME must not be an option)", validate: nameEqualsValue },
  { name: "declare-option", aliases: ["declare-option2"], arg: "required", multi: true, category: CONFIG, valueName: "NAME=TEMPLATE", help: "declare a custom option NAME expanding to \"opt1=value;opt2=value\" with $1..$9 taken from its space-separated value", validate: nameEqualsValue },
  { name: "plugin", aliases: ["plugins"], arg: "required", multi: true, category: CONFIG, valueName: "NAMES", help: "cache, rpc, signal, spooler: serve remote cache/RPC/signal/spool requests (modifier1 111/173/110/17) on --socket, off by default; other names have no effect" },
  { name: "remote-allow", arg: "required", multi: true, category: CONFIG, valueName: "PEERS", help: "peers allowed to use the remote operations enabled with --plugin: addresses, ADDR/PREFIX networks, loopback, unix (default: loopback,unix)" },

  // --- logging ---------------------------------------------------------------------------------
  { name: "logto", arg: "required", category: LOGGING, valueName: "FILE", help: "append the log to FILE instead of stderr" },
  { name: "logformat", aliases: ["log-format"], arg: "required", category: LOGGING, valueName: "FORMAT", help: "request log line with uWSGI's %(var) variables (%(uri), %(status), %(msecs), %(var.NAME), set_logvar names ...)" },
  { name: "alarm", arg: "required", multi: true, category: LOGGING, valueName: "NAME PLUGIN:ARGS", help: "define an alarm: log:, cmd:COMMAND (the message on its stdin), signal:N (raise uwsgi signal N)" },
  { name: "alarm-freq", arg: "required", category: LOGGING, valueName: "SECONDS", help: "skip an alarm raised again within SECONDS (default 3)", validate: int },
  { name: "log-alarm", aliases: ["alarm-log"], arg: "required", multi: true, category: LOGGING, valueName: "ALARM[,ALARM] REGEXP", help: "raise the alarms when a log line matches REGEXP" },
  { name: "disable-logging", short: "L", arg: "none", category: LOGGING, help: "do not log requests (errors are still logged)", validate: flag },
  { name: "memory-report", short: "m", arg: "none", category: LOGGING, help: "add the worker's memory usage to request log lines", validate: flag },
  { name: "log-master", arg: "none", category: LOGGING, help: "send every log line (request lines included) through the master (by default workers append their request lines to the log themselves, one write per batch of whole lines)", validate: flag },
  { name: "logger", arg: "required", category: LOGGING, valueName: "file:FILE|stdio", help: "where the log goes: file:FILE (as --logto FILE) or stdio (standard error); other logger plugins are rejected" },
  { name: "req-logger", arg: "required", category: LOGGING, valueName: "file:FILE|stdio", help: "where request lines go: file:FILE (appended to by the workers) or stdio; default: the log" },
  { name: "log-maxsize", arg: "required", category: LOGGING, valueName: "BYTES", help: "rotate the log file once it reaches BYTES (checked 4 times a second): renamed to --log-backupname or FILE.<unix time>, then reopened by every process", validate: int },
  { name: "log-backupname", arg: "required", category: LOGGING, valueName: "FILE", help: "name the rotated log file FILE (replaced at each rotation) instead of FILE.<unix time>" },
  { name: "log-reopen", arg: "none", category: LOGGING, help: "reopen the log file (and the request log) on every reload", validate: flag },
  { name: "touch-logreopen", arg: "required", multi: true, category: LOGGING, valueName: "FILE", help: "reopen the log file(s) when FILE is modified or touched (after an external rotation)" },
  { name: "touch-logrotate", arg: "required", multi: true, category: LOGGING, valueName: "FILE", help: "rotate the log file when FILE is modified or touched" },
  { name: "logfile-chown", arg: "none", category: LOGGING, help: "give the log file(s) to --uid/--gid, so that workers can reopen them after dropping privileges", validate: flag },

  // --- stats -----------------------------------------------------------------------------------
  { name: "stats", aliases: ["stats-server"], arg: "required", impliesMaster: true, category: STATS, valueName: "ADDR", help: "serve the stats JSON document on ADDR (host:port for TCP, otherwise a UNIX socket path)" },
  { name: "stats-http", arg: "none", impliesMaster: true, category: STATS, help: "send the stats document with HTTP response headers", validate: flag },
  { name: "stats-minified", aliases: ["stats-min"], arg: "none", impliesMaster: true, category: STATS, help: "send the stats document without whitespace", validate: flag },
  { name: "stats-no-cores", arg: "none", category: STATS, help: "leave each worker's cores list out of the stats document", validate: flag },
  { name: "stats-no-metrics", arg: "none", category: STATS, help: "leave the metrics out of the stats document", validate: flag },

  // --- cache -----------------------------------------------------------------------------------
  { name: "cache2", arg: "required", multi: true, category: CACHE, valueName: "KEYVAL", help: "create a cache: name=NAME,items=N[,blocksize=..,blocks=..,bitmap=1,keysize=..,store=FILE,purge_lru=1,...]" },
  { name: "cache", arg: "required", category: CACHE, valueName: "N", help: "create the legacy cache \"default\" with N items", validate: int },
  { name: "cache-blocksize", arg: "required", category: CACHE, valueName: "BYTES", help: "block size of the legacy cache (default 65536)", validate: int },
  { name: "cache-store", arg: "required", impliesMaster: true, category: CACHE, valueName: "FILE", help: "persist the legacy cache in FILE" },
  { name: "cache-store-sync", arg: "required", category: CACHE, valueName: "N", help: "flush the cache store file to disk every N master cycles", validate: int },
  { name: "cache-expire-freq", arg: "required", category: CACHE, valueName: "SECONDS", help: "how often the sweeper removes expired items (default 3)", validate: int },
  { name: "cache-no-expire", arg: "none", category: CACHE, help: "do not run the expired-items sweeper", validate: flag },
  { name: "cache-report-freed-items", arg: "none", category: CACHE, help: "log how many items each sweep freed, per cache (debugging)", validate: flag },
  { name: "add-cache-item", arg: "required", multi: true, category: CACHE, valueName: "[CACHE ]KEY=VALUE", help: "the master puts KEY=VALUE in CACHE (every cache without a name) once at start, never overwriting an item already there" },
  { name: "load-file-in-cache", arg: "required", multi: true, category: CACHE, valueName: "[CACHE ]PATH", help: "the master puts a file's content in CACHE (every cache without a name) once at start; the key is PATH as written" },
  { name: "load-file-in-cache-gzip", arg: "required", multi: true, category: CACHE, valueName: "[CACHE ]PATH", help: "like --load-file-in-cache, the content gzip-compressed" },

  // --- locks -----------------------------------------------------------------------------------
  { name: "locks", arg: "required", category: LOCKS, valueName: "N", help: "create user locks 1..N in addition to lock 0", validate: int },
  { name: "lock-engine", arg: "required", category: LOCKS, valueName: "ENGINE", help: "uWSGI: the lock engine (process-shared mutexes by default, or ipcsem)", noEffect: "locks are always robust process-shared mutexes in shared memory" },

  // --- metrics ---------------------------------------------------------------------------------
  { name: "enable-metrics", arg: "none", impliesMaster: true, category: METRICS, help: "enable the metrics subsystem", validate: flag },
  { name: "metric", arg: "required", multi: true, impliesMaster: true, impliesMetrics: true, category: METRICS, valueName: "NAME|KEYVAL", help: "add a custom metric: a name, or name=..,type=counter|gauge|absolute|alias,initial_value=..,collector=..,..." },
  { name: "metrics-dir", arg: "required", impliesMaster: true, impliesMetrics: true, category: METRICS, valueName: "DIR", help: "the master keeps each metric's value in a file DIR/NAME (uWSGI's 4096-byte page: the number, a newline, NULs), rewritten once a second when it changed" },
  { name: "metrics-no-cores", arg: "none", impliesMaster: true, impliesMetrics: true, category: METRICS, help: "uWSGI: do not create per-core metrics", validate: flag, noEffect: "no per-core metrics are created here" },
  { name: "metric-threshold", aliases: ["metric-alarm"], arg: "required", multi: true, impliesMaster: true, impliesMetrics: true, category: METRICS, valueName: "KEYVAL", help: "uWSGI: add a threshold: key=METRIC,value=N[,alarm=..,rate=..,msg=..,reset=..]", noEffect: "metric thresholds are not checked; alarms are raised from log lines (--log-alarm) and uwsgi.alarm()" },

  // --- spooler ---------------------------------------------------------------------------------
  { name: "spooler", short: "Q", arg: "required", multi: true, impliesMaster: true, category: SPOOLER, valueName: "DIR", help: "run spooler processes on DIR (created if missing)" },
  { name: "spooler-external", arg: "required", multi: true, impliesMaster: true, category: SPOOLER, valueName: "DIR", help: "allow spooling to DIR, served by another instance (no process here)" },
  { name: "spooler-processes", arg: "required", category: SPOOLER, valueName: "N", help: "processes per --spooler directory (default 1; the last one given applies to all)", validate: int },
  { name: "spooler-frequency", aliases: ["spooler-freq"], arg: "required", category: SPOOLER, valueName: "SECONDS", help: "how often spoolers scan their directory (default 30)", validate: int },
  { name: "spooler-ordered", arg: "none", category: SPOOLER, help: "run priority directories and tasks in order (always the case in uwsgi-node)", validate: flag },
  { name: "spooler-chdir", arg: "required", category: SPOOLER, valueName: "DIR", help: "change to DIR before each task" },
  { name: "spooler-max-tasks", arg: "required", category: SPOOLER, valueName: "N", help: "recycle a spooler process after N tasks", validate: int },
  { name: "spooler-harakiri", arg: "required", category: SPOOLER, valueName: "SECONDS", help: "kill a spooler process whose task runs longer than this", validate: int },
  { name: "spooler-max-retries", arg: "required", category: SPOOLER, valueName: "N", help: "move a task that failed N+1 times to DIR/failed (retries back off; default 10, 0 = retry forever as uWSGI)", validate: int },
  { name: "spooler-quiet", arg: "none", category: SPOOLER, help: "do not log each task", validate: flag },
  { name: "spooler-import", aliases: ["spooler-python-import"], arg: "required", multi: true, category: SPOOLER, valueName: "MODULE", help: "load MODULE in the spooler processes only" },

  // --- mules -----------------------------------------------------------------------------------
  { name: "mule", arg: "optional", multi: true, impliesMaster: true, category: MULES, valueName: "FILE", help: "add a mule; --mule=FILE makes it run FILE (ids follow option order)" },
  { name: "mules", arg: "required", multi: true, impliesMaster: true, category: MULES, valueName: "N", help: "add N mules that wait for messages", validate: int },
  { name: "farm", arg: "required", multi: true, impliesMaster: true, category: MULES, valueName: "NAME:IDS", help: "group mules into a farm: NAME:ID[,ID...]", validate: farmSpec },
  { name: "mule-harakiri", arg: "required", category: MULES, valueName: "SECONDS", help: "kill a mule whose task runs longer than this", validate: int },
  { name: "mule-msg-size", arg: "optional", impliesMaster: true, category: MULES, valueName: "BYTES", help: "buffer size of mule message sockets", validate: int },

  // --- signals ---------------------------------------------------------------------------------
  { name: "timer", aliases: ["signal-timer"], arg: "required", multi: true, impliesMaster: true, category: SIGNALS, valueName: "SIG SECONDS", help: "raise signal SIG every SECONDS", validate: signalAndSeconds },
  { name: "rbtimer", aliases: ["signal-rbtimer"], arg: "required", multi: true, impliesMaster: true, category: SIGNALS, valueName: "SIG SECONDS", help: "raise signal SIG every SECONDS (1-second resolution timer)", validate: signalAndSeconds },
  { name: "cron", arg: "required", multi: true, impliesMaster: true, category: SIGNALS, valueName: "\"MIN HOUR DAY MON WDAY CMD\"", help: "run a shell command from the master at matching times (-1 any, -N every N)" },
  { name: "cron2", arg: "required", multi: true, impliesMaster: true, category: SIGNALS, valueName: "KEYVAL CMD", help: "cron with key=value fields: minute=,hour=,day=,month=,week=,unique=,harakiri=,legion= then the command" },
  { name: "unique-cron", arg: "required", multi: true, impliesMaster: true, category: SIGNALS, valueName: "\"MIN HOUR DAY MON WDAY CMD\"", help: "like --cron but skipped while the previous run is still alive" },
  { name: "legion-cron", aliases: ["cron-legion"], arg: "required", multi: true, category: SIGNALS, valueName: "\"LEGION MIN HOUR DAY MON WDAY CMD\"", help: "like --cron, run only while this instance is the Lord of LEGION" },
  { name: "unique-legion-cron", aliases: ["unique-cron-legion"], arg: "required", multi: true, category: SIGNALS, valueName: "\"LEGION MIN HOUR DAY MON WDAY CMD\"", help: "like --legion-cron but skipped while the previous run is still alive" },
  { name: "cron-harakiri", arg: "required", category: SIGNALS, valueName: "SECONDS", help: "kill cron commands running longer than this", validate: int },
  { name: "touch-signal", arg: "required", multi: true, impliesMaster: true, category: SIGNALS, valueName: "FILE SIG", help: "raise signal SIG when FILE's modification time changes (checked once a second by the master)", validate: pathAndSignal },
  { name: "fs-signal", arg: "required", multi: true, impliesMaster: true, category: SIGNALS, valueName: "PATH SIG", help: "raise signal SIG when PATH (file or directory) changes", validate: pathAndSignal },
  { name: "signal-bufsize", arg: "required", category: SIGNALS, valueName: "BYTES", help: "buffer size of the signal queues", validate: int },

  // --- rpc -------------------------------------------------------------------------------------
  { name: "rpc-max", arg: "required", category: RPC, valueName: "N", help: "maximum number of RPC functions (default 64)", validate: int },

  // --- websockets ------------------------------------------------------------------------------
  { name: "websockets-ping-freq", aliases: ["websocket-ping-freq"], arg: "required", category: WEBSOCKETS, valueName: "SECONDS", help: "send an automatic ping this often", validate: int },
  { name: "websockets-pong-tolerance", aliases: ["websocket-pong-tolerance"], arg: "required", category: WEBSOCKETS, valueName: "SECONDS", help: "drop a connection whose pong is this late", validate: int },
  { name: "route", arg: "required", multi: true, category: ROUTING, valueName: "REGEXP ACTION", help: "run ACTION when PATH_INFO matches REGEXP (actions: continue/last, break, return, goto, log, donotlog, logvar, addvar, addheader, signal, alarm, redirect(-301/-302/-permanent), rewrite(-last))" },
  { name: "route-uri", arg: "required", multi: true, category: ROUTING, valueName: "REGEXP ACTION", help: "as --route, on REQUEST_URI" },
  { name: "route-qs", arg: "required", multi: true, category: ROUTING, valueName: "REGEXP ACTION", help: "as --route, on QUERY_STRING" },
  { name: "route-host", arg: "required", multi: true, category: ROUTING, valueName: "REGEXP ACTION", help: "as --route, on HTTP_HOST" },
  { name: "route-remote-addr", arg: "required", multi: true, category: ROUTING, valueName: "REGEXP ACTION", help: "as --route, on REMOTE_ADDR" },
  { name: "route-user-agent", arg: "required", multi: true, category: ROUTING, valueName: "REGEXP ACTION", help: "as --route, on HTTP_USER_AGENT" },
  { name: "route-referer", arg: "required", multi: true, category: ROUTING, valueName: "REGEXP ACTION", help: "as --route, on HTTP_REFERER" },
  { name: "route-remote-user", arg: "required", multi: true, category: ROUTING, valueName: "REGEXP ACTION", help: "as --route, on REMOTE_USER" },
  { name: "route-run", arg: "required", multi: true, category: ROUTING, valueName: "ACTION", help: "always run ACTION (a rule without a condition)" },
  { name: "route-label", arg: "required", multi: true, category: ROUTING, valueName: "NAME", help: "mark a point of the routing table for goto:NAME" },
  { name: "websockets-max-size", aliases: ["websocket-max-size"], arg: "required", category: WEBSOCKETS, valueName: "KB", help: "largest accepted message in kilobytes (default 1024)", validate: int },

  // --- legions -------------------------------------------------------------------------------
  { name: "legion", arg: "required", multi: true, category: LEGIONS, valueName: "\"NAME HOST:PORT VALOR ALGO:SECRET[ IV]\"", help: "join legion NAME: bind UDP HOST:PORT, announce with valor VALOR (0 = arbiter), encrypted with an OpenSSL cipher (uWSGI's wire format)" },
  { name: "legion-mcast", arg: "required", multi: true, category: LEGIONS, valueName: "\"NAME GROUP:PORT VALOR ALGO:SECRET[ IV]\"", help: "join legion NAME over a multicast group (bind, join and announce to GROUP:PORT)" },
  { name: "legion-redis", arg: "required", multi: true, category: LEGIONS, valueName: "\"NAME URL VALOR\"", help: "join legion NAME whose Lord holds a lease in Redis/Valkey at URL (redis://host:port[/db]): for networks without UDP between nodes; lease time --legion-tolerance, fencing token from INCR" },
  { name: "legion-node", arg: "required", multi: true, category: LEGIONS, valueName: "\"NAME HOST:PORT\"", help: "send the announces of legion NAME to the UDP peer HOST:PORT" },
  { name: "legion-quorum", arg: "required", multi: true, category: LEGIONS, valueName: "\"NAME N\"", help: "votes needed to elect the Lord of legion NAME (default 0: a lone node elects itself)" },
  { name: "legion-scroll", arg: "required", multi: true, category: LEGIONS, valueName: "\"NAME TEXT\"", help: "the scroll this node announces in legion NAME (uwsgi.scrolls / uwsgi.lord_scroll)" },
  { name: "legion-lord", arg: "required", multi: true, category: LEGIONS, valueName: "\"NAME ACTION\"", help: "run ACTION (cmd:CMD, exec:CMD, signal:N, log:TEXT, alarm:NAME MSG) when this node becomes Lord" },
  { name: "legion-unlord", arg: "required", multi: true, category: LEGIONS, valueName: "\"NAME ACTION\"", help: "run ACTION (cmd:CMD, exec:CMD, signal:N, log:TEXT, alarm:NAME MSG) when this node stops being Lord" },
  { name: "legion-setup", arg: "required", multi: true, category: LEGIONS, valueName: "\"NAME ACTION\"", help: "run ACTION (cmd:CMD, exec:CMD, signal:N, log:TEXT, alarm:NAME MSG) when the legion starts" },
  { name: "legion-death", arg: "required", multi: true, category: LEGIONS, valueName: "\"NAME ACTION\"", help: "run ACTION (cmd:CMD, exec:CMD, signal:N, log:TEXT, alarm:NAME MSG) when the instance stops" },
  { name: "legion-join", arg: "required", multi: true, category: LEGIONS, valueName: "\"NAME ACTION\"", help: "run ACTION (cmd:CMD, exec:CMD, signal:N, log:TEXT, alarm:NAME MSG) when the legion first reaches quorum" },
  { name: "legion-node-joined", arg: "required", multi: true, category: LEGIONS, valueName: "\"NAME ACTION\"", help: "run ACTION (cmd:CMD, exec:CMD, signal:N, log:TEXT, alarm:NAME MSG) when a node joins" },
  { name: "legion-node-left", arg: "required", multi: true, category: LEGIONS, valueName: "\"NAME ACTION\"", help: "run ACTION (cmd:CMD, exec:CMD, signal:N, log:TEXT, alarm:NAME MSG) when a node leaves (silent past --legion-tolerance)" },
  { name: "legion-freq", arg: "required", category: LEGIONS, valueName: "SECONDS", help: "seconds between announces (default 3)", validate: int },
  { name: "legion-tolerance", arg: "required", category: LEGIONS, valueName: "SECONDS", help: "seconds of silence after which a node leaves the legion (default 15)", validate: int },
  { name: "legion-skew-tolerance", arg: "required", category: LEGIONS, valueName: "SECONDS", help: "announces whose clock is older than this are refused (default 60, uWSGI's code default)", validate: int },
  { name: "legion-death-on-lord-error", arg: "required", category: LEGIONS, valueName: "SECONDS", help: "when a lord hook fails, announce death and stay out of the legion for SECONDS", validate: int },
  { name: "legion-scroll-max-size", arg: "required", category: LEGIONS, valueName: "BYTES", help: "largest Lord scroll kept (default 4096)", validate: int },
  { name: "legion-scroll-list-max-size", arg: "required", category: LEGIONS, valueName: "BYTES", help: "largest scroll list kept (default 32768)", validate: int },
];

/**
 * uWSGI options uwsgi-node does not implement but accepts (with a warning) so shared uWSGI config
 * files keep working, mapped to whether they take a value. Each is either Python-specific,
 * cosmetic, or about privileges/accept serialisation that a Node server handles differently.
 */
export const IGNORED_UWSGI_OPTIONS: ReadonlyMap<string, OptionArg> = new Map<string, OptionArg>([
  // the master always drops privileges itself, right after binding (workers are its children)
  ["master-as-root", "none"],
  // accept() serialisation
  ["thunder-lock", "none"],
  // Python interpreter setup
  ["home", "required"],
  ["virtualenv", "required"],
  ["venv", "required"],
  ["pyhome", "required"],
  ["pythonpath", "required"],
  ["python-path", "required"],
  ["pp", "required"],
  ["py-autoreload", "required"],
  ["python-autoreload", "required"],
  ["single-interpreter", "none"],
  // cosmetics
  ["auto-procname", "none"],
  ["procname-prefix", "required"],
  ["procname-prefix-spaced", "required"],
  ["harakiri-verbose", "none"],
  ["log-date", "optional"],
  ["logdate", "optional"],
  // uwsgi-node is always strict: unknown options are errors
  ["strict", "none"],
]);
