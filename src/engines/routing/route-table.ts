/**
 * The internal routing table: `--route REGEXP ACTION` and its subjects (`--route-uri`,
 * `--route-qs`, `--route-host`, `--route-remote-addr`, `--route-user-agent`, `--route-referer`,
 * `--route-remote-user`), `--route-run ACTION` (always runs) and `--route-label NAME`, in the
 * order given. Each request runs the rules top to bottom as uWSGI's `uwsgi_apply_routes_do`: a
 * rule whose regexp matches its subject runs its action; NEXT goes on, CONTINUE stops and runs
 * the app, BREAK stops and ends the request; `goto:LABEL` jumps forward only (a backward jump is
 * logged and breaks). Regexps are JavaScript's (uWSGI uses PCRE: the common syntax is the same).
 * @module
 */
import { UwsgiError } from "../../errors.js";
import { parseRouteAction, ROUTE_BREAK, ROUTE_CONTINUE, translate, type RouteAction, type RouteRequest } from "./route-actions.js";

/** The routing options and the request variable each one matches. */
export const ROUTE_SUBJECTS: Readonly<Record<string, string>> = {
  route: "PATH_INFO",
  "route-uri": "REQUEST_URI",
  "route-qs": "QUERY_STRING",
  "route-host": "HTTP_HOST",
  "route-remote-addr": "REMOTE_ADDR",
  "route-user-agent": "HTTP_USER_AGENT",
  "route-referer": "HTTP_REFERER",
  "route-remote-user": "REMOTE_USER",
};

/** One routing option as given (what the master hands to workers). */
export interface RouteOption {
  readonly option: string;
  readonly value: string;
}

type Rule =
  | { readonly kind: "label"; readonly name: string }
  | { readonly kind: "rule"; readonly subject: string | null; readonly pattern: RegExp | null; readonly action: RouteAction; readonly text: string };

/** A compiled table. */
export class RouteTable {
  readonly #rules: Rule[];
  readonly #labels = new Map<string, number>();

  private constructor(rules: Rule[]) {
    this.#rules = rules;
    rules.forEach((r, i) => {
      if (r.kind === "label" && !this.#labels.has(r.name)) this.#labels.set(r.name, i);
    });
  }

  /**
   * Compiles the routing options.
   * @throws UwsgiError UWSGI_ERR_ROUTE naming the option and value at fault (syntax, regexp, action).
   */
  static compile(options: readonly RouteOption[]): RouteTable {
    const rules: Rule[] = options.map(({ option, value }) => {
      const fail = (why: string): never => {
        throw new UwsgiError("UWSGI_ERR_ROUTE", `--${option} ${JSON.stringify(value)}`, why);
      };
      if (option === "route-label") {
        if (value.trim() === "") fail("a label name is required");
        return { kind: "label", name: value.trim() };
      }
      const subject = option === "route-run" ? null : ROUTE_SUBJECTS[option];
      if (subject === undefined) fail("not a routing option");
      let pattern: RegExp | null = null;
      let command = value;
      if (subject !== null) {
        const space = value.indexOf(" ");
        if (space <= 0) fail("expected REGEXP ACTION:ARGS");
        try {
          pattern = new RegExp(value.slice(0, space));
        } catch (err) {
          fail(`bad regexp: ${(err as Error).message}`);
        }
        command = value.slice(space + 1).trimStart();
      }
      const colon = command.indexOf(":");
      if (colon <= 0) fail("the action needs a colon, as uWSGI's (NAME:ARGS, e.g. last:)");
      let action: RouteAction;
      try {
        action = parseRouteAction(command.slice(0, colon), command.slice(colon + 1));
      } catch (err) {
        fail((err as Error).message);
      }
      return { kind: "rule", subject: subject ?? null, pattern, action: action!, text: value };
    });
    return new RouteTable(rules);
  }

  /** Number of rules and labels. */
  get size(): number {
    return this.#rules.length;
  }

  /**
   * Runs the table on one request.
   * @returns "continue" (run the app) or "break" (the request was answered or closed).
   */
  apply(req: RouteRequest): "continue" | "break" {
    let pc = 0;
    let jumpTo = -1;
    for (; pc < this.#rules.length; pc++) {
      const rule = this.#rules[pc]!;
      if (rule.kind === "label" || pc < jumpTo) continue;
      let match: RegExpExecArray | string[] | null = [];
      if (rule.pattern !== null) {
        match = rule.pattern.exec(req.env[rule.subject!] ?? "");
        if (match === null) continue;
      }
      const groups = Array.from(match, (g) => g ?? "");
      if (rule.action.gotoTarget !== undefined) {
        const target = this.#target(rule.action, groups, req);
        if (target <= pc) {
          req.log(`[uwsgi-route] ERROR "goto" instruction can only jump forward (check your label !!!)`);
          req.close();
          return "break";
        }
        jumpTo = target;
        continue;
      }
      const code = rule.action.run(req, groups);
      if (code === ROUTE_BREAK) return "break";
      if (code === ROUTE_CONTINUE) return "continue";
    }
    return "continue";
  }

  #target(action: RouteAction, groups: string[], req: RouteRequest): number {
    const name = translate(action.gotoTarget!, groups, req.env);
    const label = this.#labels.get(name);
    if (label !== undefined) return label;
    return /^\d+$/.test(name) ? Number(name) : -1;
  }
}
