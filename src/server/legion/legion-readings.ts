/**
 * A child's copy of the legions the master publishes (see `InstanceLegions.published`), read
 * synchronously by `uwsgi.i_am_the_lord` & co. It lags the master by one IPC message.
 * @module
 */
import { Buffer } from "node:buffer";
import type { LegionReading } from "../../module/legion-functions.js";
import type { PublishedLegion } from "./instance-legions.js";

const readings = new Map<string, LegionReading>();

/** Replaces the copy with what the master sent. */
export function updateLegionReadings(published: readonly PublishedLegion[]): void {
  readings.clear();
  for (const p of published) {
    readings.set(p.name, {
      lord: p.lord,
      lordScroll: p.lordScroll === null ? null : Buffer.from(p.lordScroll, "base64"),
      scrolls: p.scrolls.map((s) => Buffer.from(s, "base64")),
    });
  }
}

/** The reading of legion `name`, or null when this instance is not in it. */
export function legionReading(name: string): LegionReading | null {
  return readings.get(name) ?? null;
}

/** The IPC message carrying the legions to children that get no worker table (mules). */
export interface LegionsMessage {
  readonly t: "legions";
  readonly legions: readonly PublishedLegion[];
}

/**
 * Keeps this process's copy up to date from the master's `legions` IPC messages. Call it before
 * the first await of the entry script, so the message sent right after the fork is not missed.
 */
export function listenForLegionReadings(): void {
  process.on("message", (msg: unknown) => {
    if (typeof msg === "object" && msg !== null && (msg as { t?: unknown }).t === "legions") updateLegionReadings((msg as LegionsMessage).legions);
  });
}
