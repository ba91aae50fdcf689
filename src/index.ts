/**
 * uwsgi-node: uWSGI's `uwsgi` module for Node.js.
 * @example
 * ```ts
 * import { uwsgi, SPOOL_OK } from "uwsgi-node";
 *
 * uwsgi.spooler = (task) => { send(task.to!.toString()); return SPOOL_OK; };
 * uwsgi.send_to_spooler({ to: "someone@example.com" });
 * ```
 * @module
 */
export { uwsgi } from "./uwsgi.js";
export type * from "./api.js";
export type { BytesLike } from "./core/bytes.js";
export { UwsgiError, isUwsgiError, ERROR_CODES, type ErrorCode, type PythonErrorKind } from "./errors.js";

/** Spooler result: the task is done and its file removed. */
export const SPOOL_OK = -2;
/** Spooler result: retry the task at the next spooler pass. */
export const SPOOL_RETRY = -1;
/** Spooler result: this language does not handle the task. */
export const SPOOL_IGNORE = 0;
