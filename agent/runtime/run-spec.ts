import { normalizeImageRef } from "./image-ref";

export interface BindMount {
  source: string;
  destination: string;
  readOnly: boolean;
}

export interface JoinedNamespace {
  type: "network" | "uts" | "ipc";
  /** e.g. /var/run/netns/<name> or /proc/<pid>/ns/net */
  path: string;
}

/** Everything `ctr run` needs to create a container and start its task. */
export interface RunSpec {
  id: string;
  image: string;
  /** The whole command line; undefined runs the image's own entrypoint and cmd. */
  argv?: string[];
  /** "K=V", added to (and overriding) the image's environment. */
  env: string[];
  cwd?: string;
  labels: Record<string, string>;
  mounts: BindMount[];
  namespaces: JoinedNamespace[];
  memoryLimitBytes?: number;
  cpus?: number;
  /** Absolute path of the CRI-format log file for this run of the task. */
  logPath: string;
}

/**
 * The arguments of `ctr run` (after the global options) for a detached container.
 * Paths in mounts must not contain a comma: ctr splits the mount option on commas.
 */
export function runArgs(spec: RunSpec, logUri: string): string[] {
  const args = ["run", "--detach", "--log-uri", logUri];
  for (const [k, v] of Object.entries(spec.labels)) args.push("--label", `${k}=${v}`);
  for (const e of spec.env) args.push("--env", e);
  if (spec.cwd) args.push("--cwd", spec.cwd);
  for (const m of spec.mounts) {
    args.push("--mount", `type=bind,src=${m.source},dst=${m.destination},options=rbind:${m.readOnly ? "ro" : "rw"}`);
  }
  for (const ns of spec.namespaces) args.push("--with-ns", `${ns.type}:${ns.path}`);
  if (spec.memoryLimitBytes !== undefined) args.push("--memory-limit", String(Math.floor(spec.memoryLimitBytes)));
  if (spec.cpus !== undefined) args.push("--cpus", String(spec.cpus));
  // "--" ends the options, so an argv starting with "-" reaches the container unchanged.
  args.push("--", normalizeImageRef(spec.image), spec.id, ...(spec.argv ?? []));
  return args;
}
