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
 * beyond it the master stops reading from the senders that fill it until it drains.
 */
export const MULE_QUEUE_MESSAGES = 65536;
/**
 * Bytes a sending process may have waiting for the master: `mule_msg` returns false (and logs,
 * as uWSGI does when its socket is full) beyond it.
 */
export const MULE_SENDER_BUFFER_BYTES = 16 * 1024 * 1024;
/** Messages the master hands a mule ahead of its taking them (each is taken back if it dies first). */
export const MULE_PREFETCH = 1024;
