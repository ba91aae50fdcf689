/**
 * Helpers for testing code that uses `uwsgi` with the stub backend: configure it with the
 * server's option strings, move its clock, run its spooler, deliver signals, act as a mule.
 *
 * @example
 * ```ts
 * import { uwsgi } from "uwsgi-node";
 * import { configure, advance, runSpooler } from "uwsgi-node/testing";
 *
 * configure(["--cache2", "name=default,items=100", "--locks", "3"]);
 * uwsgi.register_signal(10, "workers", handler);
 * uwsgi.add_timer(10, 5);
 * await advance(5_000);   // handler ran once
 * ```
 * @module
 */
import { UwsgiError } from "./errors.js";
import { stubRuntime } from "./uwsgi.js";
import { createRequestContext, runInRequest, type RequestContext } from "./core/request-context.js";
import { runAsRole } from "./stub/stub-role.js";
import type { StubRequests, StubSetup } from "./stub/stub-runtime.js";
import type { StubRuntime } from "./stub/stub-runtime.js";
import type { SpoolOutcome } from "./engines/spooler/spool-task-runner.js";
import type { ProcessRole } from "./module/process-role.js";

export type { StubSetup, StubRequests, SpoolOutcome, ProcessRole };

function rt(what: string): StubRuntime {
  const r = stubRuntime();
  if (!r) throw new UwsgiError("UWSGI_ERR_NOT_IN_STUB", what);
  return r;
}

/**
 * Reconfigures the stub from uWSGI option strings (the same the server takes), dropping all state.
 * The clock is manual unless `setup.clock` is `"real"`.
 * @example
 * ```ts
 * configure(["--cache2", "name=sessions,items=1000,blocksize=256", "--mules", "2", "--farm", "img:1,2"]);
 * ```
 */
export function configure(argv: readonly string[] = [], setup: StubSetup = {}): void {
  rt("configure").configure(argv, setup);
}

/** Drops all state (and hooks such as `uwsgi.spooler`) and returns to an unconfigured stub on a manual clock. */
export function reset(setup: StubSetup = {}): void {
  rt("reset").reset(setup);
}

/** Moves the manual clock forward by `ms`, firing due timers and crons in order; resolves with the signals fired. */
export function advance(ms: number): Promise<number[]> {
  return rt("advance").advance(ms);
}

/** Current time of the stub's clock, ms since the epoch. */
export function now(): number {
  return rt("now").clock.nowMs();
}

/**
 * Runs every spool task that is due on the stub's clock (its file time, the `at` time, has come),
 * as the spooler would, and resolves with what happened to each. Tasks spooled through
 * `uwsgi.send_to_spooler` get the stub clock's time; files written by other means carry the wall
 * clock's time, which a manual clock reaches only after `advance()`.
 */
export function runSpooler(): Promise<SpoolOutcome[]> {
  return rt("runSpooler").runSpooler();
}

/**
 * Delivers signal `num` to its handler (and `signal_wait` callers), as if routed by the master:
 * the handler runs as the worker, mule or spooler its target names.
 */
export function deliverSignal(num: number): Promise<void> {
  return rt("deliverSignal").deliver(num);
}

/** Runs `fn` as code of a worker, mule or spooler (mule_get_msg, i_am_the_spooler, worker_id ... follow). */
export function runAs<T>(role: ProcessRole, fn: () => T): T {
  rt("runAs");
  return runAsRole(role, fn);
}

/** Runs `fn` inside a request with the given CGI variables (for `uwsgi.env`, logvars, `signal_wait` ...). */
export function withRequest<T>(env: Record<string, string>, fn: () => T, extra: Partial<RequestContext> = {}): T {
  rt("withRequest");
  return runInRequest(createRequestContext({ ...extra, env }), fn);
}

/** Log lines written through `uwsgi.log` and by the stub. */
export function logLines(): readonly string[] {
  return rt("logLines").logLines;
}

/** What app code asked of the process: reloads, stops, harakiri, warning message ... */
export function processRequests(): Readonly<StubRequests> {
  return rt("processRequests").requests;
}

/** Messages waiting in the stub's mule queues. */
export function pendingMuleMessages(): ReturnType<StubRuntime["mules"]["pending"]> {
  return rt("pendingMuleMessages").mules.pending();
}

export { openRequest } from "./testing/fake-request.js";
export type { FakeRequestInit, FakeResponse, FakeExchange, WebsocketPeer } from "./testing/fake-request.js";
