/**
 * Where a configuration value came from, and the key/value lines the config-file readers
 * produce. Every configuration error names its origin.
 * @module
 */

/** The command line (`index` is the position in the argv array given to the parser) or a config file line. */
export type ConfigOrigin =
  | { readonly kind: "argv"; readonly index: number; readonly arg: string }
  | { readonly kind: "file"; readonly file: string; readonly line: number };

/** One `key = value` of a config file section; `value` is `true` for a bare key. */
export interface ConfigFileEntry {
  readonly key: string;
  readonly value: string | true;
  /** 1-based line of the key in the file. */
  readonly line: number;
}

/**
 * Human-readable origin for error messages.
 * @example describeOrigin({ kind: "file", file: "/etc/app.ini", line: 3 }) // "/etc/app.ini line 3"
 */
export function describeOrigin(origin: ConfigOrigin): string {
  return origin.kind === "argv"
    ? `command line argument ${origin.index + 1} (${origin.arg})`
    : `${origin.file} line ${origin.line}`;
}
