/**
 * The property-based fuzz harness (fast-check) of test/fuzz/.
 *
 * A fuzz file declares its properties and calls {@link fuzzSuite}. In the test process each
 * property becomes one node:test test that runs it in a worker thread: the worker counts every
 * input it finishes in shared memory, and the test fails as soon as that count stands still
 * while the process burns {@link STALL_MS} of CPU time (an input that loops), or for ten times
 * that on the wall clock (an input that blocks), naming the seed that reproduces it. CPU time,
 * not the wall clock, so a machine too busy to give the test any CPU does not make it "hang".
 * A property that finds a counterexample fails with fast-check's report (shrunk input, seed, path).
 *
 * Budget, from the environment:
 * - `FUZZ_RUNS`: inputs per property (default 10000, bounded by the time limit);
 * - `FUZZ_TIME_MS`: time limit per property (default 2000 ms when FUZZ_RUNS is not set, none
 *   when it is: `npm run fuzz` runs 1 000 000 inputs per property to the end);
 * - `FUZZ_SEED`: the seed (default: random, printed with every result).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import fc from "fast-check";
import { type ErrorCode, isUwsgiError } from "../../src/errors.js";

/** One property: inputs drawn from `arbitrary`, each checked by `predicate` (throw or return false to fail). */
export interface FuzzProperty<T = unknown> {
  readonly arbitrary: fc.Arbitrary<T>;
  readonly predicate: (input: T) => boolean | void;
  /** Fraction of the run count for expensive properties (file I/O, long command sequences). Default 1. */
  readonly weight?: number;
}

/** Builds a property with its input type checked. */
export function property<T>(arbitrary: fc.Arbitrary<T>, predicate: (input: T) => boolean | void, weight?: number): FuzzProperty<T> {
  return { arbitrary, predicate, weight };
}

/** CPU time (ms) the process may burn while the input count stands still before the property is declared hung. */
export const STALL_MS = Number(process.env.FUZZ_STALL_MS ?? 15_000);

interface Budget {
  runs: number;
  timeMs: number | null;
  seed: number;
}

function budget(): Budget {
  const runsSet = process.env.FUZZ_RUNS !== undefined && process.env.FUZZ_RUNS !== "";
  const runs = runsSet ? Number(process.env.FUZZ_RUNS) : 10_000;
  const timeEnv = process.env.FUZZ_TIME_MS;
  const timeMs = timeEnv !== undefined && timeEnv !== "" ? Number(timeEnv) : runsSet ? null : 2000;
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : (Math.random() * 2 ** 31) | 0;
  assert.ok(Number.isSafeInteger(runs) && runs > 0, `FUZZ_RUNS must be a positive integer, got ${process.env.FUZZ_RUNS}`);
  assert.ok(timeMs === null || (Number.isFinite(timeMs) && timeMs > 0), `FUZZ_TIME_MS must be a positive number, got ${timeEnv}`);
  assert.ok(Number.isSafeInteger(seed), `FUZZ_SEED must be an integer, got ${process.env.FUZZ_SEED}`);
  return { runs, timeMs, seed };
}

/** What a worker reports for one property. */
interface Outcome {
  failed: boolean;
  interrupted: boolean;
  numRuns: number;
  report: string;
}

interface Job {
  name: string;
  runs: number;
  timeMs: number | null;
  seed: number;
  progress: SharedArrayBuffer;
}

