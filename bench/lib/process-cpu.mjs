// CPU time of a process group, for benches on a shared machine (wall-clock rates are noise there):
// the sum of user + system time of every live process whose process group is `pgid` (a server
// spawned with `detached: true` leads its own group: master, workers, mules).
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User + system CPU milliseconds used so far by the live processes of group `pgid`. */
export function groupCpuMs(pgid) {
  let ticks = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    // fields after the command name: state ppid pgrp ... utime(14) stime(15)
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(f[2]) !== pgid) continue;
    ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
