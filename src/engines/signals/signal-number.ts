/**
 * uWSGI signal numbers: one byte, 0..255.
 * @module
 */
import { UwsgiError } from "../../errors.js";

/** Number of distinct uWSGI signals (0..255). */
export const SIGNAL_COUNT = 256;

/**
 * Checks a signal number. uWSGI takes any integer modulo 256 (300 registers 44, -1 registers
 * 255); here anything but an integer 0..255 is rejected.
 * @throws UwsgiError `UWSGI_ERR_SIGNAL_INVALID`.
 * @example
 * checkSignalNumber(17); // 17
 */
export function checkSignalNumber(num: unknown): number {
  if (typeof num !== "number" || !Number.isInteger(num) || num < 0 || num >= SIGNAL_COUNT) {
    throw new UwsgiError("UWSGI_ERR_SIGNAL_INVALID", String(num), "signal numbers are integers 0..255");
  }
  return num;
}
