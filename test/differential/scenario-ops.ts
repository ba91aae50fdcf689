/**
 * Scenarios as data: a list of `[functionName, ...args]` ops that runs the same way in the real
 * uWSGI (test/fixtures/differential/app.py) and in our stub, and the normalisation that makes the
 * two results comparable (None ↔ null, uWSGI's True/None ↔ our true/false, bytes ↔ Buffer).
 */
import assert from "node:assert/strict";
import { uwsgi } from "../../src/index.js";
import { runAs } from "../../src/testing.js";

/**
 * An op argument: a JSON string is a Python `str` / JS string; `{ b: text }` is bytes (UTF-8);
 * `{ b64 }` is bytes; `{ fn: name }` is one of the named functions both sides have.
 */
export type OpArg = string | number | boolean | null | { b: string } | { b64: string } | { fn: FunctionName } | OpArg[];

/** One call: `[name, ...args]`. */
export type Op = [string, ...OpArg[]];

/** JSON as the Python app encodes values (see app.py). */
export type PyJson = unknown;

/** An exception, from either side. */
export interface Raised {
  error: string;
  message: string;
}

/** True for a value that stands for a raised exception. */
export function isRaised(v: unknown): v is Raised {
  return typeof v === "object" && v !== null && !Buffer.isBuffer(v) && "error" in v && "message" in v && Object.keys(v).length === 2;
}

/** Bytes argument helper: `b("key")` is Python's `b"key"`. */
export function b(text: string): { b: string } {
  return { b: text };
}

/** Named function argument (RPC functions, signal handlers). */
export function fn(name: FunctionName): { fn: FunctionName } {
  return { fn: name };
}

/** The same functions as FUNCTIONS in app.py. */
const FUNCTIONS = {
  echo: (...args: Buffer[]) => Buffer.concat([Buffer.from("echo:"), Buffer.from(args.map((a) => a.toString("latin1")).join(","), "latin1")]),
  empty: () => Buffer.alloc(0),
  arg_types: (...args: unknown[]) => Buffer.from(args.map((a) => (Buffer.isBuffer(a) ? "bytes" : typeof a)).join(",")),
  text: () => "text",
  on_signal: () => undefined,
} as const;

/** Names of the functions both sides have. */
export type FunctionName = keyof typeof FUNCTIONS;

/** Decodes a value encoded by app.py: bytes → Buffer, big ints → bigint, dicts → objects (bytes keys as text). */
export function decodePy(v: PyJson): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(decodePy);
  const o = v as Record<string, unknown>;
  if (typeof o.b64 === "string") return Buffer.from(o.b64, "base64");
  if (typeof o.int === "string") return BigInt(o.int);
  if (Array.isArray(o.dict)) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of o.dict as Array<[PyJson, PyJson]>) {
      const key = decodePy(k);
      out[Buffer.isBuffer(key) ? key.toString("utf8") : String(key)] = decodePy(val);
    }
    return out;
  }
  if (typeof o.error === "string") return { error: o.error, message: String(o.message) };
  if (typeof o.repr === "string") return `<python ${o.repr}>`;
  throw new Error(`cannot decode ${JSON.stringify(v)}`);
}

function ourArg(a: OpArg): unknown {
  if (a === null || typeof a !== "object") return a;
  if (Array.isArray(a)) return a.map(ourArg);
  if ("b" in a) return Buffer.from(a.b);
  if ("b64" in a) return Buffer.from(a.b64, "base64");
  return FUNCTIONS[a.fn];
}

function ourResult(v: unknown): unknown {
  if (v === undefined) return null;
  if (v instanceof Error) return { error: (v as { code?: string }).code ?? v.name, message: v.message };
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (Array.isArray(v)) return v.map(ourResult);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ourResult(x)]));
  return v;
}

/** Who runs our ops: a worker by default (uWSGI runs the scenarios in its worker). */
export type OurRole = "master" | "worker";

/** Runs ops on our stub, in order, as worker 1 (or the master); Promises are awaited. */
export async function runOurs(ops: readonly Op[], role: OurRole = "worker"): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const [name, ...args] of ops) {
    const f = (uwsgi as unknown as Record<string, unknown>)[name];
    try {
      if (typeof f !== "function") throw new TypeError(`uwsgi.${name} is not a function`);
      const r = await runAs({ kind: role, id: role === "worker" ? 1 : 0 }, () => (f as (...a: unknown[]) => unknown).apply(uwsgi, args.map(ourArg)));
      out.push(ourResult(r));
    } catch (err) {
      out.push(ourResult(err instanceof Error ? err : new Error(String(err))));
    }
  }
  return out;
}

/** uWSGI functions whose Python results are True/None; ours are true/false. */
const TRUE_NONE = new Set([
  "cache_set", "cache_update", "cache_del", "cache_exists", "cache_clear",
  "cache_inc", "cache_dec", "cache_mul", "cache_div",
  "metric_set", "metric_inc", "metric_dec", "metric_mul", "metric_div", "metric_set_max", "metric_set_min",
  "signal_registered", "i_am_the_spooler", "set_spooler_frequency",
]);

/** Functions whose list result has no defined order. */
const UNORDERED = new Set(["cache_keys", "rpc_list"]);

/** Reduces one result to the form both sides share: exceptions → "<raised>", None → false for True/None calls, sets sorted. */
export function comparable(name: string, v: unknown, side: "uwsgi" | "ours"): unknown {
  if (isRaised(v)) return "<raised>";
  if (side === "uwsgi" && v === null && TRUE_NONE.has(name)) return false;
  if (Array.isArray(v) && UNORDERED.has(name)) return [...v].sort((x, y) => Buffer.compare(Buffer.from(x as Buffer), Buffer.from(y as Buffer)));
  return v;
}

function show(v: unknown): string {
  if (Buffer.isBuffer(v)) return `b${JSON.stringify(v.toString("latin1"))}`;
  if (typeof v === "bigint") return `${v}n`;
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  if (isRaised(v)) return `${v.error}(${JSON.stringify(v.message)})`;
  if (v !== null && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${k}: ${show(x)}`).join(", ")}}`;
  return String(v);
}

function showOp([name, ...args]: Op): string {
  return `${name}(${args.map((a) => (a !== null && typeof a === "object" && !Array.isArray(a) ? ("b" in a ? `b${JSON.stringify(a.b)}` : "fn" in a ? a.fn : "<bytes>") : JSON.stringify(a))).join(", ")})`;
}

/** A side-by-side table of ops and both results, for failure messages. */
export function table(ops: readonly Op[], theirs: readonly unknown[], ours: readonly unknown[]): string {
  return ops.map((op, i) => `  ${showOp(op)}\n     uWSGI: ${show(theirs[i])}\n     ours:  ${show(ours[i])}`).join("\n");
}

/** Asserts that every op gave the same result on both sides (after {@link comparable}). */
export function assertSame(ops: readonly Op[], theirs: readonly unknown[], ours: readonly unknown[]): void {
  assert.equal(theirs.length, ops.length);
  assert.equal(ours.length, ops.length);
  const diffs = ops.flatMap((op, i) => {
    const [name] = op;
    try {
      assert.deepStrictEqual(comparable(name, ours[i], "ours"), comparable(name, theirs[i], "uwsgi"));
      return [];
    } catch {
      return [i];
    }
  });
  if (diffs.length > 0) {
    assert.fail(`uWSGI and uwsgi-node differ on op(s) ${diffs.map((i) => `#${i} ${showOp(ops[i]!)}`).join(", ")}:\n${table(ops, theirs, ours)}`);
  }
}
