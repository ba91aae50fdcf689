/**
 * The resolved {@link InstanceConfig} as text: the master resolves the configuration once and
 * hands it to every process it spawns, which decodes it instead of parsing options again.
 * @module
 */
import { UwsgiError } from "../errors.js";
import { OptionSet, type OptionEntry } from "./option-set.js";
import type { InstanceConfig } from "./instance-config.js";

const BIGINT_TAG = "$bigint";

/** Encodes a resolved configuration (bigints included) as JSON text. */
export function encodeInstanceConfig(config: InstanceConfig): string {
  const { options, ...rest } = config;
  return JSON.stringify({ ...rest, options: options.entries }, (_key, value: unknown) =>
    typeof value === "bigint" ? { [BIGINT_TAG]: value.toString() } : value,
  );
}

/**
 * Decodes what {@link encodeInstanceConfig} wrote.
 * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT when the text is not such a configuration.
 */
export function decodeInstanceConfig(text: string): InstanceConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (_key, value: unknown) => {
      if (value && typeof value === "object" && !Array.isArray(value)) {
        const tagged = (value as Record<string, unknown>)[BIGINT_TAG];
        if (typeof tagged === "string" && Object.keys(value).length === 1) return BigInt(tagged);
      }
      return value;
    });
  } catch (err) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "config", `the master's configuration cannot be read: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || !Array.isArray((parsed as { options?: unknown }).options)) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "config", "the master's configuration has no options");
  }
  const raw = parsed as Omit<InstanceConfig, "options"> & { options: OptionEntry[] };
  return { ...raw, options: new OptionSet(raw.options) };
}
