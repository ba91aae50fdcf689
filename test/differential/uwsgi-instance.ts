/**
 * One real uWSGI 2.0.21 (python3 plugin) per test file, running test/fixtures/differential/app.py
 * in a single worker: scenarios are HTTP POSTs that the app executes inside that worker.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Op, type PyJson, decodePy } from "./scenario-ops.js";
import { eventually } from "../support/eventually.js";
import { freeTcpPort } from "../support/free-port.js";

const APP = fileURLToPath(new URL("../../../test/fixtures/differential/app.py", import.meta.url));
const PLUGIN_DIR = "/usr/lib/uwsgi/plugins";
const INSTALL_HINT = "install uWSGI 2.0.21 with its python3 plugin (Debian/Ubuntu: apt-get install uwsgi-core uwsgi-plugin-python3)";

/** How to start the instance. */
export interface UwsgiInstanceOptions {
  /** Options shared with our stub's `configure()` (`--cache2 ...`, `--locks N`, `--metric ...`). */
  options: readonly string[];
  /** Ops the app runs at import time, i.e. in the master before the worker is forked. */
  importOps?: readonly Op[];
  /** Start a spooler on {@link UwsgiInstance.spoolDir} (scan every second) and declare {@link UwsgiInstance.externalDir}. */
  spooler?: boolean;
}


function checkInstalled(): void {
  const probe = spawnSync("uwsgi", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) assert.fail(`uwsgi is not installed (${String(probe.error ?? probe.stderr)}): ${INSTALL_HINT}`);
  for (const plugin of ["python3", "cache", "rpc", "signal", "spooler"]) {
    if (!existsSync(join(PLUGIN_DIR, `${plugin}_plugin.so`))) assert.fail(`uWSGI plugin ${plugin} is missing from ${PLUGIN_DIR}: ${INSTALL_HINT}`);
  }
}

/** A running uWSGI with the differential app. */
export class UwsgiInstance {
  /** Everything uWSGI printed so far (for failure messages). */
  log = "";

  private constructor(
    private readonly child: ChildProcess,
    private readonly port: number,
    /** Temporary directory holding everything of this instance; removed by {@link stop}. */
    readonly tmp: string,
  ) {
    child.stdout!.on("data", (c: Buffer) => (this.log += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (this.log += c.toString()));
  }

  /** The directory of the instance's spooler (realpath, as uWSGI stores it). */
  get spoolDir(): string {
    return join(this.tmp, "spool");
  }

  /** A `--spooler-external` directory: a valid `spooler` target that no process scans. */
  get externalDir(): string {
    return join(this.tmp, "external");
  }

  /** Where the app's spooler callable writes `<task name>.json` for each task it ran. */
  get resultsDir(): string {
    return join(this.tmp, "results");
  }

  /** Starts uWSGI and waits until its worker answers. */
  static async start(opts: UwsgiInstanceOptions): Promise<UwsgiInstance> {
    checkInstalled();
    const tmp = realpathSync(mkdtempSync(join(tmpdir(), "uwsgi-node-differential-")));
    for (const dir of ["spool", "external", "results"]) mkdirSync(join(tmp, dir));
    const port = await freeTcpPort();
    const argv = [
      "--plugin", "python3,cache,rpc,signal,spooler",
      "--master", "--die-on-term", "--processes", "1",
      "--http-socket", `127.0.0.1:${port}`,
      "--wsgi-file", APP,
      ...(opts.spooler ? ["--spooler", join(tmp, "spool"), "--spooler-external", join(tmp, "external"), "--spooler-frequency", "1"] : []),
      ...opts.options,
    ];
    const child = spawn("uwsgi", argv, {
      cwd: tmp,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DIFF_RESULTS_DIR: join(tmp, "results"), DIFF_IMPORT_OPS: JSON.stringify(opts.importOps ?? []) },
    });
    const instance = new UwsgiInstance(child, port, tmp);
    try {
      await instance.waitReady();
    } catch (err) {
      await instance.stop();
      throw err;
    }
    return instance;
  }

  private async waitReady(): Promise<void> {
    const exited = (): string | null =>
      this.child.exitCode !== null || this.child.signalCode !== null ? `uwsgi exited (${this.child.exitCode ?? this.child.signalCode}) during startup:\n${this.log}` : null;
    await eventually(async () => (await this.post({ ops: [] }), true), 20_000, `uwsgi to answer; log:\n${this.log}`, 50, exited);
  }

  /** POSTs a JSON request to the app and returns the raw JSON answer's `result`. */
  post(body: unknown, timeoutMs = 10_000): Promise<PyJson> {
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: this.port, method: "POST", path: "/", agent: false, headers: { "content-length": payload.length } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          let answer: { result?: PyJson; error?: string; message?: string };
          try {
            answer = JSON.parse(Buffer.concat(chunks).toString()) as typeof answer;
          } catch (err) {
            reject(new Error(`bad answer from uwsgi (${String(err)}); log:\n${this.log}`));
            return;
          }
          if ("result" in answer) resolve(answer.result as PyJson);
          else reject(new Error(`the app failed: ${answer.error}: ${answer.message}`));
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms; uWSGI log:\n${this.log}`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** Runs `uwsgi.<name>(*args)` for each op in the worker; one decoded result per op. */
  async ops(ops: readonly Op[]): Promise<unknown[]> {
    return ((await this.post({ ops })) as PyJson[]).map(decodePy);
  }

  /** Executes a Python snippet in the worker (`uwsgi`, `args`, `os` in scope); decodes its `result`. */
  async code(code: string, args: Record<string, unknown> = {}): Promise<unknown> {
    return decodePy(await this.post({ code, args: { dict: Object.entries(args).map(([k, v]) => [k, v]) } }));
  }

  /** Results of the `importOps` the app ran in the master at import time. */
  async importResults(): Promise<unknown[]> {
    return ((await this.post({ import_results: true })) as PyJson[]).map(decodePy);
  }

  /**
   * Waits (bounded) for the app's spooler callable to report the task `taskName` and returns the
   * dict it received.
   */
  async spooledTask(taskName: string, timeoutMs = 10_000): Promise<unknown> {
    const file = join(this.resultsDir, `${taskName}.json`);
    await eventually(() => existsSync(file), timeoutMs, `uWSGI's spooler to run ${taskName}`);
    return decodePy(JSON.parse(readFileSync(file, "utf8")) as PyJson);
  }

  /** Stops uWSGI (SIGINT, then SIGKILL after 10 s) and removes the temporary directory. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      process.kill(child.pid!, "SIGINT");
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL");
      }, 10_000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
