/**
 * What a node reports about itself: capacity and allocatable resources, the system facts
 * `kubectl get nodes -o wide` and `describe node` show, and its addresses.
 */
import { readFile, statfs } from "node:fs/promises";
import { arch, availableParallelism, hostname as osHostname, networkInterfaces, release, totalmem } from "node:os";

export type ResourceList = Record<"cpu" | "memory" | "ephemeral-storage" | "pods", string>;

export interface NodeSystemInfo {
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  containerRuntimeVersion: string;
  kubeletVersion: string;
  operatingSystem: string;
  architecture: string;
}

export interface NodeAddress {
  type: "InternalIP" | "Hostname";
  address: string;
}

export interface NodeFacts {
  capacity: ResourceList;
  allocatable: ResourceList;
  nodeInfo: NodeSystemInfo;
  addresses: NodeAddress[];
}

export interface NodeFactsOptions {
  /** The agent's data folder; ephemeral storage is the size of the filesystem it is on. */
  dataDir: string;
  /** containerd's version, e.g. "1.6.20" (from `ctr version`). */
  containerdVersion: string;
  /** The Hostname address (default: the machine's host name). */
  hostname?: string;
  /** The InternalIP address (default: the first IPv4 address that is not loopback). */
  internalIP?: string;
}

/** The version kubectl shows in the VERSION column: the API level we serve, and who we are. */
export const KUBELET_VERSION = "v1.32.0-flotilla";

/** Most pods per node, as a kubelet's default --max-pods. */
const MAX_PODS = "110";
/** Held back from pods as a kubelet's default hard eviction thresholds do: memory.available<100Mi. */
const EVICTION_MEMORY_BYTES = 100 * 1024 * 1024;
/** ... and nodefs.available<10%. */
const EVICTION_DISK_SHARE = 0.1;

const kibibytes = (bytes: number) => `${Math.max(0, Math.floor(bytes / 1024))}Ki`;

/** Kubernetes' name for the CPU architecture Node reports. */
export function kubeArch(nodeArch: string): string {
  if (nodeArch === "x64") return "amd64";
  if (nodeArch === "ia32") return "386";
  return nodeArch; // arm64, arm, s390x, ppc64 ... are spelled the same
}

async function readTrimmed(path: string): Promise<string> {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch {
    return ""; // not there, or not ours to read
  }
}

/** PRETTY_NAME from an os-release file's text ("Debian GNU/Linux 12 (bookworm)"). */
export function prettyName(osRelease: string): string {
  const line = osRelease.split("\n").find((l) => l.startsWith("PRETTY_NAME="));
  if (!line) return "";
  return line.slice("PRETTY_NAME=".length).trim().replace(/^(["'])(.*)\1$/, "$2");
}

/** The first IPv4 address on an interface that is not loopback. */
export function firstExternalIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}

/**
 * Collects the node's facts from the system.
 * @example const facts = await collectNodeFacts({ dataDir: "/var/lib/flotilla", containerdVersion: "1.6.20" })
 */
export async function collectNodeFacts(opts: NodeFactsOptions): Promise<NodeFacts> {
  const memory = totalmem();
  const fs = await statfs(opts.dataDir);
  const disk = fs.blocks * fs.bsize;
  const capacity: ResourceList = { cpu: String(availableParallelism()), memory: kibibytes(memory), "ephemeral-storage": kibibytes(disk), pods: MAX_PODS };
  const allocatable: ResourceList = {
    ...capacity,
    memory: kibibytes(memory - EVICTION_MEMORY_BYTES),
    "ephemeral-storage": kibibytes(disk * (1 - EVICTION_DISK_SHARE)),
  };
  const [machineID, productUuid, bootID, osRelease] = await Promise.all([
    readTrimmed("/etc/machine-id"),
    readTrimmed("/sys/class/dmi/id/product_uuid"),
    readTrimmed("/proc/sys/kernel/random/boot_id"),
    readTrimmed("/etc/os-release"),
  ]);
  const nodeInfo: NodeSystemInfo = {
    machineID,
    systemUUID: productUuid.toLowerCase(),
    bootID,
    kernelVersion: release(),
    osImage: prettyName(osRelease) || "Linux",
    containerRuntimeVersion: `containerd://${opts.containerdVersion.replace(/^v/, "")}`,
    kubeletVersion: KUBELET_VERSION,
    operatingSystem: "linux",
    architecture: kubeArch(arch()),
  };
  const addresses: NodeAddress[] = [];
  const ip = opts.internalIP ?? firstExternalIPv4();
  if (ip) addresses.push({ type: "InternalIP", address: ip });
  addresses.push({ type: "Hostname", address: opts.hostname ?? osHostname() });
  return { capacity, allocatable, nodeInfo, addresses };
}
