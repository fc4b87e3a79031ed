/**
 * Deployment conditions and progress (upstream progress.go): Available from the minimum
 * availability, Progressing from what changed since the last status and how long ago it last
 * did, ReplicaFailure copied from the ReplicaSets, and when to look again for a stuck rollout.
 */
import type { ReconcileResult } from "../runtime";
import { type SyncContext, writeDeploymentStatus } from "./sync-context";
import { replicasOf } from "./util";

type Obj = Record<string, any>;

export const AVAILABLE = "Available";
export const PROGRESSING = "Progressing";
export const REPLICA_FAILURE = "ReplicaFailure";

/** Reasons of the Progressing and Available conditions, as kubectl and users see them. */
export const Reason = {
  NewReplicaSetCreated: "NewReplicaSetCreated",
  FoundNewReplicaSet: "FoundNewReplicaSet",
  ReplicaSetUpdated: "ReplicaSetUpdated",
  NewReplicaSetAvailable: "NewReplicaSetAvailable",
  ProgressDeadlineExceeded: "ProgressDeadlineExceeded",
  ReplicaSetCreateError: "ReplicaSetCreateError",
  DeploymentPaused: "DeploymentPaused",
  DeploymentResumed: "DeploymentResumed",
  MinimumReplicasAvailable: "MinimumReplicasAvailable",
  MinimumReplicasUnavailable: "MinimumReplicasUnavailable",
} as const;

/** Upstream's "no deadline" sentinel (math.MaxInt32). */
const NO_DEADLINE = 2147483647;

export function newCondition(type: string, status: "True" | "False" | "Unknown", reason: string, message: string, timestamp: string): Obj {
  return { type, status, lastUpdateTime: timestamp, lastTransitionTime: timestamp, reason, message };
}

export function getCondition(status: Obj | undefined, type: string): Obj | undefined {
  return (status?.conditions ?? []).find((c: Obj) => c.type === type);
}

/**
 * Sets a condition. Same status and reason: nothing changes (not even lastUpdateTime). Same
 * status, other reason: lastTransitionTime is kept. The condition moves to the end.
 */
export function setCondition(status: Obj, cond: Obj): void {
  const cur = getCondition(status, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  const next = { ...cond };
  if (cur && cur.status === cond.status) next.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c: Obj) => c.type !== cond.type), next];
}

export function removeCondition(status: Obj, type: string): void {
  const conds = (status.conditions ?? []).filter((c: Obj) => c.type !== type);
  if (conds.length) status.conditions = conds;
  else delete status.conditions;
}

export function hasProgressDeadline(d: Obj): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return typeof s === "number" && s !== NO_DEADLINE;
}

