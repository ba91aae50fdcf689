/**
 * Finding options in the table by name, alias or short flag, and suggesting the closest known
 * name for a misspelt one.
 * @module
 */

import { IGNORED_UWSGI_OPTIONS, OPTIONS, type OptionDef } from "./option-table.js";

const byName = new Map<string, OptionDef>();
const byShort = new Map<string, OptionDef>();
for (const def of OPTIONS) {
  for (const n of [def.name, ...(def.aliases ?? [])]) byName.set(n, def);
  if (def.short !== undefined) byShort.set(def.short, def);
}

/** The option called `name` (canonical name or alias), or `undefined`. */
export function findOption(name: string): OptionDef | undefined {
  return byName.get(name);
}

/** The option whose one-letter flag is `letter`, or `undefined`. */
export function findShortOption(letter: string): OptionDef | undefined {
  return byShort.get(letter);
}

/** Every name and alias in the table. */
export function allOptionNames(): string[] {
  return [...byName.keys()];
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The known option name closest to `name` (a unique prefix match wins, then the smallest edit
 * distance within a third of the name's length, at least 2), or `undefined` if nothing is close.
 * Names in `extra` (e.g. custom options) are candidates too.
 * @example suggestOption("proceses") // "processes"
 */
export function suggestOption(name: string, extra: Iterable<string> = []): string | undefined {
  if (name.length < 2) return undefined;
  const candidates = [...byName.keys(), ...IGNORED_UWSGI_OPTIONS.keys(), ...extra];
  const prefixed = candidates.filter((c) => c.startsWith(name));
  if (name.length >= 3 && prefixed.length === 1) return prefixed[0];
  const limit = Math.max(2, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
