/**
 * Loads the app a worker serves: imports the module (ESM `import()`, so CommonJS files work
 * too) and picks the export. `--callable NAME` (or `--module file.js:NAME`) names it; without
 * one the first of `default`, `app`, `application` is used, else the module itself when it
 * exports `fetch`. What it may be (the README's "which export do I use"):
 * - a Node listener `(req, res)` (Express, Connect, a Koa `app.callback()` ...): a function
 *   declaring two or more parameters, or a rest parameter (a wrapper `(...args) => app(...args)`);
 * - a fetch-style handler `(request) => Response`: a function declaring exactly one;
 * - an object with `fetch(request)` (Hono, Bun-style default exports);
 * - a Koa app (an object with `callback()` and `use()`), a Fastify instance (`routing` +
 *   `ready()`), a NestJS application (`getHttpAdapter()`, after `init()`), or an
 *   `http.Server` (its `request` listeners are used; it is never started).
 * Anything else is refused with an error naming what was found.
 * @module
 */
import { Server as HttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { UwsgiError } from "../errors.js";
import { fetchListener, type FetchHandler } from "./fetch-adapter.js";
import { declaredParameters, sourcePreview } from "./app-parameters.js";
import type { NodeListener } from "./request-runner.js";
import type { AppSpec } from "./server-settings.js";

/** Export names tried, in order, when no callable is named. */
export const DEFAULT_CALLABLES = ["default", "app", "application"] as const;

/** A loaded app. */
export interface LoadedApp {
  readonly listener: NodeListener;
  /** What the export was recognised as, for the log. */
  readonly kind: "node-listener" | "fetch-function" | "fetch-object" | "koa" | "fastify" | "nestjs" | "http-server";
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
  const found = Object.keys(mod);
  throw new UwsgiError(
    "UWSGI_ERR_OPTION_VALUE",
    "module",
    `${spec.path} exports no app (its exports: ${found.join(", ") || "none"}): export default (or app/application) the app, or name the export with --callable NAME; ${WHAT_AN_APP_IS}`,
  );
}

/** How an export is named in messages. */
function exportLabel(exportName: string): string {
  if (exportName === "*") return "the module namespace";
  return exportName === "default" ? "the default export" : `the export ${JSON.stringify(exportName)}`;
}

const WHAT_AN_APP_IS =
  "export a (req, res) listener (2 declared parameters, e.g. an Express app), a fetch handler (request) => Response (1 parameter), " +
  "an object with fetch(request) (Hono), a Koa or Fastify app, a NestJS app after init(), or an http.Server";

/** Describes a value that is not an app, for the error. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") {
    const fn = value as (...args: never[]) => unknown;
    if (/^class\b/.test(Function.prototype.toString.call(fn))) return `a class (${sourcePreview(fn, 60)}): export an instance`;
    const p = declaredParameters(fn);
    return `a function of ${p.count} declared parameter${p.count === 1 ? "" : "s"}: ${sourcePreview(fn)}`;
  }
  if (typeof value === "object") {
    const keys = Object.keys(value as object);
    const ctor = (value as object).constructor?.name;
    const kind = ctor && ctor !== "Object" ? `a ${ctor} object` : "an object";
    return `${kind} with ${keys.length === 0 ? "no own keys" : `keys ${keys.slice(0, 8).join(", ")}${keys.length > 8 ? ", ..." : ""}`}`;
  }
  return `a ${typeof value} (${String(value).slice(0, 40)})`;
}

async function asApp(value: unknown, exportName: string, option: string): Promise<LoadedApp> {
  const notAnApp = () => new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `${exportLabel(exportName)} is ${describe(value)}; ${WHAT_AN_APP_IS}`);
  if (typeof value === "function") {
    const fn = value as (...args: unknown[]) => unknown;
    if (typeof (fn as unknown as Obj).fetch === "function") return fetchObject(fn as unknown as Obj, exportName);
    if (/^class\b/.test(Function.prototype.toString.call(fn))) throw notAnApp();
    const params = declaredParameters(fn);
    if (params.count >= 2 || params.rest) return { listener: fn as NodeListener, kind: "node-listener", exportName };
    if (params.count === 1) return { listener: fetchListener(fn as FetchHandler), kind: "fetch-function", exportName };
    throw notAnApp();
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
    if (typeof obj.getHttpAdapter === "function") {
      const adapter = (obj.getHttpAdapter as () => { getInstance?: () => unknown } | undefined).call(obj);
      const instance = adapter?.getInstance?.();
      if (typeof instance === "function") return { listener: instance as NodeListener, kind: "nestjs", exportName };
      if (instance && typeof (instance as Obj).routing === "function") {
        const inner = await asApp(instance, exportName, option);
        return { ...inner, kind: "nestjs" };
      }
    }
  }
  throw notAnApp();
}

function fetchObject(obj: Obj, exportName: string): LoadedApp {
  const fetch = obj.fetch as FetchHandler;
  return { listener: fetchListener((request) => fetch.call(obj, request)), kind: "fetch-object", exportName };
}
