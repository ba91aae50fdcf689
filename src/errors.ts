/**
 * The one registry of uwsgi-node errors. Every error the library throws carries a stable
 * `code` from this table; `docs/errors.md` lists the same codes (a test keeps them in step).
 *
 * `kind` names the Python exception uWSGI raises in the same situation, so code ported from
 * a Python app can map its `except ValueError` branches.
 *
 * @module
 */

/** Python exception class uWSGI raises for the same failure. */
export type PythonErrorKind = "ValueError" | "IOError" | "SystemError" | "TypeError" | "RuntimeError";

interface ErrorSpec {
  readonly kind: PythonErrorKind;
  /** Message; `%s` placeholders are filled from the detail arguments in order. */
  readonly message: string;
}

/**
 * Every error code with its Python kind and message template.
 * Add new codes inside the section of the area that raises them; keep names `UWSGI_ERR_<AREA>_<WHAT>`.
 */
export const ERROR_CODES = {
  // --- arguments and types -------------------------------------------------------------------
  UWSGI_ERR_INVALID_ARGUMENT: { kind: "TypeError", message: "invalid argument %s: %s" },

  // --- cache ---------------------------------------------------------------------------------
  UWSGI_ERR_CACHE_UNAVAILABLE: { kind: "ValueError", message: "no local uWSGI cache available%s" },
  UWSGI_ERR_CACHE_OPTION: { kind: "ValueError", message: "invalid cache option %s: %s" },
  UWSGI_ERR_CACHE_REGION: { kind: "RuntimeError", message: "cache %s: %s" },
  UWSGI_ERR_CACHE_REDIS: { kind: "IOError", message: "cache %s: Redis at %s is unreachable or failing: %s" },
  UWSGI_ERR_CACHE_REDIS_NAME: { kind: "ValueError", message: "cache %s is kept in Redis: address it as %s (its calls return Promises)" },
  UWSGI_ERR_CACHE_NONE_CONFIGURED: { kind: "ValueError", message: "%s: no cache is configured (start the server with --cache2 name=default,items=N, or call configure([\"--cache2\", ...]) from uwsgi-node/testing)" },

  // --- metrics -------------------------------------------------------------------------------
  UWSGI_ERR_METRIC_OPTION: { kind: "ValueError", message: "invalid metric option %s: %s" },

  // --- locks ---------------------------------------------------------------------------------
  UWSGI_ERR_LOCK_INVALID: { kind: "ValueError", message: "Invalid lock number %s" },
  UWSGI_ERR_LOCK_REENTRANT: { kind: "RuntimeError", message: "lock %s is already held by this process (pid %s): locking it again would deadlock" },
  UWSGI_ERR_LOCK_IN_SPOOLER: { kind: "ValueError", message: "The spooler cannot lock/unlock resources" },
  UWSGI_ERR_LOCK_CLUSTER: { kind: "ValueError", message: "cluster locks are not provided: %s" },
  UWSGI_ERR_LOCK_NOT_OWNER: { kind: "RuntimeError", message: "lock %s is not held by this process" },

  // --- signals, timers, cron, file monitors --------------------------------------------------
  UWSGI_ERR_SIGNAL_INVALID: { kind: "ValueError", message: "invalid signal %s: %s" },
  UWSGI_ERR_SIGNAL_REGISTER: { kind: "ValueError", message: "unable to register signal %s: %s" },
  UWSGI_ERR_TIMER_ADD: { kind: "ValueError", message: "unable to add timer: %s" },
  UWSGI_ERR_CRON_ADD: { kind: "ValueError", message: "unable to add cron: %s" },
  UWSGI_ERR_FILE_MONITOR_ADD: { kind: "ValueError", message: "unable to add file monitor: %s" },
  UWSGI_ERR_SIGNAL_REMOTE_REJECTED: { kind: "ValueError", message: "node %s rejected signal %s" },
  UWSGI_ERR_SIGNAL_REMOTE_UNREACHABLE: { kind: "IOError", message: "unable to deliver signal %s to node %s" },

  // --- remote nodes (cache, rpc clients) -----------------------------------------------------
  UWSGI_ERR_REMOTE_UNREACHABLE: { kind: "IOError", message: "node %s is unreachable (%s): %s" },

  // --- rpc -----------------------------------------------------------------------------------
  UWSGI_ERR_RPC_REGISTER: { kind: "ValueError", message: "unable to register rpc function %s: %s" },
  UWSGI_ERR_RPC_CALL: { kind: "ValueError", message: "unable to call rpc function %s: %s" },

  // --- spooler -------------------------------------------------------------------------------
  UWSGI_ERR_SPOOL_ARGUMENT: { kind: "ValueError", message: "invalid spooler argument: %s" },
  UWSGI_ERR_SPOOL_FAILED: { kind: "ValueError", message: "unable to spool job: %s" },
  UWSGI_ERR_SPOOL_FILE_MALFORMED: { kind: "ValueError", message: "malformed spool file %s: %s" },
  UWSGI_ERR_SPOOLER_NONE: { kind: "ValueError", message: "unable to spool job: no spooler is configured (%s)" },
  UWSGI_ERR_SPOOL_LOCK: { kind: "IOError", message: "cannot lock spool file %s: %s" },

  // --- mules and farms -----------------------------------------------------------------------
  UWSGI_ERR_MULE_NONE: { kind: "ValueError", message: "no mule configured" },
  UWSGI_ERR_MULE_INVALID: { kind: "ValueError", message: "invalid mule %s" },
  UWSGI_ERR_FARM_UNKNOWN: { kind: "ValueError", message: "unknown farm %s" },
  UWSGI_ERR_NOT_IN_MULE: { kind: "ValueError", message: "you can receive mule messages only in a mule !!!" },
  UWSGI_ERR_MULE_MSG_TOO_LARGE: { kind: "ValueError", message: "mule message of %s bytes is larger than --mule-msg-size (%s bytes)" },
  UWSGI_ERR_MULE_QUEUE_FULL: { kind: "IOError", message: "mule message not queued: %s" },

  // --- uwsgi protocol --------------------------------------------------------------------------
  UWSGI_ERR_PACKET_MALFORMED: { kind: "ValueError", message: "malformed uwsgi packet: %s" },
  UWSGI_ERR_PACKET_TOO_LARGE: { kind: "ValueError", message: "invalid request block size: %s (max %s)" },
  UWSGI_ERR_PACKET_ENCODE: { kind: "ValueError", message: "cannot encode uwsgi packet: %s" },

  // --- configuration ---------------------------------------------------------------------------
  UWSGI_ERR_OPTION_UNKNOWN: { kind: "ValueError", message: "unknown option %s" },
  UWSGI_ERR_OPTION_VALUE: { kind: "ValueError", message: "invalid value for option %s: %s" },
  UWSGI_ERR_CONFIG_FILE: { kind: "ValueError", message: "cannot read config file %s: %s" },

  // --- request context and process role --------------------------------------------------------
  UWSGI_ERR_NO_REQUEST: { kind: "SystemError", message: "you can call uwsgi api function only from the main callable" },
  UWSGI_ERR_NOT_SUPPORTED_IN_STUB: { kind: "SystemError", message: "%s cannot be emulated by the stub: %s" },
  UWSGI_ERR_WEBSOCKET: { kind: "IOError", message: "websocket error: %s" },

  // --- request I/O and websockets ---------------------------------------------------------------
  UWSGI_ERR_WEBSOCKET_HANDSHAKE: { kind: "IOError", message: "unable to complete websocket handshake: %s" },
  UWSGI_ERR_WEBSOCKET_NONE: { kind: "IOError", message: "no websocket on this request: call websocket_handshake() first" },
  UWSGI_ERR_WEBSOCKET_CLOSED: { kind: "IOError", message: "unable to receive websocket message: the connection is closed (code %s%s)" },
  UWSGI_ERR_WEBSOCKET_SEND: { kind: "IOError", message: "unable to send websocket message: %s" },
  UWSGI_ERR_REQUEST_IO: { kind: "IOError", message: "request %s failed: %s" },
  UWSGI_ERR_REQUEST_TIMEOUT: { kind: "IOError", message: "timed out after %s ms waiting for %s" },
  UWSGI_ERR_NOT_IMPLEMENTED: { kind: "ValueError", message: "%s is not provided by uwsgi-node: %s" },
  UWSGI_ERR_EMBEDDED_DATA: { kind: "ValueError", message: "unable to find symbol %s%s" },
  UWSGI_ERR_EXTRACT: { kind: "ValueError", message: "unable to extract %s: %s" },
  UWSGI_ERR_ROUTE: { kind: "ValueError", message: "unable to register route %s: %s" },
  UWSGI_ERR_SOCKET_UNKNOWN: { kind: "ValueError", message: "unable to find socket %s" },
  UWSGI_ERR_FD: { kind: "IOError", message: "file descriptor %s: %s" },
  UWSGI_ERR_NOT_IN_STUB: { kind: "RuntimeError", message: "%s works only with the stub backend (uwsgi.is_stub is false in this process)" },

  // --- operating an instance (pidfiles, master FIFO, privileges, daemonizing) ------------------
  UWSGI_ERR_PIDFILE: { kind: "IOError", message: "pidfile %s: %s" },
  UWSGI_ERR_MASTER_FIFO: { kind: "IOError", message: "master fifo %s: %s" },
  UWSGI_ERR_PRIVILEGES: { kind: "RuntimeError", message: "cannot drop privileges: %s" },
  UWSGI_ERR_RUN_AS_ROOT: { kind: "RuntimeError", message: "refusing to run the workers as root: %s" },

  // --- limits on what clients send (hardening) ---------------------------------------------------
  UWSGI_ERR_BODY_TOO_LARGE: { kind: "IOError", message: "request body larger than --limit-post %s bytes" },
  UWSGI_ERR_BODY_TIMEOUT: { kind: "IOError", message: "timeout during read of the request body: no data for %s ms" },

  // --- legions ---------------------------------------------------------------------------------
  UWSGI_ERR_LEGION_OPTION: { kind: "ValueError", message: "invalid legion option --%s: %s" },
  UWSGI_ERR_LEGION_PACKET: { kind: "ValueError", message: "invalid legion announce: %s" },
  UWSGI_ERR_LEGION_REDIS: { kind: "IOError", message: "legion %s: Redis unreachable or failing: %s" },

  // --- native addon and shared memory ----------------------------------------------------------
  UWSGI_ERR_NATIVE_UNAVAILABLE: { kind: "RuntimeError", message: "the uwsgi-node native addon is unavailable: %s" },
  UWSGI_ERR_SHM: { kind: "RuntimeError", message: "shared memory error: %s" },
  UWSGI_ERR_SHM_SIZE_MISMATCH: { kind: "RuntimeError", message: "mapped file %s has the wrong size: %s" },
} as const satisfies Record<string, ErrorSpec>;

