/**
 * ReplicaSet status: counts over the pods the ReplicaSet controls, the ReplicaFailure
 * condition, and upstream's "write only when something changed" rule.
 */
import { labelSelectorFromObject } from "../../lib/selectors";
import { isPodReady, msUntilAvailable } from "./pods";

type Obj = Record<string, any>;

export const REPLICA_FAILURE = "ReplicaFailure";

export interface ReplicaSetStatusResult {
  status: Obj;
  /** Milliseconds until a ready pod becomes available, when one will. */
  nextAvailableInMs?: number;
}

/** Sets a condition unless one of that type already has the same status and reason. */
function setCondition(status: Obj, cond: Obj): void {
  const conds: Obj[] = status.conditions ?? [];
  const cur = conds.find((c) => c.type === cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  status.conditions = [...conds.filter((c) => c.type !== cond.type), cond];
}

function removeCondition(status: Obj, type: string): void {
  const conds: Obj[] = (status.conditions ?? []).filter((c: Obj) => c.type !== type);
  if (conds.length) status.conditions = conds;
  else delete status.conditions;
}

/** Drops the zero counts Go's omitempty leaves out (`replicas` is always written). */
function compact(status: Obj): Obj {
  const out: Obj = { replicas: status.replicas ?? 0 };
  for (const k of ["fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration"]) if (status[k]) out[k] = status[k];
  if (status.conditions?.length) out.conditions = status.conditions;
  for (const [k, v] of Object.entries(status)) if (!(k in out) && !["replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration", "conditions"].includes(k)) out[k] = v;
  return out;
}

/**
 * The status a ReplicaSet should have given the active pods it controls (counted before this
 * pass's creations and deletions, as upstream does) and the error managing them, if any.
 */
export function calculateReplicaSetStatus(rs: Obj, pods: readonly Obj[], manageError: Error | undefined, now: number, timestamp: string): ReplicaSetStatusResult {
  const status: Obj = structuredClone(rs.status ?? {});
  const templateLabels = labelSelectorFromObject({ matchLabels: rs.spec?.template?.metadata?.labels ?? {} });
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  let next: number | undefined;
  for (const pod of pods) {
    if (templateLabels.matches(pod.metadata?.labels)) fullyLabeled++;
    if (!isPodReady(pod)) continue;
    ready++;
    const wait = msUntilAvailable(pod, minReady, now);
    if (wait === 0) available++;
    else if (wait !== undefined) next = next === undefined ? wait : Math.min(next, wait);
  }
  const failure = (status.conditions ?? []).find((c: Obj) => c.type === REPLICA_FAILURE);
  if (manageError && !failure) {
    const diff = pods.length - replicasOf(rs);
    const reason = diff < 0 ? "FailedCreate" : diff > 0 ? "FailedDelete" : "";
    setCondition(status, { type: REPLICA_FAILURE, status: "True", lastTransitionTime: timestamp, reason, message: manageError.message });
  } else if (!manageError && failure) {
    removeCondition(status, REPLICA_FAILURE);
  }
  status.replicas = pods.length;
  status.fullyLabeledReplicas = fullyLabeled;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  return { status: compact(status), nextAvailableInMs: next };
}

export function replicasOf(rs: Obj): number {
  return typeof rs.spec?.replicas === "number" ? rs.spec.replicas : 1;
}

function sameConditions(a: Obj[] | undefined, b: Obj[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

/** Upstream's steady-state test: counts, observed generation and conditions all unchanged. */
export function replicaSetStatusUnchanged(rs: Obj, next: Obj): boolean {
  const cur = rs.status ?? {};
  return (
    (cur.replicas ?? 0) === (next.replicas ?? 0) &&
    (cur.fullyLabeledReplicas ?? 0) === (next.fullyLabeledReplicas ?? 0) &&
    (cur.readyReplicas ?? 0) === (next.readyReplicas ?? 0) &&
    (cur.availableReplicas ?? 0) === (next.availableReplicas ?? 0) &&
    (rs.metadata?.generation ?? 0) === (cur.observedGeneration ?? 0) &&
    sameConditions(cur.conditions, next.conditions)
  );
}