function describeError(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

function runInWorker(properties: Readonly<Record<string, FuzzProperty<any>>>): void {
  const job = workerData as Job;
  const prop = properties[job.name];
  if (!prop) throw new Error(`no fuzz property ${job.name}`);
  const progress = new Int32Array(job.progress);
  const checked = fc.property(prop.arbitrary, (input) => {
    try {
      return prop.predicate(input);
    } finally {
      Atomics.add(progress, 0, 1); // failing inputs count too: shrinking runs many of them
    }
  });
  const details = fc.check(checked, {
    numRuns: Math.max(1, Math.round(job.runs * (prop.weight ?? 1))),
    seed: job.seed,
    ...(job.timeMs === null ? {} : { interruptAfterTimeLimit: job.timeMs, markInterruptAsFailure: false }),
  });
  const outcome: Outcome = {
    failed: details.failed,
    interrupted: details.interrupted,
    numRuns: details.numRuns,
    report: details.failed ? `${fc.defaultReportMessage(details) ?? "failed"}\nError: ${describeError(details.errorInstance)}` : "",
  };
  parentPort!.postMessage(outcome);
}

/** CPU time this process (all its threads) has used, in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function runTest(fileUrl: string, name: string, b: Budget): Promise<Outcome> {
  const progress = new SharedArrayBuffer(4);
  const count = new Int32Array(progress);
  const worker = new Worker(new URL(fileUrl), { workerData: { name, runs: b.runs, timeMs: b.timeMs, seed: b.seed, progress } satisfies Job });
  return new Promise<Outcome>((resolve, reject) => {
    let last = -1;
    let lastMoved = Date.now();
    let cpuAtLastMove = cpuMs();
    const watch = setInterval(() => {
      const now = Atomics.load(count, 0);
      if (now !== last) {
        last = now;
        lastMoved = Date.now();
        cpuAtLastMove = cpuMs();
      } else if (cpuMs() - cpuAtLastMove > STALL_MS || Date.now() - lastMoved > 10 * STALL_MS) {
        clearInterval(watch);
        void worker.terminate();
        reject(
          new Error(
            `property ${name} hangs: input #${now + 1} did not finish within ${STALL_MS} ms of CPU time (or ${(10 * STALL_MS) / 1000} s) ` +
              `(reproduce: FUZZ_SEED=${b.seed} FUZZ_RUNS=${now + 1} node --test ${new URL(fileUrl).pathname})`,
          ),
        );
      }
    }, 250);
    worker.once("message", (outcome: Outcome) => {
      clearInterval(watch);
      resolve(outcome);
    });
    worker.once("error", (err) => {
      clearInterval(watch);
      reject(err);
    });
    worker.once("exit", (code) => {
      clearInterval(watch);
      reject(new Error(`fuzz worker for ${name} exited with code ${code} before reporting`));
    });
  });
}

/**
 * Registers `properties` as tests of the calling file (pass `import.meta.url`); in the worker
 * thread started for one of them, runs it instead.
 * @example
 * fuzzSuite(import.meta.url, { "decode never throws uncoded": property(fc.uint8Array(), (b) => ...) });
 */
export function fuzzSuite(fileUrl: string, properties: Readonly<Record<string, FuzzProperty<any>>>): void {
  if (!isMainThread) {
    if ((workerData as Job | undefined)?.progress instanceof SharedArrayBuffer) runInWorker(properties);
    return;
  }
  const b = budget();
  for (const name of Object.keys(properties)) {
    test(name, async (t) => {
      const outcome = await runTest(fileUrl, name, b);
      t.diagnostic(`${outcome.numRuns} inputs, seed ${b.seed}${outcome.interrupted ? ", stopped at the time limit" : ""}`);
      if (outcome.failed) assert.fail(`${name}\n${outcome.report}`);
      assert.ok(outcome.numRuns > 0, "the property ran at least once");
    });
  }
}

/** True if `err` is a UwsgiError (any copy) whose code is one of `codes`. */
export function hasCode(err: unknown, codes: ReadonlySet<ErrorCode>): boolean {
  return isUwsgiError(err) && codes.has(err.code);
}

/**
 * Runs `fn`: its result, or `undefined` when it threw a coded error of `codes`. Anything else
 * thrown (TypeError, RangeError, an uncoded Error, a coded error of another code) is rethrown,
 * wrapped with `what` so the report says which decoder misbehaved.
 */
export function valueOrCoded<T>(what: string, codes: ReadonlySet<ErrorCode>, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (hasCode(err, codes)) return undefined;
    throw new Error(`${what} threw something other than ${[...codes].join("/")}: ${describeError(err)}`);
  }
}
