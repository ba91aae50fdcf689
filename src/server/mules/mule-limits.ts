/**
 * The stated limits of mule messaging (docs/differences.md, "Mules and farms").
 * @module
 */

/** Default largest message, in bytes (`--mule-msg-size` changes it). */
export const DEFAULT_MULE_MSG_SIZE = 1024 * 1024;
/** Largest `--mule-msg-size` accepted. */
export const MAX_MULE_MSG_SIZE = 64 * 1024 * 1024;
/**
 * Messages a queue of the master holds (each mule's own queue, the shared queue, each farm's):
 * a sender that fills one gets `UWSGI_ERR_MULE_QUEUE_FULL` from `mule_msg` (once its event loop
 * turned and it heard so; what it sent meanwhile is kept) until the queue is half empty; the
 * master reads nothing more from it meanwhile.
 */
export { MULE_QUEUE_MESSAGES } from "../../module/mule-functions.js";
/**
 * Bytes a sending process may have waiting for the master: beyond it `mule_msg` throws
 * `UWSGI_ERR_MULE_QUEUE_FULL` at once (a sender in a loop that never yields cannot hear the
 * master's "full").
 */
export const MULE_SENDER_BUFFER_BYTES = 16 * 1024 * 1024;
/** Messages the master hands a mule ahead of its taking them (each is taken back if it dies first). */
export const MULE_PREFETCH = 1024;
