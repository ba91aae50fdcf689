/**
 * `uwsgi.opt`: the configuration options as the module shows them.
 * @module
 */
import { Buffer } from "node:buffer";
import type { OptValue } from "../api.js";
import type { OptionSet } from "../config/option-set.js";

/** `uwsgi.opt` from parsed options: bytes values, `true` flags, lists for repeated options. */
export function optFromOptions(options: OptionSet): Record<string, OptValue> {
  const out: Record<string, OptValue> = {};
  for (const { name, value } of options.entries) {
    const v = value === true ? true : Buffer.from(value);
    const prev = out[name];
    if (prev === undefined) out[name] = v;
    else out[name] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}
