/**
 * Runs one scenario on both sides and compares. Each test file configures the stub once with
 * the options its uWSGI got and never resets it, so both sides keep state across scenarios the
 * way uWSGI's one long-lived worker does; scenarios use their own keys, caches or metrics.
 */
import { type Op, type OurRole, assertSame, runOurs } from "./scenario-ops.js";
import { after, before } from "node:test";
import { configure } from "../../src/testing.js";
import { UwsgiInstance } from "./uwsgi-instance.js";

/** Results of one scenario on both sides, op by op. */
export interface BothResults {
  theirs: unknown[];
  ours: unknown[];
}

/** Runs `ops` in uWSGI's worker and in our stub (as a worker) without asserting anything. */
export async function sideBySide(instance: UwsgiInstance, ops: readonly Op[], role: OurRole = "worker"): Promise<BothResults> {
  const theirs = await instance.ops(ops);
  const ours = await runOurs(ops, role);
  return { theirs, ours };
}

/** Runs `ops` on both sides and asserts that every result matches after normalisation. */
export async function both(instance: UwsgiInstance, ops: readonly Op[]): Promise<BothResults> {
  const results = await sideBySide(instance, ops);
  assertSame(ops, results.theirs, results.ours);
  return results;
}

/**
 * Starts one real uWSGI for the test file and configures our stub with the same options (both
 * then keep their state across the file's tests, like uWSGI's one long-lived worker); stops it
 * after the file. Returns the running instance.
 */
export function pairWithUwsgi(options: string[]): () => UwsgiInstance {
  let instance: UwsgiInstance | undefined;
  before(async () => {
    instance = await UwsgiInstance.start({ options });
    configure(options);
  });
  after(async () => {
    await instance?.stop();
  });
  return () => {
    if (!instance) throw new Error("uWSGI is not running");
    return instance;
  };
}
