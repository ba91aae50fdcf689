/**
 * uWSGI's internal routing actions (core/routing.c, router_redirect, router_rewrite), the subset
 * uwsgi-node provides, written once over a {@link RouteRequest} that each backend implements:
 *
 * | action | does | returns |
 * |---|---|---|
 * | `continue:` / `last:` | stop routing, run the app | CONTINUE |
 * | `break:[STATUS LINE]` | stop routing, end the request (with `STATUS LINE` as an empty `text/plain` response, else the connection is closed) | BREAK |
 * | `return:CODE` / `break-with-status:CODE` | answer CODE with its standard reason as `text/plain` body | BREAK |
 * | `goto:LABEL` (or a rule number) | jump forward to a `--route-label` | NEXT |
 * | `log:TEXT` | write TEXT to the log | NEXT |
 * | `donotlog:` | no request log line for this request | NEXT |
 * | `logvar:KEY=VALUE` | set a log variable (`%(KEY)` in `--logformat`) | NEXT |
 * | `addvar:KEY=VALUE` | add a request variable (`uwsgi.env.KEY`) | NEXT |
 * | `addheader:Name: value` | add a response header | NEXT |
 * | `signal:N` | raise uwsgi signal N | NEXT |
 * | `alarm:NAME MSG` | raise alarm NAME | NEXT |
 * | `redirect:URL` / `redirect-302:URL` | 302 to URL | BREAK |
 * | `redirect-permanent:URL` / `redirect-301:URL` | 301 to URL | BREAK |
 * | `rewrite:URI` / `rewrite-last:URI` | new PATH_INFO (and QUERY_STRING: URI's query first, then the request's) | NEXT / CONTINUE |
 *
 * Arguments are translated per request as uWSGI does: `$1`..`$9` are the rule's regexp groups
 * (`$0` the whole match), `${VAR}` a request variable, `${qs[NAME]}` a query-string item,
 * `${cookie[NAME]}` a cookie, `${time[unix]}` the epoch; an unknown `${...}` is empty.
 * @module
 */
import { Buffer } from "node:buffer";
import { STATUS_CODES } from "node:http";
import { UwsgiError } from "../../errors.js";

/** uWSGI's action return values. */
export const ROUTE_NEXT = 0;
export const ROUTE_CONTINUE = 1;
export const ROUTE_BREAK = 2;

/** What routing actions do to a request: implemented by the server's requests and the stub's. */
export interface RouteRequest {
  /** The request variables (read by `${VAR}`, written by `addvar` and `rewrite`). */
  readonly env: Record<string, string>;
  setLogvar(name: string, value: string): void;
  /** No request log line for this request. */
  doNotLog(): void;
  log(line: string): void;
  addHeader(name: string, value: string): void;
  /** Answers the request now (when nothing was sent yet) and ends it. */
  respond(status: number, reason: string, headers: Record<string, string>, body: string): void;
  /** Ends the request without an answer (the connection is closed). */
  close(): void;
  /** The request is now for `path` (raw, with its `?query` when any): what the app routes on. */
  rewrite(url: string): void;
  raiseSignal(num: number): void;
  raiseAlarm(name: string, message: string): void;
}

/** The regexp match of the rule that runs the action (`$0`..`$9`); empty for `uwsgi.route()`. */
export type RouteMatch = readonly string[];

/** One parsed action. */
export interface RouteAction {
  readonly name: string;
  readonly args: string;
  /** For `goto`: the label (translated per request). */
  readonly gotoTarget?: string;
  run(req: RouteRequest, match: RouteMatch): number;
}

/** The actions provided, by name. */
export const SUPPORTED_ROUTE_ACTIONS = [
  "continue", "last", "break", "return", "break-with-status", "goto", "log", "donotlog", "logvar", "addvar", "addheader",
  "signal", "alarm", "redirect", "redirect-302", "redirect-permanent", "redirect-301", "rewrite", "rewrite-last",
] as const;

function cookie(env: Record<string, string>, name: string): string {
  for (const part of (env.HTTP_COOKIE ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return "";
}

function routeVar(env: Record<string, string>, key: string): string {
  const m = /^([a-z]+)\[(.*)\]$/.exec(key);
  if (m) {
    const [, kind, arg] = m as unknown as [string, string, string];
    if (kind === "qs") return new URLSearchParams(env.QUERY_STRING ?? "").get(arg) ?? "";
    if (kind === "cookie") return cookie(env, arg);
    if (kind === "time" && arg === "unix") return String(Math.floor(Date.now() / 1000));
  }
  return env[key] ?? "";
}

/** uWSGI's `uwsgi_routing_translate`: `$N` groups first, then `${...}` variables. */
export function translate(template: string, match: RouteMatch, env: Record<string, string>): string {
  const pass1 = template.replace(/\$(\d)/g, (whole, d: string) => (Number(d) < match.length ? (match[Number(d)] ?? "") : whole));
  return pass1.replace(/\$\{([^}]*)\}/g, (_whole, key: string) => routeVar(env, key));
}

function keyValue(name: string, args: string): [string, string] {
  const eq = args.indexOf("=");
  if (eq <= 0) throw new UwsgiError("UWSGI_ERR_ROUTE", `${name}:${args}`, `${name} needs KEY=VALUE`);
  return [args.slice(0, eq), args.slice(eq + 1)];
}

function redirect(status: 301 | 302) {
  return (args: string) => (req: RouteRequest, match: RouteMatch) => {
    req.respond(status, STATUS_CODES[status]!, { Location: translate(args, match, req.env), "Content-Length": "0" }, "");
    return ROUTE_BREAK;
  };
}

function rewrite(last: boolean) {
  return (args: string) => (req: RouteRequest, match: RouteMatch) => {
    const target = translate(args, match, req.env);
    const q = target.indexOf("?");
    const path = q < 0 ? target : target.slice(0, q);
    const original = req.env.QUERY_STRING ?? "";
    let qs = q < 0 ? original : target.slice(q + 1);
    if (q >= 0 && original) qs = `${qs}&${original}`;
    let decoded = path;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      // kept raw, as uWSGI's decoder leaves bad escapes alone
    }
    req.env.PATH_INFO = decoded;
    req.env.QUERY_STRING = qs;
    req.rewrite(qs ? `${path}?${qs}` : path);
    return last ? ROUTE_CONTINUE : ROUTE_NEXT;
  };
}

