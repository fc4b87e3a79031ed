import { readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

/** CPU seconds used so far by this process and by the workerd processes it started. */
export interface CpuSnapshot {
  at: number;
  node: number;
  workerd: Map<number, number>;
}

/** CPU use between two snapshots, in cores (1 = one core busy all the time). */
export interface CpuUse {
  node: number;
  workerd: number;
}

const CLOCK_TICKS = 100;

function workerdSeconds(): Map<number, number> {
  const out = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      if (!stat.slice(stat.indexOf("(") + 1, close).startsWith("workerd")) continue;
      const f = stat.slice(close + 2).split(" ");
      // Fields after the name: state, ppid, ..., utime (12th), stime (13th).
      if (Number(f[1]) !== process.pid) continue;
      out.set(Number(pid), (Number(f[11]) + Number(f[12])) / CLOCK_TICKS);
    } catch {
      // The process ended between listing and reading.
    }
  }
  return out;
}

/**
 * Reads CPU counters (Linux /proc; workerd figures are zero elsewhere).
 *
 * @example const before = cpuSnapshot(); work(); const { node, workerd } = cpuSince(before);
 */
export function cpuSnapshot(): CpuSnapshot {
  const u = process.cpuUsage();
  return { at: performance.now(), node: (u.user + u.system) / 1e6, workerd: workerdSeconds() };
}

/** Average cores used by the load generator and by workerd since `before`. */
export function cpuSince(before: CpuSnapshot): CpuUse {
  const now = cpuSnapshot();
  const secs = (now.at - before.at) / 1000;
  let workerd = 0;
  for (const [pid, s] of now.workerd) workerd += s - (before.workerd.get(pid) ?? 0);
  return { node: (now.node - before.node) / secs, workerd: workerd / secs };
}
