/**
 * `i_am_the_lord`, `lord_scroll`, `scrolls`: what this instance knows of its legions, read from
 * any process (the master publishes it to every child when it changes).
 * @module
 */
import { Buffer } from "node:buffer";
import type { UwsgiModule } from "../api.js";

/** One legion as readers see it. */
export interface LegionReading {
  readonly lord: boolean;
  readonly lordScroll: Buffer | null;
  readonly scrolls: readonly Buffer[];
}

/** Where the legion functions read from: null for a legion this instance is not in. */
export type LegionSource = (name: string) => LegionReading | null;

/** Builds the legion functions over `source`. */
export function legionFunctions(source: LegionSource): Pick<UwsgiModule, "i_am_the_lord" | "lord_scroll" | "scrolls"> {
  return {
    i_am_the_lord: (legion_name: string) => source(String(legion_name))?.lord ?? false,
    lord_scroll(legion_name: string): Buffer | null {
      const s = source(String(legion_name))?.lordScroll;
      return s && s.length > 0 ? Buffer.from(s) : null;
    },
    scrolls(legion_name: string): Buffer[] | null {
      const l = source(String(legion_name));
      return l ? l.scrolls.map((s) => Buffer.from(s)) : null;
    },
  };
}
