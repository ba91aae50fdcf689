/**
 * Server-side conformance of the mule, farm and RPC seed names: each is called inside a real
 * worker and a real (programmed) mule of a running uwsgi-node, and what it does is asserted.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { eventually, fixtureApp, httpRequest, reported as reportedBy, startInstance, type TestServer } from "./harness.js";

describe("conformance (server): mules, farms, RPC", { timeout: 60_000 }, () => {
  let server: TestServer;
  const reported = (name: string): unknown => reportedBy(server, name);
  const get = async (path: string): Promise<Record<string, unknown>> => JSON.parse((await httpRequest(server.port, path)).body) as Record<string, unknown>;

  before(async () => {
    // mule 1: message loop; mule 2: the programmed conformance mule, alone in farm "cf"
    server = await startInstance([
      "--http", "127.0.0.1:0", "--processes", "1", "--disable-logging",
      "--mules", "1", `--mule=${fixtureApp("conformance-mule-program")}`, "--farm", "cf:2",
      fixtureApp("conformance-mules-app"),
    ]);
    await eventually(() => reported("ready"), 20000, "the programmed mule's checks");
  });
  after(async () => {
    await server.stop();
  });

  it("inside a mule: mule_id, worker_id, in_farm, mule_get_msg (timeout), register_rpc, rpc_list, call", async () => {
    assert.equal(reported("mule_id"), 2);
    assert.equal(reported("worker_id"), 0);
    assert.equal(reported("in_farm"), true);
    assert.equal(reported("in_farm_named"), true);
    assert.equal(reported("in_farm_other"), false);
    assert.deepEqual(reported("mule_get_msg_timeout"), { bytes: "" });
    assert.equal(reported("register_rpc"), true);
    assert.deepEqual(reported("rpc_list"), ["conf_in_mule"]);
    assert.deepEqual(reported("call_own"), { bytes: "cm:a" });
    assert.deepEqual(reported("call_worker"), { bytes: "cw:1" });
  });

  it("inside a worker: mule_id 0, in_farm null, receiving refused, calls reach the mule's function", async () => {
    const r = await get("/names");
    assert.equal(r.mule_id, 0);
    assert.equal(r.in_farm, null);
    assert.deepEqual(r.mule_get_msg, { error: "UWSGI_ERR_NOT_IN_MULE" });
    assert.deepEqual(r.farm_get_msg, { error: "UWSGI_ERR_NOT_IN_MULE" });
    assert.equal(r.mule_msg_hook, "object");
    assert.deepEqual(r.rpc_list, ["conf_in_worker"]);
    assert.deepEqual(r.call_mule, { bytes: "cm:w" });
    assert.deepEqual(r.rpc_mule, { bytes: "cm:r" });
    assert.equal(r.call_missing, null);
    assert.deepEqual(r.register_rpc_long_name, { error: "UWSGI_ERR_RPC_REGISTER" });
  });

  it("farm_get_msg takes the farm's message; mule_get_msg(farms=false) its own; buffer_size truncates", async () => {
    // a message for the mule itself first: farm_get_msg must skip it
    assert.deepEqual(await get("/mule_msg?t=2&m=own-message"), { result: true });
    assert.deepEqual(await get("/farm_msg?t=cf&m=farm-message"), { result: "undefined" });
    await eventually(() => reported("farm_get_msg"), 10000, "farm_get_msg");
    assert.deepEqual(reported("farm_get_msg"), { bytes: "farm-message" });
    await eventually(() => reported("mule_get_msg_own"), 10000, "mule_get_msg(farms=false)");
    assert.deepEqual(reported("mule_get_msg_own"), { bytes: "own-message" });
    assert.deepEqual(await get("/mule_msg?t=2&m=truncated"), { result: true });
    await eventually(() => reported("mule_get_msg_buffer_size"), 10000, "mule_get_msg(buffer_size=3)");
    assert.deepEqual(reported("mule_get_msg_buffer_size"), { bytes: "tru" });
  });

  it("mule_msg: unknown farm and out-of-range ids are coded errors", async () => {
    assert.deepEqual(await get("/mule_msg?t=nofarm&m=x"), { result: { error: "UWSGI_ERR_FARM_UNKNOWN" } });
    assert.deepEqual(await get("/mule_msg?t=3&m=x"), { result: { error: "UWSGI_ERR_MULE_INVALID" } });
    assert.deepEqual(await get("/farm_msg?t=nofarm&m=x"), { result: { error: "UWSGI_ERR_FARM_UNKNOWN" } });
  });
});
