/**
 * Parsed configuration: the ordered list of options as given (argv, ini, json, yaml), with
 * aliases already resolved to canonical names. Order matters in uWSGI (`--spooler-processes`
 * applies to the `--spooler` lines after it), so entries keep it.
 * @module
 */

/** An option's value: its string, or `true` for a bare flag. */
export type OptionValue = string | true;

/** One option occurrence. */
export interface OptionEntry {
  /** Canonical option name without dashes, e.g. `cache2`, `processes`. */
  readonly name: string;
  readonly value: OptionValue;
  /** Where it was given, for error messages, e.g. `"/etc/app.ini line 3"`; absent when built in code. */
  readonly origin?: string;
}

/** Ordered, read-only view of parsed options. */
export class OptionSet {
  readonly entries: readonly OptionEntry[];

  constructor(entries: Iterable<OptionEntry> = []) {
    this.entries = Object.freeze([...entries]);
  }

  /** True if the option appears at least once. */
  has(name: string): boolean {
    return this.entries.some((e) => e.name === name);
  }

  /** The last value given for `name` (uWSGI's "last one wins" for single-valued options). */
  get(name: string): OptionValue | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.name === name) return e.value;
    }
    return undefined;
  }

  /** Every value given for `name`, in order (multi-valued options such as `cache2`). */
  all(name: string): OptionValue[] {
    return this.entries.filter((e) => e.name === name).map((e) => e.value);
  }

  /** The last value of `name` as a string (`true` flags become `"1"`), or `fallback`. */
  string(name: string, fallback?: string): string | undefined {
    const v = this.get(name);
    if (v === undefined) return fallback;
    return v === true ? "1" : v;
  }

  /** A new set with `more` appended after these entries. */
  concat(more: Iterable<OptionEntry>): OptionSet {
    return new OptionSet([...this.entries, ...more]);
  }
}
