/**
 * A container's bind mounts from its `volumeMounts`: which host path goes where, read-only or
 * not, with `subPath` and `subPathExpr` resolved safely inside the volume.
 */
import { chmodSync, lstatSync, mkdirSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { ContainerConfigError } from "./config-error";
import { envToMap, expandWith } from "./env";
import type { Container, Pod } from "./pod-spec";

export interface PreparedVolumes {
  /** Host path of each volume, by volume name. */
  paths: Map<string, string>;
}

export interface ContainerMount {
  source: string;
  destination: string;
  readOnly: boolean;
}

/** Volumes whose content the node writes from API objects: containers may only read them. */
const API_DATA_VOLUMES = ["configMap", "secret", "downwardAPI", "projected"];

/**
 * The container's mounts, in the order of its volumeMounts. `env` (the container's resolved
 * environment) is needed only for `subPathExpr`.
 * @throws ContainerConfigError for a mount of an undefined volume or an unusable subPath.
 * @example containerMounts(c, volumes, pod) // [{ source: "/var/lib/flotilla/pods/u1/volumes/empty-dir/cache", destination: "/cache", readOnly: false }]
 */
export function containerMounts(container: Container, volumes: PreparedVolumes, pod: Pod, env: string[] = []): ContainerMount[] {
  const mounts: ContainerMount[] = [];
  for (const vm of container.volumeMounts ?? []) {
    const root = volumes.paths.get(vm.name);
    if (root === undefined) throw new ContainerConfigError(`cannot find volume "${vm.name}" to mount into container "${container.name}"`);
    const volume = (pod.spec?.volumes ?? []).find((v: any) => v?.name === vm.name);
    const forcedReadOnly = API_DATA_VOLUMES.some((kind) => volume?.[kind] != null);
    const subPath = vm.subPathExpr ? expandSubPath(vm.subPathExpr, env) : (vm.subPath ?? "");
    const source = subPath ? resolveSubPath(root, subPath, vm.name, container.name) : root;
    mounts.push({ source, destination: vm.mountPath, readOnly: vm.readOnly === true || forcedReadOnly });
  }
  return mounts;
}

/** Every `$(VAR)` in a subPathExpr must name a variable with a value. */
function expandSubPath(expr: string, env: string[]): string {
  const vars = envToMap(env);
  const missing = new Set<string>();
  const expanded = expandWith(expr, (name) => {
    const value = vars.get(name);
    if (!value) missing.add(name);
    return value ?? "";
  });
  if (missing.size) throw new ContainerConfigError(`missing value for ${[...missing].sort().join(", ")}`);
  return expanded;
}

/**
 * The host path of `subPath` inside a volume, created as a directory (with the volume root's
 * mode) when missing. A container may have planted symlinks in a shared volume, so every step is
 * taken without following a link out of the volume.
 */
function resolveSubPath(root: string, subPath: string, volumeName: string, containerName: string): string {
  if (subPath.startsWith("/")) throw new ContainerConfigError(`error SubPath \`${subPath}\` must not be an absolute path`);
  const segments = subPath.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) throw new ContainerConfigError(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
  const escape = () => new ContainerConfigError(`failed to prepare subPath for volumeMount "${volumeName}" of container "${containerName}"`);
  const realRoot = realpathSync(root);
  const mode = statSync(realRoot).mode & 0o7777;
  let current = realRoot;
  for (const [i, segment] of segments.entries()) {
    const next = join(current, segment);
    const st = lstatOrUndefined(next);
    if (!st) {
      try {
        mkdirSync(next);
        // Set apart from mkdir, which the umask would narrow.
        chmodSync(next, mode);
      } catch {
        throw new ContainerConfigError(`failed to create subPath directory for volumeMount "${volumeName}" of container "${containerName}"`);
      }
      current = next;
      continue;
    }
    const resolved = st.isSymbolicLink() ? realpathOrUndefined(next) : next;
    if (!resolved || !inside(realRoot, resolved)) throw escape();
    if (i < segments.length - 1 && !statSync(resolved).isDirectory()) throw escape();
    current = resolved;
  }
  return current;
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