/** A stable uwsgi-node error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Marks uwsgi-node errors across copies of the package (a global `npx uwsgi-node` server and the
 * app's local dependency each load their own `errors.js`): `Symbol.for` gives every copy the same
 * key, so `instanceof UwsgiError` and {@link isUwsgiError} recognise an error made by any copy.
 */
const UWSGI_ERROR = Symbol.for("uwsgi-node.error");

/**
 * Error thrown by uwsgi-node. `code` is stable across releases (see docs/errors.md): match on it,
 * not on the message; `kind` is the matching Python exception. `instanceof UwsgiError` holds for
 * errors from any copy of the package (undici's pattern: `Symbol.for` + `Symbol.hasInstance`).
 * @example
 * ```ts
 * try {
 *   uwsgi.lock(99);
 * } catch (err) {
 *   if (isUwsgiError(err, "UWSGI_ERR_LOCK_INVALID")) console.log(err.code, err.message);
 *   else throw err;
 * }
 * ```
 */
export class UwsgiError extends Error {
  readonly code: ErrorCode;
  readonly kind: PythonErrorKind;
  readonly [UWSGI_ERROR] = true;

  constructor(code: ErrorCode, ...details: unknown[]) {
    const spec: ErrorSpec = ERROR_CODES[code];
    let i = 0;
    const message = spec.message.replace(/%s/g, () => (i < details.length ? String(details[i++]) : ""));
    super(message);
    this.name = "UwsgiError";
    this.code = code;
    this.kind = spec.kind;
  }

  /** True for a uwsgi-node error from any copy of the package (subclasses keep the ordinary check). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== UwsgiError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === "object" && value !== null && (value as { [UWSGI_ERROR]?: unknown })[UWSGI_ERROR] === true;
  }
}

/**
 * True when `err` is a {@link UwsgiError} (from any copy of the package), optionally with the
 * given code.
 * @example
 * ```ts
 * if (isUwsgiError(err, "UWSGI_ERR_CACHE_UNAVAILABLE")) console.warn("configure a cache: --cache2 name=default,items=100");
 * ```
 */
export function isUwsgiError(err: unknown, code?: ErrorCode): err is UwsgiError {
  return err instanceof UwsgiError && (code === undefined || err.code === code);
}
