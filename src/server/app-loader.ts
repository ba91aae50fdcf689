/**
 * Loads the app a worker serves: imports the module (ESM `import()`, so CommonJS files work
 * too) and picks the export. `--callable NAME` (or `--module file.js:NAME`) names it; without
 * one the first of `default`, `app`, `application` is used, else the module itself when it
 * exports `fetch`. What it may be:
 * - a Node listener `(req, res)` (Express, Connect, Fastify's `routing` ...): a function
 *   declaring two or more parameters;
 * - a fetch-style handler `(request) => Response`: a function declaring fewer;
 * - an object with `fetch(request)` (Hono, Bun-style default exports);
 * - a Koa app (an object with `callback()`), a Fastify instance (`routing` + `ready()`), or an
 *   `http.Server` (its `request` listeners are used; it is never started).
 * @module
 */
import { Server as HttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { UwsgiError } from "../errors.js";
import { fetchListener, type FetchHandler } from "./fetch-adapter.js";
import type { NodeListener } from "./request-runner.js";
import type { AppSpec } from "./server-settings.js";

/** Export names tried, in order, when no callable is named. */
export const DEFAULT_CALLABLES = ["default", "app", "application"] as const;

/** A loaded app. */
export interface LoadedApp {
  readonly listener: NodeListener;
  /** What the export was recognised as, for the log. */
  readonly kind: "node-listener" | "fetch-function" | "fetch-object" | "koa" | "fastify" | "http-server";
  /** Name of the export used (`*` for the module namespace). */
  readonly exportName: string;
  /** The app's own close, run before the worker exits (lifecycle/shutdown-hooks.ts): Fastify's `close()`, an `http.Server`'s `close()`. */
  readonly close?: () => Promise<unknown>;
}

type Obj = Record<string, unknown>;

/**
 * Imports `spec.path` and builds its request listener.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming `module` or `callable` when the file is
 *   missing or has no usable export.
 */
export async function loadApp(spec: AppSpec): Promise<LoadedApp> {
  if (!existsSync(spec.path)) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "module", `no such file: ${spec.path}`);
  const mod = (await import(pathToFileURL(spec.path).href)) as Obj;
  if (spec.callable !== null) {
    if (!(spec.callable in mod) || mod[spec.callable] == null) {
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "callable", `${spec.path} has no export named ${JSON.stringify(spec.callable)} (exports: ${Object.keys(mod).join(", ") || "none"})`);
    }
    return asApp(mod[spec.callable], spec.callable, "callable");
  }
  for (const name of DEFAULT_CALLABLES) {
    if (mod[name] != null) return asApp(mod[name], name, "module");
  }
  if (typeof mod.fetch === "function") return asApp(mod, "*", "module");
  throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "module", `${spec.path} exports no app: export default (or app/application) a (req, res) listener, a (request) => Response function or an object with fetch(), or name the export with --callable`);
}

async function asApp(value: unknown, exportName: string, option: string): Promise<LoadedApp> {
  if (typeof value === "function") {
    const fn = value as (...args: unknown[]) => unknown;
    if (typeof (fn as unknown as Obj).fetch === "function") return fetchObject(fn as unknown as Obj, exportName);
    if (fn.length >= 2) return { listener: fn as NodeListener, kind: "node-listener", exportName };
    return { listener: fetchListener(fn as FetchHandler), kind: "fetch-function", exportName };
  }
  if (value instanceof HttpServer) {
    const server = value;
    return {
      listener: (req: IncomingMessage, res: ServerResponse) => server.emit("request", req, res),
      kind: "http-server",
      exportName,
      // never listening, so close() only emits 'close' (the callback's ERR_SERVER_NOT_RUNNING is expected)
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
  if (typeof value === "object" && value !== null) {
    const obj = value as Obj;
    if (typeof obj.fetch === "function") return fetchObject(obj, exportName);
    if (typeof obj.callback === "function" && typeof obj.use === "function") {
      return { listener: (obj.callback as () => NodeListener).call(obj), kind: "koa", exportName };
    }
    if (typeof obj.routing === "function" && typeof obj.ready === "function") {
      await (obj.ready as () => Promise<unknown>).call(obj);
      const routing = obj.routing as NodeListener;
      return { listener: (req, res) => routing.call(obj, req, res), kind: "fastify", exportName, close: () => (obj.close as () => Promise<unknown>).call(obj) };
    }
  }
  throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `export ${JSON.stringify(exportName)} is not an app (got ${value === null ? "null" : typeof value})`);
}

function fetchObject(obj: Obj, exportName: string): LoadedApp {
  const fetch = obj.fetch as FetchHandler;
  return { listener: fetchListener((request) => fetch.call(obj, request)), kind: "fetch-object", exportName };
}
