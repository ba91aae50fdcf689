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
export { SPOOL_OK, SPOOL_RETRY, SPOOL_IGNORE } from "./engines/spooler/spool-task-runner.js";
export { REQUEST_CHANNEL_NAMES, type RequestStartMessage, type RequestEndMessage, type RequestErrorMessage } from "./server/observability/request-channels.js";
export { registerEmbeddedData } from "./module/embedded-data.js";
export { spool, type SpoolEnqueue, type SpoolOptions, type Json } from "./helpers/spool-helper.js";
