/**
 * A pod's volumes on this node. Each volume gets a host directory under
 * `<dataDir>/pods/<uid>/volumes/<kind>/<name>` (hostPath volumes use their own path), which the
 * containers bind-mount:
 *
 * - emptyDir: an empty, world-writable directory that lives as long as the pod; `medium: Memory`
 *   puts a tmpfs there (bounded by `sizeLimit` when given).
 * - hostPath: the node's path, checked or created according to `type`.
 * - configMap, secret, downwardAPI, projected: files written from the API objects, replaced
 *   atomically when the objects change. Secret and projected volumes are tmpfs-backed so that
 *   secret material never reaches the node's disk.
 *
 * Any other volume type is reported as a configuration error naming the type.
 */
import { chmod, lchown, mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseQuantity } from "../../src/lib/quantity";
import { ContainerConfigError } from "./config-error";
import type { ResourceList } from "./downward-api";
import type { ObjectLookup } from "./env";
import type { Pod } from "./pod-spec";
import { writeAtomically } from "./volumes-atomic-writer";
import { prepareHostPath } from "./volumes-host-path";
import { hostMounter, type VolumeMounter } from "./volumes-mounter";
import type { PreparedVolumes } from "./volumes-mounts";
import { configMapPayload, DEFAULT_FILE_MODE, DEFAULT_SECRET_FILE_MODE, downwardApiPayload, projectedPayload, secretPayload, type PayloadContext } from "./volumes-payload";

export { containerMounts, type ContainerMount, type PreparedVolumes } from "./volumes-mounts";
export type { VolumeMounter } from "./volumes-mounter";

export interface PrepareVolumesOptions {
  /** The agent's state directory. */
  dataDir: string;
  lookup: ObjectLookup;
  nodeName: string;
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  /** What an unset limit reads as in downwardAPI resourceFieldRef files. */
  nodeAllocatable?: ResourceList;
  /** Mounts the tmpfs file systems; the host's mount(8) unless a test passes another. */
  mounter?: VolumeMounter;
}

/** The volume sources this node knows how to provide. */
const SUPPORTED = ["emptyDir", "hostPath", "configMap", "secret", "downwardAPI", "projected"];

/**
 * Makes every volume of the pod ready to mount. Safe to call again at any time: existing volumes
 * are kept, and configMap, secret, downwardAPI and projected content is refreshed from the
 * current objects. Calls for the same pod must not overlap (the pod's worker serializes them).
 * @throws ContainerConfigError for a volume the pod cannot have as written.
 * @example
 * const volumes = await prepareVolumes(pod, { dataDir: "/var/lib/flotilla", lookup, nodeName: "n1", podIP: "10.244.0.5" });
 * volumes.paths.get("cache") // "/var/lib/flotilla/pods/<uid>/volumes/empty-dir/cache"
 */
