import { readFile, realpath } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** The mount points listed in a mountinfo table (the fifth field, with its octal escapes undone). */
export function parseMountPoints(mountinfo: string): Set<string> {
  const points = new Set<string>();
  for (const line of mountinfo.split("\n")) {
    const field = line.split(" ")[4];
    if (field) points.add(field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
  }
  return points;
}

/**
 * Whether a path is a mount point of this process's mount namespace. A namespace kept alive by
 * a bind mount (a netns or UTS file) is only real while it is mounted: after a reboot the file
 * may still exist but is plain and empty.
 */
export async function isMountPoint(path: string, mountinfoPath = "/proc/self/mountinfo"): Promise<boolean> {
  let resolved: string;
  try {
    // mountinfo names the canonical path (/run/netns/x for /var/run/netns/x); the file itself is no symlink
    resolved = join(await realpath(dirname(path)), basename(path));
  } catch {
    return false;
  }
  return parseMountPoints(await readFile(mountinfoPath, "utf8")).has(resolved);
}
