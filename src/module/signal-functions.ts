/**
 * Signal functions: registration in this process's {@link SignalTable}, raising through a
 * {@link SignalRouter}, timers/cron/file monitors through {@link SignalSources}, waiting through
 * {@link SignalDelivery}.
 * @module
 */
import { Buffer } from "node:buffer";
import type { SignalHandler, UwsgiModule } from "../api.js";
import { UwsgiError } from "../errors.js";
import { currentRequest } from "../core/request-context.js";
import type { SignalTable } from "../engines/signals/signal-table.js";
import type { ProcessRole } from "./process-role.js";
import type { SignalDelivery } from "./signal-delivery.js";

/** Raises a local signal: the stub delivers in-process, the server asks the master to route it. */
export interface SignalRouter {
  raise(num: number): Promise<void>;
}

/** The client side of uWSGI's remote signal (modifier1 110). */
export interface RemoteSignal {
  send(address: string, num: number): Promise<void>;
}

/** Where timers, crons and file monitors live (the stub's scheduler, or the server's master). */
export interface SignalSources {
  addTimer(signum: number, seconds: number): void;
  addMsTimer(signum: number, ms: number): void;
  addRbTimer(signum: number, seconds: number, repeat: number): void;
  addCron(signum: number, minute: number, hour: number, day: number, month: number, weekday: number): boolean;
  addFileMonitor(signum: number, path: string): void;
}

/** Everything the signal functions depend on. */
export interface SignalDeps {
  table(): SignalTable;
  role(): ProcessRole;
  router(): SignalRouter;
  sources(): SignalSources;
  remote(): RemoteSignal;
  delivery(): SignalDelivery;
  /**
   * Whether a mule or a spooler may register handlers: uWSGI refuses (they read the master's
   * table); the server's mules and spoolers import the app themselves, so its import-time
   * registrations must work there.
   */
  childrenMayRegister?(): boolean;
}

type SignalFunctionName =
  | "register_signal" | "signal" | "signal_registered" | "signal_wait" | "signal_received"
  | "add_timer" | "add_ms_timer" | "add_rb_timer" | "add_cron" | "add_file_monitor";

function signum(num: unknown): number {
  if (typeof num !== "number" || !Number.isInteger(num) || num < 0 || num > 255) {
    throw new UwsgiError("UWSGI_ERR_SIGNAL_INVALID", String(num), "signal numbers are whole numbers 0..255");
  }
  return num;
}

/** Builds the signal functions. */
export function signalFunctions(deps: SignalDeps): Pick<UwsgiModule, SignalFunctionName> {
  return {
    register_signal(number: number, target: string, func: SignalHandler): void {
      const role = deps.role();
      if ((role.kind === "spooler" || role.kind === "mule") && !deps.childrenMayRegister?.()) {
        throw new UwsgiError("UWSGI_ERR_SIGNAL_REGISTER", number, "only the master and the workers can register signal handlers");
      }
      if (typeof func !== "function") throw new UwsgiError("UWSGI_ERR_SIGNAL_REGISTER", number, "the handler is not callable");
      deps.table().register(signum(number), String(target ?? ""), func, { workerId: role.kind === "worker" ? role.id : 0 });
    },
    async signal(num: number, remote = ""): Promise<void> {
      const n = signum(num);
      if (remote) return deps.remote().send(remote, n);
      return deps.router().raise(n);
    },
    signal_registered: (num) => deps.table().isRegistered(signum(num)),
    async signal_wait(num?: number | null): Promise<Buffer> {
      const req = currentRequest();
      if (!req) throw new UwsgiError("UWSGI_ERR_NO_REQUEST");
      const wanted = num === undefined || num === null ? null : signum(num);
      req.signalReceived = -1;
      req.signalReceived = await deps.delivery().wait(wanted);
      return Buffer.alloc(0);
    },
    signal_received: () => currentRequest()?.signalReceived ?? 0,
    add_timer: (signal, period) => deps.sources().addTimer(signum(signal), period),
    add_ms_timer: (signal, period) => deps.sources().addMsTimer(signum(signal), period),
    add_rb_timer: (signal, period, repeat = 0) => deps.sources().addRbTimer(signum(signal), period, repeat),
    add_cron: (signal, minute = -1, hour = -1, day = -1, month = -1, weekday = -1) =>
      deps.sources().addCron(signum(signal), minute, hour, day, month, weekday),
    add_file_monitor(signal: number, filename: string): void {
      if (typeof filename !== "string" || filename.length === 0 || Buffer.byteLength(filename) > 254) {
        throw new UwsgiError("UWSGI_ERR_FILE_MONITOR_ADD", "the path must be 1..254 bytes");
      }
      deps.sources().addFileMonitor(signum(signal), filename);
    },
  };
}
