/**
 * hostPath volumes: the path is checked (or created) according to its `type`, as Kubernetes
 * documents for each type.
 */
import type { Stats } from "node:fs";
import { mkdir, open, stat } from "node:fs/promises";
import { isAbsolute, normalize } from "node:path";
import { ContainerConfigError } from "./config-error";

export type HostPathType = "" | "DirectoryOrCreate" | "Directory" | "FileOrCreate" | "File" | "Socket" | "CharDevice" | "BlockDevice";

const CHECKS: Record<Exclude<HostPathType, "" | "DirectoryOrCreate" | "FileOrCreate">, [(s: Stats) => boolean, string]> = {
  Directory: [(s) => s.isDirectory(), "a directory"],
  File: [(s) => s.isFile(), "a file"],
  Socket: [(s) => s.isSocket(), "a socket file"],
  CharDevice: [(s) => s.isCharacterDevice(), "a character device"],
  BlockDevice: [(s) => s.isBlockDevice(), "a block device"],
};

/**
 * Checks a hostPath volume's path against its type, creating it for the `...OrCreate` types,
 * and returns the path to mount.
 * @throws ContainerConfigError when the path is not what the type requires.
 * @example await prepareHostPath("logs", { path: "/var/log/app", type: "DirectoryOrCreate" }) // "/var/log/app"
 */
export async function prepareHostPath(volumeName: string, source: { path?: string; type?: string }): Promise<string> {
  const raw = source.path ?? "";
  if (!isAbsolute(raw)) throw new ContainerConfigError(`hostPath of volume "${volumeName}" must be an absolute path, not ${JSON.stringify(raw)}`);
  const path = normalize(raw).replace(/(.)\/+$/, "$1");
  const type = (source.type ?? "") as HostPathType;
  const st = await statOrUndefined(path);
  switch (type) {
    case "":
      // No check at all, but a bind mount needs a source: create a directory, as containerd does.
      if (!st) await mkdir(path, { recursive: true, mode: 0o755 });
      return path;
    case "DirectoryOrCreate":
      if (!st) {
        await mkdir(path, { recursive: true, mode: 0o755 });
        return path;
      }
      return check(path, st, "Directory");
    case "FileOrCreate":
      if (!st) {
        await createFile(path);
        return path;
      }
      return check(path, st, "File");
    default:
      if (!(type in CHECKS)) throw new ContainerConfigError(`hostPath type ${JSON.stringify(type)} of volume "${volumeName}" is not a valid type`);
      return check(path, st, type as keyof typeof CHECKS);
  }
}

function check(path: string, st: Stats | undefined, type: keyof typeof CHECKS): string {
  const [is, what] = CHECKS[type];
  if (!st || !is(st)) throw new ContainerConfigError(`hostPath type check failed: ${path} is not ${what}`);
  return path;
}

/** Creates an empty file; like the kubelet, not its parent directory, which must exist. */
async function createFile(path: string): Promise<void> {
  try {
    await (await open(path, "a", 0o644)).close();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === "ENOENT" ? "no such file or directory" : err.code === "ENOTDIR" ? "not a directory" : err.message;
    throw new ContainerConfigError(`open ${path}: ${reason}`);
  }
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw e;
  }
}
