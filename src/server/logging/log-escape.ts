/**
 * Escaping of client-controlled text in log lines: a raw CR/LF in a REQUEST_URI or REMOTE_ADDR
 * (both come from the client or the front end's vars) would start a forged line, and other
 * control bytes can hide text on a terminal. Control bytes (0x00-0x1f, 0x7f) and the backslash
 * become `\xHH`; everything else, UTF-8 included, is kept. Text without them is returned as is
 * (one regular-expression test, the usual case).
 * @module
 */

const NEEDS_ESCAPE = /[\x00-\x1f\x7f\\]/;
const ESCAPED = /[\x00-\x1f\x7f\\]/g;

function hex(ch: string): string {
  return `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
}

/**
 * @example
 * ```ts
 * escapeLogField("/a\r\n[pid: 1] forged"); // "/a\\x0d\\x0a[pid: 1] forged"
 * ```
 */
export function escapeLogField(text: string): string {
  return text !== "" && NEEDS_ESCAPE.test(text) ? text.replace(ESCAPED, hex) : text;
}