type Builder = (args: string, name: string) => (req: RouteRequest, match: RouteMatch) => number;

const BUILDERS: Record<(typeof SUPPORTED_ROUTE_ACTIONS)[number], Builder> = {
  continue: () => () => ROUTE_CONTINUE,
  last: () => () => ROUTE_CONTINUE,
  break: (args) => (req, match) => {
    const line = translate(args, match, req.env).trim();
    const m = /^(\d{3})(?:\s+(.*))?$/.exec(line);
    if (line.length >= 3 && m) req.respond(Number(m[1]), m[2] ?? STATUS_CODES[Number(m[1])] ?? "", { "Content-Type": "text/plain", Connection: "close" }, "");
    else req.close();
    return ROUTE_BREAK;
  },
  return: (args, name) => {
    const status = Number(args.trim());
    if (!/^\d{3}$/.test(args.trim()) || !STATUS_CODES[status]) throw new UwsgiError("UWSGI_ERR_ROUTE", `${name}:${args}`, "expected a known 3-digit HTTP status code");
    const reason = STATUS_CODES[status]!;
    return (req) => {
      req.respond(status, reason, { "Content-Type": "text/plain", "Content-Length": String(Buffer.byteLength(reason)) }, reason);
      return ROUTE_BREAK;
    };
  },
  "break-with-status": (args, name) => BUILDERS.return(args, name),
  // the jump itself is done by the table (route-table.ts); alone (uwsgi.route) it does nothing
  goto: () => () => ROUTE_NEXT,
  log: (args) => (req, match) => {
    req.log(translate(args, match, req.env));
    return ROUTE_NEXT;
  },
  donotlog: () => (req) => {
    req.doNotLog();
    return ROUTE_NEXT;
  },
  logvar: (args, name) => {
    const [key, value] = keyValue(name, args);
    return (req, match) => {
      req.setLogvar(key, translate(value, match, req.env));
      return ROUTE_NEXT;
    };
  },
  addvar: (args, name) => {
    const [key, value] = keyValue(name, args);
    return (req, match) => {
      req.env[key] = translate(value, match, req.env);
      return ROUTE_NEXT;
    };
  },
  addheader: (args, name) => {
    const colon = args.indexOf(":");
    if (colon <= 0) throw new UwsgiError("UWSGI_ERR_ROUTE", `${name}:${args}`, "addheader needs 'Name: value'");
    return (req, match) => {
      const line = translate(args, match, req.env);
      const c = line.indexOf(":");
      req.addHeader(line.slice(0, c).trim(), line.slice(c + 1).trim());
      return ROUTE_NEXT;
    };
  },
  signal: (args, name) => {
    const num = Number(args);
    if (!/^\d+$/.test(args.trim()) || num > 255) throw new UwsgiError("UWSGI_ERR_ROUTE", `${name}:${args}`, "expected a signal number 0..255");
    return (req) => {
      req.raiseSignal(num);
      return ROUTE_NEXT;
    };
  },
  alarm: (args, name) => {
    const m = /^\s*(\S+)\s+(.*)$/s.exec(args);
    if (!m) throw new UwsgiError("UWSGI_ERR_ROUTE", `${name}:${args}`, "expected 'NAME MESSAGE'");
    return (req, match) => {
      req.raiseAlarm(m[1]!, translate(m[2]!, match, req.env));
      return ROUTE_NEXT;
    };
  },
  redirect: redirect(302),
  "redirect-302": redirect(302),
  "redirect-permanent": redirect(301),
  "redirect-301": redirect(301),
  rewrite: rewrite(false),
  "rewrite-last": rewrite(true),
};

/**
 * Parses one action, `NAME:ARGS` (`route = REGEXP NAME:ARGS`), or the name and args of
 * `uwsgi.route(name, args)`.
 * @throws UwsgiError UWSGI_ERR_ROUTE naming an unsupported action or bad arguments.
 */
export function parseRouteAction(name: string, args: string): RouteAction {
  const build = (BUILDERS as Record<string, Builder | undefined>)[name];
  if (!build || !Object.hasOwn(BUILDERS, name)) {
    throw new UwsgiError("UWSGI_ERR_ROUTE", `${name}:${args}`, `action ${JSON.stringify(name)} is not provided (supported: ${SUPPORTED_ROUTE_ACTIONS.join(", ")})`);
  }
  const run = build(args, name);
  return name === "goto" ? { name, args, gotoTarget: args, run } : { name, args, run };
}

/** Tells whether `name` is a provided action. */
export function isRouteAction(name: string): boolean {
  return Object.hasOwn(BUILDERS, name);
}