/** Every desired pod is updated and available, and the latest spec was observed. */
export function deploymentComplete(d: Obj, status: Obj): boolean {
  const r = replicasOf(d);
  return (status.updatedReplicas ?? 0) === r && (status.replicas ?? 0) === r && (status.availableReplicas ?? 0) === r && (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** Progress since the stored status: more updated, fewer old, more ready or more available pods. */
export function deploymentProgressing(d: Obj, next: Obj): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

function ms(ts: string | undefined): number {
  const t = Date.parse(ts ?? "");
  return Number.isNaN(t) ? 0 : t;
}

/**
 * The Progressing condition has not moved for progressDeadlineSeconds. Upstream tests
 * "deadline before now"; with second-precision timestamps this counts the deadline itself as
 * passed, so a requeue at exactly lastUpdateTime + deadline sees the timeout.
 */
export function deploymentTimedOut(d: Obj, status: Obj, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(status, PROGRESSING);
  if (!cond) return false;
  if (cond.reason === Reason.NewReplicaSetAvailable) return false;
  if (cond.reason === Reason.ProgressDeadlineExceeded) return true;
  return ms(cond.lastUpdateTime) + d.spec.progressDeadlineSeconds * 1000 <= now;
}

/** Go's omitempty: zero counts are not written. */
export function compactDeploymentStatus(s: Obj): Obj {
  const out: Obj = {};
  for (const k of ["observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"]) if (s[k]) out[k] = s[k];
  if (s.conditions?.length) out.conditions = s.conditions;
  if (s.collisionCount !== undefined && s.collisionCount !== null) out.collisionCount = s.collisionCount;
  return out;
}

/**
 * When to look at a rollout again that showed no progress: lastUpdateTime + deadline - now.
 * A finished rollout (NewReplicaSetAvailable) cannot time out, so it is not looked at again
 * just for that (upstream re-checks it rate-limited; its ReplicaSets' changes wake it anyway).
 * @example // Progressing last updated 00:00:00, now 00:03:00, deadline 600 s → 7 min
 */
export function requeueStuckDeployment(d: Obj, next: Obj, now: number): number | undefined {
  const cur = getCondition(d.status, PROGRESSING);
  if (!hasProgressDeadline(d) || !cur) return undefined;
  if (deploymentComplete(d, next) || cur.reason === Reason.ProgressDeadlineExceeded) return undefined;
  if (cur.reason === Reason.NewReplicaSetAvailable) return undefined;
  return Math.max(0, ms(cur.lastUpdateTime) + d.spec.progressDeadlineSeconds * 1000 - now);
}

function toDeploymentCondition(c: Obj): Obj {
  return { type: c.type, status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
}

/** The ReplicaFailure conditions of the new ReplicaSet, else of the old ones. */
function replicaFailures(allRSs: readonly (Obj | undefined)[], newRS: Obj | undefined): Obj[] {
  const fromRS = (rs: Obj) => (rs.status?.conditions ?? []).filter((c: Obj) => c.type === REPLICA_FAILURE).map(toDeploymentCondition);
  if (newRS) {
    const conds = fromRS(newRS);
    if (conds.length) return conds;
  }
  const out: Obj[] = [];
  for (const rs of allRSs) if (rs && rs !== newRS) out.push(...fromRS(rs));
  return out;
}

/**
 * Writes the rollout's status with its Progressing verdict: complete, progressing (the
 * condition's lastUpdateTime moves), or timed out. Unchanged status writes nothing and asks to
 * be looked at again when the progress deadline would pass.
 */
export function syncRolloutStatus(ctx: SyncContext, allRSs: readonly (Obj | undefined)[], newRS: Obj | undefined, calculated: Obj): ReconcileResult | void {
  const d = ctx.d;
  const next = structuredClone(calculated);
  if (!hasProgressDeadline(d)) removeCondition(next, PROGRESSING);
  const cur = getCondition(d.status, PROGRESSING);
  const complete = (next.replicas ?? 0) === (next.updatedReplicas ?? 0) && cur?.reason === Reason.NewReplicaSetAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const ts = ctx.view.timestamp();
    if (deploymentComplete(d, next)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has successfully progressed.` : `Deployment "${d.metadata.name}" has successfully progressed.`;
      setCondition(next, newCondition(PROGRESSING, "True", Reason.NewReplicaSetAvailable, msg, ts));
    } else if (deploymentProgressing(d, next)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" is progressing.` : `Deployment "${d.metadata.name}" is progressing.`;
      const cond = newCondition(PROGRESSING, "True", Reason.ReplicaSetUpdated, msg, ts);
      // Progress moves lastUpdateTime even when the reason stays the same.
      if (cur) {
        if (cur.status === "True") cond.lastTransitionTime = cur.lastTransitionTime;
        removeCondition(next, PROGRESSING);
      }
      setCondition(next, cond);
    } else if (deploymentTimedOut(d, next, ctx.view.now())) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has timed out progressing.` : `Deployment "${d.metadata.name}" has timed out progressing.`;
      setCondition(next, newCondition(PROGRESSING, "False", Reason.ProgressDeadlineExceeded, msg, ts));
    }
  }
  const failures = replicaFailures(allRSs, newRS);
  if (failures.length) setCondition(next, failures[0]);
  else removeCondition(next, REPLICA_FAILURE);
  const status = compactDeploymentStatus(next);
  if (deepEqualStatus(d.status, status)) {
    const after = requeueStuckDeployment(d, status, ctx.view.now());
    return after === undefined ? undefined : { requeueAfterMs: after };
  }
  d.status = status;
  writeDeploymentStatus(ctx);
}

function deepEqualStatus(a: Obj | undefined, b: Obj): boolean {
  return JSON.stringify(sorted(compactDeploymentStatus(a ?? {}))) === JSON.stringify(sorted(b));
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Obj)[k])]));
  return v;
}
