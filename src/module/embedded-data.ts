/**
 * `embedded_data(name)` and `extract(source)`. In uWSGI both read data linked into the uWSGI
 * binary (`_binary_NAME_start`/`_end` symbols, `sym://NAME`); a Node process has no such
 * symbols, so a symbol here is a blob the app registers in its own process with
 * {@link registerEmbeddedData} (at import, so every worker, mule and spooler has it). The table
 * lives on `globalThis` under `Symbol.for`, so copies of the package in one process share it.
 *
 * `extract` reads: a plain path or `file://` URL (null when unreadable), a `data:` URI
 * (RFC 2397, base64 or percent-encoded), `sym://NAME` (a registered blob, null when none).
 * uWSGI's other schemes (`data://N` binary slots, `section://`, `call://`, `callint://`,
 * `exec://`, `http://`, `fd://`, `emperor://`, `-`) throw `UWSGI_ERR_EXTRACT` naming the scheme.
 * @module
 */
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { type BytesLike, toBuffer } from "../core/bytes.js";
import { UwsgiError } from "../errors.js";

const TABLE = Symbol.for("uwsgi-node.embedded-data");

function table(): Map<string, Buffer> {
  const g = globalThis as { [TABLE]?: Map<string, Buffer> };
  return (g[TABLE] ??= new Map());
}

/**
 * Registers `data` as the symbol `name` read by `uwsgi.embedded_data(name)` and
 * `uwsgi.extract("sym://" + name)` in this process (a later registration replaces it).
 * @example
 * ```ts
 * import { registerEmbeddedData, uwsgi } from "uwsgi-node";
 * registerEmbeddedData("banner", "hello");
 * uwsgi.embedded_data("banner"); // <Buffer 68 65 6c 6c 6f>
 * ```
 */
export function registerEmbeddedData(name: string, data: BytesLike): void {
  if (typeof name !== "string" || name === "") throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "name", "a non-empty symbol name is required");
  table().set(name, Buffer.from(toBuffer(data, "data")));
}

/**
 * The bytes registered as `name` (a copy).
 * @throws UwsgiError UWSGI_ERR_EMBEDDED_DATA (a ValueError, as uWSGI's) when nothing is registered as `name`.
 */
export function embeddedData(name: string): Buffer {
  const data = table().get(String(name));
  if (!data) throw new UwsgiError("UWSGI_ERR_EMBEDDED_DATA", String(name), " (register it with registerEmbeddedData(): a Node process has no symbols linked into a uWSGI binary)");
  return Buffer.from(data);
}

/** RFC 2397: `data:[<mediatype>][;base64],<data>`. */
function decodeDataUri(uri: string): Buffer {
  const comma = uri.indexOf(",");
  if (comma < 0) throw new UwsgiError("UWSGI_ERR_EXTRACT", JSON.stringify(uri.slice(0, 40)), "a data: URI needs a ',' before its data (uWSGI's data://N binary slots do not exist in Node)");
  const meta = uri.slice(5, comma);
  const payload = uri.slice(comma + 1);
  if (/;base64$/i.test(meta)) {
    const compact = payload.replace(/%([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))).replace(/\s/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) throw new UwsgiError("UWSGI_ERR_EXTRACT", "data: URI", "the base64 data is malformed");
    return Buffer.from(compact, "base64");
  }
  try {
    return Buffer.from(decodeURIComponent(payload), "utf8");
  } catch {
    throw new UwsgiError("UWSGI_ERR_EXTRACT", "data: URI", "malformed percent-encoding");
  }
}

const UNSUPPORTED = /^(data|section|call|callint|exec|http|https|fd|emperor):\/\//i;

/**
 * `uwsgi.extract(source)`: see the module comment for the sources read.
 * @throws UwsgiError UWSGI_ERR_EXTRACT for a malformed `data:` URI or a scheme uwsgi-node does not read.
 */
export function extract(source: string): Buffer | null {
  const fname = String(source);
  if (fname.startsWith("sym://")) {
    const data = table().get(fname.slice(6));
    return data ? Buffer.from(data) : null;
  }
  const unsupported = UNSUPPORTED.exec(fname);
  if (unsupported) throw new UwsgiError("UWSGI_ERR_EXTRACT", JSON.stringify(fname), `the ${unsupported[1]}:// scheme reads from the uWSGI binary or runs something; uwsgi-node reads paths, file://, data: and sym:// only`);
  if (/^data:/i.test(fname)) return decodeDataUri(fname);
  if (fname === "-") throw new UwsgiError("UWSGI_ERR_EXTRACT", '"-"', "reading standard input would block the event loop");
  try {
    return readFileSync(fname.startsWith("file://") ? new URL(fname) : fname);
  } catch {
    return null;
  }
}
