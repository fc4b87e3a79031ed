/**
 * TaintToleration: NoSchedule and NoExecute taints keep out pods that do not tolerate them;
 * PreferNoSchedule taints a pod does not tolerate lower the node's score.
 */
import { Code, defaultNormalizeScore, MAX_NODE_SCORE, SKIP, status, type CycleState, type FilterPlugin, type NodeInfo, type PodInfo, type PreScorePlugin, type ScorePlugin, type Status } from "../framework";

type Obj = Record<string, any>;

export const name = "TaintToleration";
export const WEIGHT = 3;

/** Whether one toleration tolerates one taint (core/v1 Toleration.ToleratesTaint). */
export function toleratesTaint(tol: Obj, taint: Obj): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key !== undefined && tol.key !== "" && tol.key !== taint.key) return false;
  const op = tol.operator || "Equal";
  if (op === "Exists") return true;
  if (op === "Equal") return (tol.value ?? "") === (taint.value ?? "");
  return false;
}

export function tolerationsTolerateTaint(tolerations: Obj[] | undefined, taint: Obj): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** The first taint with one of `effects` that no toleration tolerates. */
export function findUntoleratedTaint(taints: Obj[] | undefined, tolerations: Obj[] | undefined, effects: readonly string[]): Obj | undefined {
  for (const taint of taints ?? []) {
    if (!effects.includes(taint.effect)) continue;
    if (!tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

const FILTER_EFFECTS = ["NoSchedule", "NoExecute"] as const;

export function filter(_state: CycleState | undefined, pod: PodInfo, nodeInfo: NodeInfo): Status | null {
  const taint = findUntoleratedTaint(nodeInfo.taints, pod.pod.spec?.tolerations, FILTER_EFFECTS);
  if (!taint) return null;
  return status(Code.UnschedulableAndUnresolvable, name, `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`);
}

/** How many PreferNoSchedule taints the tolerations (with effect PreferNoSchedule or any) leave untolerated. */
export function countIntolerableTaintsPreferNoSchedule(taints: Obj[] | undefined, tolerations: Obj[] | undefined): number {
  const tols = (tolerations ?? []).filter((t) => !t.effect || t.effect === "PreferNoSchedule");
  let n = 0;
  for (const taint of taints ?? []) {
    if (taint.effect !== "PreferNoSchedule") continue;
    if (!tolerationsTolerateTaint(tols, taint)) n++;
  }
  return n;
}

export function score(_state: CycleState | undefined, pod: PodInfo, nodeInfo: NodeInfo): number {
  return countIntolerableTaintsPreferNoSchedule(nodeInfo.taints, pod.pod.spec?.tolerations);
}

export function normalize(_state: CycleState | undefined, _pod: PodInfo, scores: number[]): void {
  defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
}

export function plugin(): FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name,
    filter,
    // Nodes without PreferNoSchedule taints all score the same; skip the work then.
    preScore: (_s, _p, nodes) => (nodes.some((n) => n.taints.some((t) => t.effect === "PreferNoSchedule")) ? null : SKIP),
    score,
    normalize,
  };
}
