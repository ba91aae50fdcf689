/**
 * The configuration the master resolves once and hands to its children: what a child decodes is
 * what the master built (bigint fields and option order included), and bad text is a coded error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseArgv } from "../../../src/config/argv-parser.js";
import { buildInstanceConfig } from "../../../src/config/instance-config.js";
import { decodeInstanceConfig, encodeInstanceConfig } from "../../../src/config/config-transfer.js";
import { isUwsgiError } from "../../../src/errors.js";

test("config transfer: a child decodes exactly the configuration the master resolved", () => {
  const argv = ["--cache2", "name=a,items=10,math_initial=-5", "--metric", "name=m,initial_value=9007199254740993", "--spooler", "/tmp/sp", "--mules", "2", "--farm", "f:1,2", "--locks", "3", "--processes", "4"];
  const config = buildInstanceConfig(parseArgv(argv).options, "/srv");
  const decoded = decodeInstanceConfig(encodeInstanceConfig(config));
  assert.deepEqual(decoded.options.entries, config.options.entries);
  assert.deepEqual({ ...decoded, options: null }, { ...config, options: null });
  assert.equal(typeof decoded.caches[0]!.mathInitial, "bigint");
  assert.equal(decoded.metrics[0]!.initialValue, 9007199254740993n);
});

test("config transfer: unreadable text is UWSGI_ERR_INVALID_ARGUMENT", () => {
  assert.throws(() => decodeInstanceConfig(""), (e) => isUwsgiError(e, "UWSGI_ERR_INVALID_ARGUMENT"));
  assert.throws(() => decodeInstanceConfig("{}"), (e) => isUwsgiError(e, "UWSGI_ERR_INVALID_ARGUMENT"));
});
