type Obj = Record<string, any>;

export const UNREACHABLE = "node.kubernetes.io/unreachable";
export const NOT_READY = "node.kubernetes.io/not-ready";

/** The taints the node lifecycle controller owns for a node in a given Ready state. */
export function lifecycleTaints(ready: "True" | "False" | "Unknown"): { key: string; effect: string }[] {
  if (ready === "Unknown") return [{ key: UNREACHABLE, effect: "NoSchedule" }, { key: UNREACHABLE, effect: "NoExecute" }];
  if (ready === "False") return [{ key: NOT_READY, effect: "NoSchedule" }, { key: NOT_READY, effect: "NoExecute" }];
  return [];
}

/** Replaces the lifecycle-owned taints of `taints` with `wanted`, keeping the others and existing timeAdded. */
export function withLifecycleTaints(taints: Obj[], wanted: { key: string; effect: string }[], timestamp: string): Obj[] {
  const owned = (t: Obj) => t.key === UNREACHABLE || t.key === NOT_READY;
  const kept = taints.filter((t) => !owned(t) || wanted.some((w) => w.key === t.key && w.effect === t.effect));
  for (const w of wanted) {
    if (kept.some((t) => t.key === w.key && t.effect === w.effect)) continue;
    kept.push(w.effect === "NoExecute" ? { ...w, timeAdded: timestamp } : { ...w });
  }
  return kept;
}

/** Whether a toleration matches a taint (operator Exists/Equal, empty key with Exists matches all). */
export function tolerates(toleration: Obj, taint: Obj): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  const op = toleration.operator ?? "Equal";
  if (!toleration.key) return op === "Exists";
  if (toleration.key !== taint.key) return false;
  return op === "Exists" || (toleration.value ?? "") === (taint.value ?? "");
}

/**
 * When a pod must leave a node because of its NoExecute taints: undefined if it may stay,
 * otherwise the time (ms) at which its tolerations run out (now, when a taint is not tolerated).
 */
export function evictionTime(pod: Obj, taints: Obj[], now: number): number | undefined {
  let at: number | undefined;
  for (const taint of taints) {
    if (taint.effect !== "NoExecute") continue;
    const matching = (pod.spec?.tolerations ?? []).filter((t: Obj) => tolerates(t, taint));
    if (matching.length === 0) return now;
    // The shortest tolerationSeconds among the matching tolerations wins; none means forever.
    const seconds = matching.map((t: Obj) => t.tolerationSeconds).filter((s: unknown) => typeof s === "number") as number[];
    if (seconds.length === 0) continue;
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : now;
    const when = added + Math.max(0, Math.min(...seconds)) * 1000;
    at = at === undefined ? when : Math.min(at, when);
  }
  return at;
}
