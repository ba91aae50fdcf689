/**
 * One process's RPC table (`register_rpc`, `call`, `rpc_list`, and the functions remote nodes
 * reach through modifier1 173). Like uWSGI's it is per process: functions registered before the
 * workers start are known everywhere, functions registered inside a worker only there.
 * @module
 */
import { Buffer } from "node:buffer";
import { UwsgiError } from "../../errors.js";
import { type BytesLike, toBuffer } from "../../core/bytes.js";
import type { RpcFunction } from "../../api.js";

export type { RpcFunction } from "../../api.js";

/** Only ASCII characters (such a string's UTF-8 bytes read as latin1 are the string itself). */
const ASCII = /^[\x00-\x7f]*$/;

/** A resolved promise of null (what a call that gives nothing returns). */
const NO_RESULT: Promise<null> = Promise.resolve(null);

/** Longest RPC function name, in bytes. */
export const MAX_RPC_NAME_BYTES = 255;

/** One registered function. */
export interface RpcEntry {
  readonly name: Buffer;
  readonly fn: RpcFunction;
  /** The name is ASCII: a string equal to its key names it (see {@link RpcRegistry.find}). */
  readonly ascii: boolean;
}

/** Called when an RPC function throws or rejects; the caller then gets null. */
export type RpcErrorHook = (error: unknown, name: Buffer) => void;

const logRpcError: RpcErrorHook = (error, name) => {
  console.error(`[uwsgi-rpc] error in rpc function ${JSON.stringify(name.toString("latin1"))}:`, error);
};

/**
 * Converts what an RPC function returned into the bytes sent back: Buffers and Uint8Arrays as
 * they are, strings UTF-8 encoded (uWSGI's Python 3 plugin turns a str into None), anything else
 * and empty results into null.
 */
export function rpcResultToBuffer(result: unknown): Buffer | null {
  if (result instanceof Uint8Array) return result.length > 0 ? toBuffer(result) : null;
  let buf: Buffer | null = null;
  if (typeof result === "string") buf = Buffer.from(result, "utf8");
  else if (result instanceof Uint8Array) buf = toBuffer(result);
  return buf !== null && buf.length > 0 ? buf : null;
}

/**
 * The RPC functions of one process.
 * @example
 * const rpc = new RpcRegistry();
 * rpc.register("hello", (who) => Buffer.concat([Buffer.from("hello "), who]));
 * await rpc.invoke("hello", [Buffer.from("world")]); // <Buffer "hello world">
 */
export class RpcRegistry {
  /** Functions by name (latin1 of the name bytes), in registration order. */
  readonly #functions = new Map<string, RpcEntry>();

  /**
   * @param max table size (`--rpc-max`, default 64).
   * @param onError receives errors thrown by functions (default: logged to stderr).
   */
  constructor(readonly max = 64, private readonly onError: RpcErrorHook = logRpcError) {
    if (!Number.isInteger(max) || max < 0) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "max", `expected an integer >= 0, got ${max}`);
  }

  /**
   * Registers `fn` under `name` (1..255 bytes); an existing name is replaced in place.
   * @returns true.
   * @throws UwsgiError `UWSGI_ERR_RPC_REGISTER` for a bad name, a non-function, or a full table.
   */
  register(name: BytesLike, fn: RpcFunction): true {
    const key = toBuffer(name, "name");
    const label = JSON.stringify(key.toString("latin1"));
    if (key.length === 0 || key.length > MAX_RPC_NAME_BYTES) {
      throw new UwsgiError("UWSGI_ERR_RPC_REGISTER", label, `the name must be 1..${MAX_RPC_NAME_BYTES} bytes, got ${key.length}`);
    }
    if (typeof fn !== "function") throw new UwsgiError("UWSGI_ERR_RPC_REGISTER", label, "not a function");
    const id = key.toString("latin1");
    if (!this.#functions.has(id) && this.#functions.size >= this.max) {
      throw new UwsgiError("UWSGI_ERR_RPC_REGISTER", label, `the table is full (--rpc-max ${this.max})`);
    }
    this.#functions.set(id, { name: Buffer.from(key), fn, ascii: ASCII.test(id) });
    return true;
  }

  /** The function registered as `name`, or null. */
  lookup(name: BytesLike): RpcFunction | null {
    return this.find(name)?.fn ?? null;
  }

  /**
   * The registration of `name`, or undefined. An ASCII name's key is the name itself (the latin1
   * of its UTF-8 bytes), so the usual `call("name")` finds it without converting or scanning the
   * string; any other string is converted.
   * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT (naming `what`) for a name that is not bytes.
   */
  find(name: BytesLike, what = "name"): RpcEntry | undefined {
    if (typeof name === "string") {
      const entry = this.#functions.get(name);
      // a key equal to the string and ASCII: the string is ASCII, its bytes are the key's
      if (entry !== undefined && entry.ascii) return entry;
      if (ASCII.test(name)) return undefined;
    }
    return this.#functions.get(toBuffer(name, what).toString("latin1"));
  }

  /** Calls a registration {@link find} returned: what {@link invoke} does without the look-up. */
  run(entry: RpcEntry, args: readonly Buffer[]): Promise<Buffer | null> {
    const result = this.runNow(entry, args);
    if (result === null) return NO_RESULT;
    return result instanceof Promise ? result : Promise.resolve(result);
  }

  /**
   * Calls a registration: its result now when the function returns synchronously, else a promise
   * of it (a synchronous function costs no promise; see {@link rpcResultToBuffer}). Errors go to
   * `onError` and give null.
   */
  runNow(entry: RpcEntry, args: readonly Buffer[]): Buffer | null | Promise<Buffer | null> {
    let out: unknown;
    try {
      out = entry.fn(...args);
    } catch (err) {
      this.onError(err, Buffer.from(entry.name));
      return null;
    }
    // bytes, the usual result, are not looked at twice
    if (out instanceof Uint8Array) return out.length > 0 ? toBuffer(out) : null;
    if (out !== null && typeof out === "object" && typeof (out as PromiseLike<unknown>).then === "function") {
      return Promise.resolve(out as PromiseLike<unknown>).then(rpcResultToBuffer, (err: unknown) => {
        this.onError(err, Buffer.from(entry.name));
        return null;
      });
    }
    return rpcResultToBuffer(out);
  }

  /** Registered names, in registration order. */
  list(): Buffer[] {
    return [...this.#functions.values()].map((e) => Buffer.from(e.name));
  }

  /**
   * Calls `name` with `args` and awaits its result (see {@link rpcResultToBuffer}). Null when the
   * function is unknown, returned nothing usable, or threw (the error goes to `onError`).
   */
  async invoke(name: BytesLike, args: readonly Buffer[]): Promise<Buffer | null> {
    const entry = this.find(name);
    return entry ? this.run(entry, args) : null;
  }
}
