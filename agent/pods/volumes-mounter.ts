/**
 * Memory-backed volumes: `emptyDir` with `medium: Memory`, and the Secret and projected volumes,
 * which live in tmpfs so that secret material is never written to the node's disk.
 */
import { execFile } from "node:child_process";
import { readFile, realpath } from "node:fs/promises";
import { promisify } from "node:util";
import { parseMountPoints } from "../sandbox/mount-points";

export interface TmpfsOptions {
  /** Upper bound of the file system; without it the kernel's default (half the RAM) applies. */
  sizeBytes?: number;
  /** Permission bits of the file system's root. */
  mode: number;
}

/** Mounts and unmounts the tmpfs file systems behind volumes. */
export interface VolumeMounter {
  /** Mounts a tmpfs on `dir` (which exists) unless one is there already; true when it mounted one now. */
  ensureTmpfs(dir: string, opts: TmpfsOptions): Promise<boolean>;
  /** Unmounts everything mounted at or below `dir`, deepest first; fails if anything stays mounted. */
  unmountBelow(dir: string): Promise<void>;
}

const run = promisify(execFile);

async function mountPoints(): Promise<Set<string>> {
  return parseMountPoints(await readFile("/proc/self/mountinfo", "utf8"));
}

async function canonical(dir: string): Promise<string | undefined> {
  try {
    return await realpath(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

function below(points: Set<string>, dir: string): string[] {
  return [...points].filter((p) => p === dir || p.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
}

/** The mounter of this machine's mount namespace (needs root), through mount(8) and umount(8). */
export const hostMounter: VolumeMounter = {
  async ensureTmpfs(dir, opts) {
    const target = (await canonical(dir)) ?? dir;
    if ((await mountPoints()).has(target)) return false;
    const options = [`mode=${opts.mode.toString(8).padStart(4, "0")}`];
    if (opts.sizeBytes !== undefined && opts.sizeBytes > 0) options.push(`size=${Math.ceil(opts.sizeBytes)}`);
    await run("mount", ["-t", "tmpfs", "-o", options.join(","), "tmpfs", target]);
    return true;
  },

  async unmountBelow(dir) {
    const root = await canonical(dir);
    if (!root) return;
    for (const point of below(await mountPoints(), root)) {
      try {
        await run("umount", [point]);
      } catch {
        // Busy (a process of this namespace still has a file open there): detach it now; the
        // kernel frees it once the last user is gone, and the directory below is empty either way.
        await run("umount", ["-l", point]);
      }
    }
    const left = below(await mountPoints(), root);
    if (left.length > 0) throw new Error(`still mounted below ${root}: ${left.join(", ")}`);
  },
};
