/**
 * Another process holding the POSIX record lock uWSGI's spooler takes on a task file: Python's
 * `fcntl.lockf(LOCK_EX)` (fcntl F_SETLKW, whole file), for tests of our side of that lock.
 * @module
 */
import { spawn } from "node:child_process";

/** A python3 process holding lockf(LOCK_EX) on `path` until {@link release} closes its stdin. */
export async function pythonLockHolder(path: string): Promise<{ pid: number; release(): Promise<void> }> {
  const code = "import fcntl,sys\nf=open(sys.argv[1],'r+')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\nsys.stdin.read()\n";
  const child = spawn("python3", ["-c", code, path], { stdio: ["pipe", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => c.toString().includes("locked") && resolve());
    child.on("exit", (c) => reject(new Error(`python3 exited with ${c}`)));
  });
  return {
    pid: child.pid!,
    release: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.on("exit", () => resolve());
        child.stdin.end();
      }),
  };
}
