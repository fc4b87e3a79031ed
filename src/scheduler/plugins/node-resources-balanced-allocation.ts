/**
 * NodeResourcesBalancedAllocation: prefers nodes whose cpu and memory would be used in similar
 * proportions once the pod is placed (1 - standard deviation of the fractions, times 100).
 */
import { MAX_NODE_SCORE, type CycleState, type NodeInfo, type PodInfo, type ScorePlugin } from "../framework";

export const name = "NodeResourcesBalancedAllocation";
export const WEIGHT = 1;

/** The score for requested/allocatable pairs; resources with no allocatable are left out. */
export function balancedScore(requested: readonly number[], allocatable: readonly number[]): number {
  const fractions: number[] = [];
  let total = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    const f = Math.min(1, requested[i] / allocatable[i]);
    total += f;
    fractions.push(f);
  }
  let std = 0;
  if (fractions.length === 2) std = Math.abs((fractions[0] - fractions[1]) / 2);
  else if (fractions.length > 2) {
    const mean = total / fractions.length;
    let sum = 0;
    for (const f of fractions) sum += (f - mean) * (f - mean);
    std = Math.sqrt(sum / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export function score(_state: CycleState | undefined, pod: PodInfo, nodeInfo: NodeInfo): number {
  const cpuCap = nodeInfo.allocatable.milliCPU;
  const memCap = nodeInfo.allocatable.memory;
  if (cpuCap === 0 || memCap === 0) {
    return balancedScore([nodeInfo.requested.milliCPU + pod.requests.milliCPU, nodeInfo.requested.memory + pod.requests.memory], [cpuCap, memCap]);
  }
  // The two-resource case inline: 1 - |f1 - f2| / 2.
  const f1 = Math.min(1, (nodeInfo.requested.milliCPU + pod.requests.milliCPU) / cpuCap);
  const f2 = Math.min(1, (nodeInfo.requested.memory + pod.requests.memory) / memCap);
  return Math.trunc((1 - Math.abs((f1 - f2) / 2)) * MAX_NODE_SCORE);
}

export function plugin(): ScorePlugin {
  return { name, score };
}
