/**
 * NodeResourcesFit: the pod's requests (cpu, memory, ephemeral-storage, extended resources) and
 * one pod slot must fit in the node's allocatable minus what its bound pods request. As a score
 * it ranks nodes by the LeastAllocated strategy (default weights cpu 1, memory 1), using requests
 * with the scheduler's non-zero defaults.
 */
import { Code, MAX_NODE_SCORE, status, type CycleState, type FilterPlugin, type NodeInfo, type PodInfo, type Resource, type ScorePlugin, type Status } from "../framework";

export const name = "NodeResourcesFit";
export const WEIGHT = 1;

export interface InsufficientResource {
  resourceName: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The request exceeds the whole allocatable (informational: v1.32's filter still says Unschedulable). */
  unresolvable: boolean;
}

const NONE: InsufficientResource[] = [];

/** The common case without allocation: everything fits. */
function quickFit(req: Resource, alloc: Resource, used: Resource, podCount: number): boolean {
  if (podCount + 1 > alloc.allowedPodNumber) return false;
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) return false;
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) return false;
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) return false;
  if (req.scalar.size) {
    for (const [rn, v] of req.scalar) if (v > 0 && v > (alloc.scalar.get(rn) ?? 0) - (used.scalar.get(rn) ?? 0)) return false;
  }
  return true;
}

/** What the node lacks for a pod with these requests (empty when it fits). */
export function fitsRequest(req: Resource, nodeInfo: NodeInfo): InsufficientResource[] {
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  if (quickFit(req, alloc, used, nodeInfo.pods.length)) return NONE;
  const out: InsufficientResource[] = [];
  const podCount = nodeInfo.pods.length;
  if (podCount + 1 > alloc.allowedPodNumber) {
    out.push({ resourceName: "pods", reason: "Too many pods", requested: 1, used: podCount, capacity: alloc.allowedPodNumber, unresolvable: false });
  }
  let anyScalar = false;
  for (const v of req.scalar.values()) if (v > 0) anyScalar = true;
  if (req.milliCPU === 0 && req.memory === 0 && req.ephemeralStorage === 0 && !anyScalar) return out;
  const check = (resourceName: string, requested: number, u: number, cap: number) => {
    if (requested > 0 && requested > cap - u) {
      out.push({ resourceName, reason: `Insufficient ${resourceName}`, requested, used: u, capacity: cap, unresolvable: requested > cap });
    }
  };
  check("cpu", req.milliCPU, used.milliCPU, alloc.milliCPU);
  check("memory", req.memory, used.memory, alloc.memory);
  check("ephemeral-storage", req.ephemeralStorage, used.ephemeralStorage, alloc.ephemeralStorage);
  for (const [rn, v] of req.scalar) check(rn, v, used.scalar.get(rn) ?? 0, alloc.scalar.get(rn) ?? 0);
  return out;
}

export function fits(pod: PodInfo, nodeInfo: NodeInfo): boolean {
  return fitsRequest(pod.requests, nodeInfo).length === 0;
}

export function filter(_state: CycleState | undefined, pod: PodInfo, nodeInfo: NodeInfo): Status | null {
  const missing = fitsRequest(pod.requests, nodeInfo);
  if (!missing.length) return null;
  // v1.32 always answers Unschedulable, even for a request beyond the whole allocatable (only
  // later releases make that UnschedulableAndUnresolvable), so preemption still weighs the node.
  return status(Code.Unschedulable, name, ...missing.map((m) => m.reason));
}

/** (capacity - requested) * 100 / capacity, in integers; 0 once over capacity. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** LeastAllocated over cpu and memory (weight 1 each), skipping resources the node lacks. */
export function leastAllocatedScore(pod: PodInfo, nodeInfo: NodeInfo): number {
  let sum = 0;
  let weights = 0;
  const cpuCap = nodeInfo.allocatable.milliCPU;
  const memCap = nodeInfo.allocatable.memory;
  if (cpuCap !== 0) {
    sum += leastRequestedScore(nodeInfo.nonZeroRequested.milliCPU + pod.nonZeroRequests.milliCPU, cpuCap);
    weights++;
  }
  if (memCap !== 0) {
    sum += leastRequestedScore(nodeInfo.nonZeroRequested.memory + pod.nonZeroRequests.memory, memCap);
    weights++;
  }
  return weights === 0 ? 0 : Math.trunc(sum / weights);
}

export function score(_state: CycleState | undefined, pod: PodInfo, nodeInfo: NodeInfo): number {
  return leastAllocatedScore(pod, nodeInfo);
}

export function plugin(): FilterPlugin & ScorePlugin {
  return { name, filter, score };
}
