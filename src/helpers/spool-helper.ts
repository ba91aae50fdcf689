/**
 * `spool(fn)`: the TypeScript counterpart of uwsgidecorators' `@spool`. It registers `fn` under a
 * name and returns a typed enqueue function; calling it writes a task whose JSON-serialisable
 * arguments reach `fn` in a spooler process. The task is an ordinary uWSGI spool file
 * (`ud_spool_func` = the name, the arguments as JSON in the body), so `spooler_jobs()`,
 * `spooler_get_task()`, `at`, `priority` and the retry/failed-folder rules all apply.
 *
 * Registering installs a dispatcher as `uwsgi.spooler`; tasks that carry no `ud_spool_func` go to
 * the callable that was set before (if any). Register at import time of the app module, which
 * spooler processes import too (or list the module in `--spooler-import`).
 * @module
 */
import { Buffer } from "node:buffer";
import type { SpoolResult, SpoolTask, SpoolerFunction, UwsgiModule } from "../api.js";
import { uwsgi } from "../uwsgi.js";
import { UwsgiError } from "../errors.js";
import { SPOOL_IGNORE, SPOOL_OK } from "../engines/spooler/spool-task-runner.js";

/** A value that survives `JSON.stringify` / `JSON.parse` unchanged. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

/** Where and when a task runs (the reserved keys of `send_to_spooler`). */
export interface SpoolOptions {
  /** Absolute path of the target spooler directory (default: the first configured). */
  readonly spooler?: string;
  /** A whole number: tasks of lower priority directories run first. */
  readonly priority?: number;
  /** Do not run before this time (a Date, or unix seconds). */
  readonly at?: Date | number;
}

/** The enqueue function {@link spool} returns. */
export interface SpoolEnqueue<A extends readonly Json[]> {
  /** Queues one run of the function with these arguments; returns the task file's path. */
  (...args: A): string;
  /** The same, with a target spooler, a priority or a start time. */
  withOptions(options: SpoolOptions): (...args: A) => string;
  /** The name tasks carry in `ud_spool_func`. */
  readonly taskName: string;
}

/** Task key naming the function (uwsgidecorators' key). */
export const SPOOL_FUNC_KEY = "ud_spool_func";

const registry = new Map<string, (...args: Json[]) => unknown>();
let dispatcher: SpoolerFunction | null = null;
let fallback: SpoolerFunction | null = null;

function install(module: UwsgiModule): void {
  if (dispatcher && module.spooler === dispatcher) return;
  fallback = module.spooler && module.spooler !== dispatcher ? module.spooler : null;
  dispatcher = async (task: SpoolTask): Promise<SpoolResult> => {
    const name = task[SPOOL_FUNC_KEY]?.toString("utf8");
    if (name === undefined) {
      if (fallback) return fallback(task);
      module.log(`[spool] task ${String(task.spooler_task_name)} has no ${SPOOL_FUNC_KEY} and no other spooler callable is set`);
      return SPOOL_IGNORE;
    }
    const fn = registry.get(name);
    if (!fn) {
      module.log(`[spool] no spool() function named ${JSON.stringify(name)} in this spooler process (import the module that registers it, or list it in --spooler-import)`);
      return SPOOL_IGNORE;
    }
    const args = JSON.parse(task.body ? task.body.toString("utf8") : "[]") as Json[];
    await fn(...args);
    return SPOOL_OK;
  };
  module.spooler = dispatcher;
}

function unixSeconds(at: Date | number): number {
  return at instanceof Date ? Math.floor(at.getTime() / 1000) : at;
}

/**
 * Registers `fn` as a spooler task and returns the function that queues it. `fn` runs in a
 * spooler process (sync or async); when it returns the task is done, when it throws the task is
 * retried with backoff and, past `--spooler-max-retries`, moved to the failed folder.
 * @param fn the task; its name (or `options.name`) identifies it in the spool file.
 * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT for an anonymous function without a name, or a
 *   name registered twice with another function.
 * @example
 * ```ts
 * import { spool } from "uwsgi-node";
 *
 * export const sendMail = spool(async function sendMail(to: string, subject: string) {
 *   await mailer.send({ to, subject });
 * });
 *
 * // in a request handler (any worker):
 * sendMail("someone@example.com", "welcome");
 * sendMail.withOptions({ at: new Date(Date.now() + 60_000) })("someone@example.com", "reminder");
 * ```
 */
export function spool<A extends readonly Json[]>(fn: (...args: A) => unknown, options: { name?: string; module?: UwsgiModule } = {}): SpoolEnqueue<A> {
  if (typeof fn !== "function") throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "fn", "spool() takes a function");
  const name = options.name ?? fn.name;
  if (!name) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "fn", "spool() needs a named function or { name }");
  const existing = registry.get(name);
  if (existing && existing !== (fn as unknown)) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "name", `a different spool() function is already named ${JSON.stringify(name)}`);
  const module = options.module ?? uwsgi;
  registry.set(name, fn as unknown as (...args: Json[]) => unknown);
  install(module);
  const enqueue = (opts: SpoolOptions, args: A): string => {
    const message: Record<string, string | number | Buffer> = { [SPOOL_FUNC_KEY]: name, body: Buffer.from(JSON.stringify(args)) };
    if (opts.spooler !== undefined) message.spooler = opts.spooler;
    if (opts.priority !== undefined) message.priority = opts.priority;
    if (opts.at !== undefined) message.at = unixSeconds(opts.at);
    return module.send_to_spooler(message).toString();
  };
  const queue = ((...args: A) => enqueue({}, args)) as SpoolEnqueue<A>;
  Object.defineProperties(queue, {
    withOptions: { value: (opts: SpoolOptions) => (...args: A) => enqueue(opts, args) },
    taskName: { value: name },
  });
  return queue;
}
