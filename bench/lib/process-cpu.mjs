// CPU time of processes, for benches on a shared machine (wall-clock rates are noise there): one
// reader of /proc/PID/stat (parent, process group, user + system time), the CPU of one process,
// and the sum over the live processes of process groups (a server spawned with `detached: true`
// leads its own group: master, workers, mules).
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** `{ pid, ppid, pgrp, cpuMs, sysMs }` of a live process (cpuMs: user + system; sysMs: system alone), or null once it is gone. */
export function procStat(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // fields after the command name: state ppid pgrp ... utime(14) stime(15)
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { pid: Number(pid), ppid: Number(f[1]), pgrp: Number(f[2]), cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_SECOND, sysMs: (Number(f[12]) * 1000) / TICKS_PER_SECOND };
}

/** {@link procStat} of every live process. */
export function allProcStats() {
  const out = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = procStat(name);
    if (s) out.push(s);
  }
  return out;
}

/** User + system CPU milliseconds used so far by process `pid` (throws when it is gone). */
export function processCpuMs(pid) {
  const s = procStat(pid);
  if (!s) throw new Error(`process ${pid} is gone`);
  return s.cpuMs;
}

/** User + system CPU milliseconds used so far by the live processes of group `pgids` (one or a list). */
export function groupCpuMs(pgids) {
  const groups = Array.isArray(pgids) ? pgids : [pgids];
  let ms = 0;
  for (const s of allProcStats()) if (groups.includes(s.pgrp)) ms += s.cpuMs;
  return ms;
}
