/**
 * The stub's metric_* functions through the public facade (§6.2): defaults, disabled metrics,
 * unknown names, read-only metrics and the set_min fix.
 */
import { beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { uwsgi } from "../../../src/index.js";
import { configure } from "../../../src/testing.js";
import { isUwsgiError } from "../../../src/errors.js";

beforeEach(() => {
  configure(["--metric", "name=hits", "--metric", "name=start,initial_value=100", "--metric", "name=hits_alias,type=alias,alias=hits"]);
});

describe("stub metrics", () => {
  test("metric_set without a value sets 1; metric_get reads it back", () => {
    assert.equal(uwsgi.metric_get("hits"), 0);
    assert.equal(uwsgi.metric_set("hits"), true);
    assert.equal(uwsgi.metric_get("hits"), 1);
    assert.equal(uwsgi.metric_set("hits", 42), true);
    assert.equal(uwsgi.metric_get("hits"), 42);
  });

  test("initial_value is the starting value", () => {
    assert.equal(uwsgi.metric_get("start"), 100);
  });

  test("inc/dec default to 1 and take a delta", () => {
    assert.equal(uwsgi.metric_inc("hits"), true);
    assert.equal(uwsgi.metric_inc("hits", 10), true);
    assert.equal(uwsgi.metric_get("hits"), 11);
    assert.equal(uwsgi.metric_dec("hits"), true);
    assert.equal(uwsgi.metric_dec("hits", 20), true);
    assert.equal(uwsgi.metric_get("hits"), -10);
  });

  test("mul/div default to 1; division truncates toward zero", () => {
    uwsgi.metric_set("hits", 7);
    assert.equal(uwsgi.metric_mul("hits"), true);
    assert.equal(uwsgi.metric_get("hits"), 7);
    assert.equal(uwsgi.metric_mul("hits", -3), true);
    assert.equal(uwsgi.metric_get("hits"), -21);
    assert.equal(uwsgi.metric_div("hits"), true);
    assert.equal(uwsgi.metric_get("hits"), -21);
    assert.equal(uwsgi.metric_div("hits", 4), true);
    assert.equal(uwsgi.metric_get("hits"), -5);
  });

  test("division by 0 fails and leaves the value unchanged", () => {
    uwsgi.metric_set("hits", 9);
    assert.equal(uwsgi.metric_div("hits", 0), false);
    assert.equal(uwsgi.metric_get("hits"), 9);
  });

  test("set_max raises only to a greater value", () => {
    uwsgi.metric_set("hits", 10);
    assert.equal(uwsgi.metric_set_max("hits", 5), true);
    assert.equal(uwsgi.metric_get("hits"), 10);
    assert.equal(uwsgi.metric_set_max("hits", 15), true);
    assert.equal(uwsgi.metric_get("hits"), 15);
  });

  test("metrics: set_min lowers to any smaller value (uWSGI initial_value bug)", () => {
    // uWSGI lowers only when v > initial_value: set_min(90) on initial 100 is a no-op there.
    uwsgi.metric_set("start", 150);
    assert.equal(uwsgi.metric_set_min("start", 120), true);
    assert.equal(uwsgi.metric_get("start"), 120);
    assert.equal(uwsgi.metric_set_min("start", 90), true);
    assert.equal(uwsgi.metric_get("start"), 90);
    assert.equal(uwsgi.metric_set_min("start", 95), true);
    assert.equal(uwsgi.metric_get("start"), 90, "a greater value does not raise it");
    assert.equal(uwsgi.metric_set_min("hits", -5), true);
    assert.equal(uwsgi.metric_get("hits"), -5, "can go below 0 from initial 0");
  });

  test("an alias reads its target and is read-only", () => {
    uwsgi.metric_set("hits", 33);
    assert.equal(uwsgi.metric_get("hits_alias"), 33);
    assert.equal(uwsgi.metric_inc("hits_alias"), false);
    assert.equal(uwsgi.metric_set("hits_alias", 1), false);
    assert.equal(uwsgi.metric_get("hits"), 33);
  });

  test("a metric with a collector is read-only to the API", () => {
    configure(["--metric", "name=fromfile,collector=file,arg1=/nonexistent,initial_value=7"]);
    for (const r of [
      uwsgi.metric_set("fromfile", 1), uwsgi.metric_inc("fromfile"), uwsgi.metric_dec("fromfile"),
      uwsgi.metric_mul("fromfile", 2), uwsgi.metric_div("fromfile", 2),
      uwsgi.metric_set_max("fromfile", 99), uwsgi.metric_set_min("fromfile", 0),
    ]) assert.equal(r, false);
    assert.equal(uwsgi.metric_get("fromfile"), 7);
  });

  test("unknown metrics read 0 and every setter returns false", () => {
    assert.equal(uwsgi.metric_get("nope"), 0);
    for (const r of [
      uwsgi.metric_set("nope", 1), uwsgi.metric_inc("nope"), uwsgi.metric_dec("nope"), uwsgi.metric_mul("nope", 2),
      uwsgi.metric_div("nope", 2), uwsgi.metric_set_max("nope", 1), uwsgi.metric_set_min("nope", 1),
    ]) assert.equal(r, false);
    assert.equal(uwsgi.metric_get("nope"), 0, "not created by the setters");
  });

  test("with metrics disabled every getter reads 0 and every setter returns false", () => {
    configure([]);
    assert.equal(uwsgi.metric_set("hits", 5), false);
    assert.equal(uwsgi.metric_inc("hits"), false);
    assert.equal(uwsgi.metric_get("hits"), 0);
  });

  test("--enable-metrics alone declares no user metric", () => {
    configure(["--enable-metrics"]);
    assert.equal(uwsgi.metric_inc("hits"), false);
    assert.equal(uwsgi.metric_get("hits"), 0);
  });

  test("a bare --metric NAME enables metrics (no --enable-metrics needed)", () => {
    configure(["--metric", "big"]);
    assert.equal(uwsgi.metric_set("big", Number.MAX_SAFE_INTEGER), true);
    assert.equal(uwsgi.metric_get("big"), Number.MAX_SAFE_INTEGER);
  });

  test("a non-integer value is a coded error and changes nothing", () => {
    assert.throws(() => uwsgi.metric_inc("hits", 1.5), (e) => isUwsgiError(e, "UWSGI_ERR_INVALID_ARGUMENT"));
    assert.throws(() => uwsgi.metric_set("hits", Number.NaN), (e) => isUwsgiError(e, "UWSGI_ERR_INVALID_ARGUMENT"));
    assert.equal(uwsgi.metric_get("hits"), 0);
  });

  test("configure resets the values", () => {
    uwsgi.metric_set("hits", 5);
    configure(["--metric", "hits"]);
    assert.equal(uwsgi.metric_get("hits"), 0);
  });
});
