/**
 * The server-side conformance harness: starts a real `uwsgi-node` instance (master, workers, and
 * mules or spoolers when asked) and runs seed calls inside its real processes.
 *
 * - {@link startInstance}: any fixture app, waiting for readiness long enough for several
 *   processes to start at once (workers, mules, spoolers).
 * - {@link startProbe}: the probe app (test/fixtures/apps/conformance-probe-app.ts), whose
 *   `run(code, where)` runs a snippet (the body of an async function of `(uwsgi, ctx)`) inside a
 *   worker's request, a mule or a spooler and resolves with what it returned, as JSON:
 *   `{ value }` (Buffers as `{ bytes }` latin1, bigints as `{ bigint }`, functions as
 *   `{ function }`, undefined as `{ undefined: true }`) or `{ error: code, message }`.
 * - {@link reported}: the `CONFORMANCE <name> <json>` lines a programmed mule printed.
 */
import assert from "node:assert/strict";
import { eventually } from "../support/eventually.js";
import { fixtureApp, httpRequest, startServer, type TestServer } from "../integration/server-harness.js";

export { eventually, fixtureApp, httpRequest, type TestServer };

/** What a snippet gave: its value, or the error it threw (`error` is the UWSGI_ERR_ code, or "(uncoded)"). */
export type ProbeResult = { value: unknown; error?: undefined } | { error: string; message: string; value?: undefined };

/** Where a snippet runs. */
export type ProbePlace = "worker" | `mule${number}` | "spooler";

/** A running instance of the probe app. */
export interface ProbeInstance {
  readonly server: TestServer;
  /** Runs `code` in a worker (inside a request), a mule, or a spooler (then waits for the task). */
  run(code: string, where?: ProbePlace): Promise<ProbeResult>;
  /** Like {@link run}, asserting no error, resolving with the value. */
  value(code: string, where?: ProbePlace): Promise<unknown>;
  /** Like {@link run}, asserting a coded error, resolving with its code. */
  errorCode(code: string, where?: ProbePlace): Promise<string>;
  stop(): Promise<void>;
}

/** Starts `uwsgi-node ARGS`, waiting up to `readyMs` for every process to be ready. */
export async function startInstance(args: string[], opts: { env?: NodeJS.ProcessEnv; readyMs?: number } = {}): Promise<TestServer> {
  const server = await startServer(args, { waitReady: false, env: opts.env });
  try {
    await server.waitForLog(/\*\*\* uwsgi-node is ready/, opts.readyMs ?? 40_000);
  } catch (err) {
    await server.stop("SIGKILL");
    throw err;
  }
  return server;
}

/** The `CONFORMANCE <name> <json>` line `name` a process printed, parsed, or undefined. */
export function reported(server: TestServer, name: string): unknown {
  const m = new RegExp(`^CONFORMANCE ${name} (.*)$`, "m").exec(server.log());
  return m ? JSON.parse(m[1]!) : undefined;
}

/**
 * Starts the probe app with `--http 127.0.0.1:0` plus `args`. With `--spooler`, give a cache
 * called `probe` too (`--cache2 name=probe,items=100`): spooler results come back through it.
 * @example
 * ```ts
 * const probe = await startProbe(["--processes", "2", "--cache2", "name=c,items=10"]);
 * assert.equal(await probe.value("return uwsgi.worker_id() > 0"), true);
 * await probe.stop();
 * ```
 */
export async function startProbe(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<ProbeInstance> {
  const server = await startInstance(["--http", "127.0.0.1:0", ...args, fixtureApp("conformance-probe-app")], opts);
  const post = async (path: string, body: string): Promise<Record<string, unknown>> => {
    const reply = await httpRequest(server.port, path, { method: "POST", body, timeoutMs: 20_000 });
    assert.equal(reply.status, 200, `${path}: ${reply.body}`);
    return JSON.parse(reply.body) as Record<string, unknown>;
  };
  const run = async (code: string, where: ProbePlace = "worker"): Promise<ProbeResult> => {
    if (where !== "spooler") return (await post(`/run?in=${where}`, code)) as ProbeResult;
    const { spooled } = (await post("/run?in=spooler", code)) as { spooled: string };
    return eventually(async () => {
      const r = JSON.parse((await httpRequest(server.port, `/spooled?key=${spooled}`)).body) as Record<string, unknown>;
      return r.pending ? null : (r as ProbeResult);
    }, 20_000, `spooler task ${spooled}`);
  };
  return {
    server,
    run,
    async value(code, where) {
      const r = await run(code, where);
      assert.equal(r.error, undefined, `${code}: threw ${r.error} ${r.error === undefined ? "" : r.message}`);
      return r.value;
    },
    async errorCode(code, where) {
      const r = await run(code, where);
      assert.ok(r.error !== undefined, `${code}: expected a coded error, got ${JSON.stringify(r.value)}`);
      return r.error;
    },
    async stop() {
      await server.stop();
    },
  };
}