export async function prepareVolumes(pod: Pod, opts: PrepareVolumesOptions): Promise<PreparedVolumes> {
  const base = podVolumesDir(opts.dataDir, pod.metadata?.uid);
  const ctx: PayloadContext = {
    lookup: opts.lookup,
    facts: { nodeName: opts.nodeName, podIP: opts.podIP, podIPs: opts.podIPs, hostIP: opts.hostIP },
    nodeAllocatable: opts.nodeAllocatable,
  };
  const mounter = opts.mounter ?? hostMounter;
  const fsGroup = numberOrUndefined(pod.spec?.securityContext?.fsGroup);
  const paths = new Map<string, string>();
  for (const volume of pod.spec?.volumes ?? []) {
    const name: string = volume.name;
    const kind = SUPPORTED.find((k) => volume[k] != null) ?? unsupportedKind(volume);
    const dir = join(base, KIND_DIRS[kind] ?? "", name);
    switch (kind) {
      case "emptyDir":
        await prepareEmptyDir(dir, volume.emptyDir, fsGroup, mounter, name);
        paths.set(name, dir);
        break;
      case "hostPath":
        paths.set(name, await prepareHostPath(name, volume.hostPath));
        break;
      case "configMap": {
        const s = volume.configMap;
        await writeAtomically(dir, await configMapPayload(pod, s.name, s.items, s.optional === true, s.defaultMode ?? DEFAULT_FILE_MODE, ctx.lookup), { fsGroup });
        paths.set(name, dir);
        break;
      }
      case "secret": {
        const s = volume.secret;
        const payload = await secretPayload(pod, s.secretName, s.items, s.optional === true, s.defaultMode ?? DEFAULT_SECRET_FILE_MODE, ctx.lookup);
        await inMemoryDir(dir, mounter);
        await writeAtomically(dir, payload, { fsGroup });
        paths.set(name, dir);
        break;
      }
      case "downwardAPI": {
        const s = volume.downwardAPI;
        await writeAtomically(dir, downwardApiPayload(pod, s.items, s.defaultMode ?? DEFAULT_FILE_MODE, ctx), { fsGroup });
        paths.set(name, dir);
        break;
      }
      case "projected": {
        const payload = await projectedPayload(pod, volume.projected, ctx);
        await inMemoryDir(dir, mounter);
        await writeAtomically(dir, payload, { fsGroup });
        paths.set(name, dir);
        break;
      }
    }
  }
  return { paths };
}

const KIND_DIRS: Record<string, string> = {
  emptyDir: "empty-dir",
  configMap: "configmap",
  secret: "secret",
  downwardAPI: "downward-api",
  projected: "projected",
};

/** A volume with no source at all is an emptyDir (the API's reading); any other source is unsupported here. */
function unsupportedKind(volume: any): string {
  const kind = Object.keys(volume).find((k) => k !== "name" && volume[k] != null);
  if (kind === undefined) return "emptyDir";
  throw new ContainerConfigError(`volume "${volume.name}": volume type "${kind}" is not supported by this node`);
}

async function prepareEmptyDir(dir: string, source: any, fsGroup: number | undefined, mounter: VolumeMounter, name: string): Promise<void> {
  const medium = source?.medium ?? "";
  if (medium !== "" && medium !== "Memory") throw new ContainerConfigError(`volume "${name}": emptyDir medium "${medium}" is not supported by this node`);
  const fresh = !(await exists(dir));
  await mkdir(dir, { recursive: true, mode: 0o755 });
  let mounted = false;
  if (medium === "Memory") {
    const limit = source.sizeLimit !== undefined ? parseQuantity(source.sizeLimit) : undefined;
    mounted = await mounter.ensureTmpfs(dir, { mode: 0o777, sizeBytes: limit ? Math.ceil(limit.milli / 1000) : undefined });
  }
  // Only when new: afterwards the containers own the permissions of their scratch space.
  if (!fresh && !mounted) return;
  if (fsGroup !== undefined) {
    await lchown(dir, -1, fsGroup);
    await chmod(dir, 0o2777);
  } else {
    await chmod(dir, 0o777);
  }
}

async function inMemoryDir(dir: string, mounter: VolumeMounter): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await mounter.ensureTmpfs(dir, { mode: 0o755 });
}

/**
 * Removes all of a pod's volumes from the node: unmounts its tmpfs file systems, then deletes
 * its volume directories. hostPath volumes are the node's own and are left alone.
 * @example await removePodVolumes("/var/lib/flotilla", pod.metadata.uid);
 */
export async function removePodVolumes(dataDir: string, podUid: string, mounter: VolumeMounter = hostMounter): Promise<void> {
  const base = podVolumesDir(dataDir, podUid);
  // Deleting through a mount point that is still mounted would empty it, so the unmount must succeed first.
  await mounter.unmountBelow(base);
  await rm(base, { recursive: true, force: true });
}

function podVolumesDir(dataDir: string, uid: unknown): string {
  if (typeof uid !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(uid)) throw new Error(`pod uid ${JSON.stringify(uid)} cannot name a directory`);
  return join(dataDir, "pods", uid, "volumes");
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function numberOrUndefined(v: unknown): number | undefined {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : undefined;
}
