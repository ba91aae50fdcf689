/**
 * A real redis-server for tests: started on a port the test chose (an ephemeral loopback port),
 * without persistence, ended by its pid.
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";

/** Starts `redis-server` on 127.0.0.1:`port` and resolves once it accepts connections. */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      if (/Ready to accept connections/.test(out)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return child;
}

/** SIGKILLs a redis-server started by {@link startRedis} and waits for its exit. */
export async function killRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}
