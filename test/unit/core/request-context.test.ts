// The request context carrier: with tracking (the default, and always once the `uwsgi` module is
// loaded) a context follows awaits and timers; deferred (a worker before its app loads the
// module) it is current only while the listener runs synchronously.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createRequestContext,
  currentRequest,
  deferRequestTracking,
  runInRequest,
  serveInRequest,
  trackRequests,
  tracksRequests,
  type RequestContext,
} from "../../../src/core/request-context.js";

interface Seen {
  sync: RequestContext | undefined;
  nested: RequestContext | undefined;
  afterNested: RequestContext | undefined;
  afterAwait: RequestContext | undefined;
  inTimer: RequestContext | undefined;
}

/** Serves one request through `serveInRequest` and records what is current where. */
function serveOne(ctx: RequestContext, inner: RequestContext): Promise<Seen> {
  return new Promise((resolve) => {
    const seen = {} as Seen;
    const listener = async (a: string, b: number): Promise<void> => {
      assert.deepEqual([a, b], ["req", 1]);
      seen.sync = currentRequest();
      seen.nested = runInRequest(inner, () => currentRequest());
      seen.afterNested = currentRequest();
      await null;
      seen.afterAwait = currentRequest();
      setTimeout(() => {
        seen.inTimer = currentRequest();
        resolve(seen);
      }, 1);
    };
    const result = serveInRequest(ctx, listener, "req", 1);
    assert.ok(result instanceof Promise, "the listener's result is returned");
  });
}

test("request context: deferred, then tracked once asked for; a later deferral has no effect", async () => {
  const ctx = createRequestContext({ env: { PATH_INFO: "/a" } });
  const inner = createRequestContext({ env: { PATH_INFO: "/inner" } });
  assert.equal(tracksRequests(), true, "tracking is the default");

  deferRequestTracking();
  assert.equal(tracksRequests(), false);
  assert.deepEqual(await serveOne(ctx, inner), { sync: ctx, nested: inner, afterNested: ctx, afterAwait: undefined, inTimer: undefined });
  assert.equal(currentRequest(), undefined, "nothing is current after the listener returned");
  assert.throws(() => serveInRequest(ctx, () => runInRequest(inner, () => {
    throw new Error("boom");
  }), 0, 0), /boom/);
  assert.equal(currentRequest(), undefined, "a listener that throws leaves no request current");

  trackRequests();
  assert.equal(tracksRequests(), true);
  assert.deepEqual(await serveOne(ctx, inner), { sync: ctx, nested: inner, afterNested: ctx, afterAwait: ctx, inTimer: ctx });

  deferRequestTracking();
  assert.equal(tracksRequests(), true, "the uwsgi module asked for tracking: it stays");
  assert.equal(currentRequest(), undefined);
});
