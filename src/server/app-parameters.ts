/**
 * Reads the parameter list a function declares, from its source: `fn.length` is not enough to
 * tell a `(req, res)` listener from a `(request)` fetch handler, because it stops at the first
 * default value (`(req, res = x)` has length 1) and ignores rest parameters (a wrapper
 * `(...args) => app(...args)` has length 0).
 * @module
 */

/** What a function declares. */
export interface DeclaredParameters {
  /** Parameters before any rest parameter (defaults and destructuring count). */
  readonly count: number;
  /** It ends with a rest parameter (`...args`). */
  readonly rest: boolean;
}

/** The parameter list's source, or null when it cannot be found (native or bound functions). */
function parameterSource(source: string): string | null {
  let s = source.trimStart();
  if (s.startsWith("class") || s.includes("[native code]")) return null;
  if (s.startsWith("async")) s = s.slice(5).trimStart();
  // `x => ...`: a single bare parameter
  const bare = /^([A-Za-z_$][\w$]*)\s*=>/.exec(s);
  if (bare) return bare[1]!;
  const open = s.indexOf("(");
  if (open < 0) return null;
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      depth--;
      if (depth === 0) return s.slice(open + 1, i);
    }
  }
  return null;
}

/** Splits a parameter list at its top-level commas (not inside brackets, strings or templates). */
function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(list.slice(start));
  return parts.map((p) => p.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, "").trim()).filter((p) => p !== "");
}

/**
 * The parameters `fn` declares, read from its source; falls back to `fn.length` (no rest) when
 * the source is not JavaScript (a native or bound function).
 * @example
 * ```ts
 * declaredParameters((req, res = {}) => {});   // { count: 2, rest: false }
 * declaredParameters((...args) => app(...args)); // { count: 0, rest: true }
 * ```
 */
export function declaredParameters(fn: (...args: never[]) => unknown): DeclaredParameters {
  const list = parameterSource(Function.prototype.toString.call(fn));
  if (list === null) return { count: fn.length, rest: false };
  const parts = splitTopLevel(list);
  const rest = parts.length > 0 && parts[parts.length - 1]!.startsWith("...");
  return { count: rest ? parts.length - 1 : parts.length, rest };
}

/** The first line of a function's source, shortened, for error messages. */
export function sourcePreview(fn: (...args: never[]) => unknown, max = 80): string {
  const text = Function.prototype.toString.call(fn).replace(/\s+/g, " ").trim();
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
