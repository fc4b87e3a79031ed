/**
 * The RollingUpdate strategy (upstream rolling.go): grow the new ReplicaSet within maxSurge,
 * else shrink old ones within maxUnavailable (unhealthy pods first), else clean up. One kind of
 * change per pass; the ReplicaSets' status changes bring the next pass.
 */
import type { ReconcileResult } from "../runtime";
import { deploymentComplete } from "./progress";
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, refresh, rolloutStatus, scaleReplicaSetAndRecordEvent } from "./sync";
import type { SyncContext } from "./sync-context";
import { availableReplicas, byCreation, filterActive, maxUnavailable, newRSNewReplicas, replicasOf, specReplicas } from "./util";

type Obj = Record<string, any>;

export function rolloutRolling(ctx: SyncContext): ReconcileResult | void {
  const first = getAllReplicaSetsAndSyncRevision(ctx, true);
  const newRS = first.newRS!;
  const allRSs = [...first.oldRSs, newRS];
  if (reconcileNewReplicaSet(ctx, allRSs, newRS)) return statusNow(ctx, first.newRS, first.oldRSs);
  if (reconcileOldReplicaSets(ctx, allRSs, filterActive(first.oldRSs), newRS)) return statusNow(ctx, first.newRS, first.oldRSs);
  if (deploymentComplete(ctx.d, ctx.d.status ?? {})) cleanupDeployment(ctx, first.oldRSs);
  return statusNow(ctx, first.newRS, first.oldRSs);
}

function statusNow(ctx: SyncContext, newRS: Obj | undefined, oldRSs: readonly Obj[]): ReconcileResult | void {
  const latest = refresh(ctx, newRS, oldRSs);
  return rolloutStatus(ctx, [...latest.oldRSs, latest.newRS], latest.newRS);
}

/**
 * Scales the new ReplicaSet toward spec.replicas as far as maxSurge allows (down at once if it
 * is above). True when it changed size.
 */
export function reconcileNewReplicaSet(ctx: SyncContext, allRSs: readonly Obj[], newRS: Obj): boolean {
  const want = replicasOf(ctx.d);
  const cur = newRS.spec?.replicas ?? 0;
  if (cur === want) return false;
  if (cur > want) return scaleReplicaSetAndRecordEvent(ctx, newRS, want).scaled;
  return scaleReplicaSetAndRecordEvent(ctx, newRS, newRSNewReplicas(ctx.d, allRSs, newRS)).scaled;
}

/**
 * Scales old ReplicaSets down as far as availability allows. The budget is every pod asked for,
 * less the minimum available, less the new ReplicaSet's pods that are not available yet (they
 * might never be).
 * @example // replicas 4, maxUnavailable 1 (min 3 available), old RS 4 (all available), new RS 1 (0 available):
 * //   5 - 3 - 1 = 1 → scale old 4 → 3
 */
export function reconcileOldReplicaSets(ctx: SyncContext, allRSs: readonly Obj[], oldRSs: Obj[], newRS: Obj): boolean {
  const oldPods = specReplicas(oldRSs);
  if (oldPods === 0) return false;
  const allPods = specReplicas(allRSs);
  const minAvailable = replicasOf(ctx.d) - maxUnavailable(ctx.d);
  const newUnavailable = (newRS.spec?.replicas ?? 0) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const cleaned = cleanupUnhealthyReplicas(ctx, oldRSs, maxScaledDown);
  const scaledDown = scaleDownOldReplicaSetsForRollingUpdate(ctx, [...cleaned.oldRSs, newRS], cleaned.oldRSs);
  return cleaned.count + scaledDown > 0;
}

/**
 * Removes old ReplicaSets' unavailable pods first (oldest ReplicaSet first), up to
 * `maxCleanup`: they serve nobody and would otherwise hold the rollout back.
 */
export function cleanupUnhealthyReplicas(ctx: SyncContext, oldRSs: readonly Obj[], maxCleanup: number): { oldRSs: Obj[]; count: number } {
  const sorted = [...oldRSs].sort(byCreation);
  let total = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (total >= maxCleanup) break;
    const rs = sorted[i];
    const replicas = rs.spec?.replicas ?? 0;
    const available = rs.status?.availableReplicas ?? 0;
    if (replicas === 0 || replicas === available) continue;
    const n = Math.min(maxCleanup - total, replicas - available);
    const next = replicas - n;
    if (next > replicas) throw new Error(`when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata.namespace}/${rs.metadata.name} ${replicas} -> ${next}`);
    sorted[i] = scaleReplicaSetAndRecordEvent(ctx, rs, next).rs;
    total += n;
  }
  return { oldRSs: sorted, count: total };
}

/**
 * Scales old ReplicaSets down (oldest first) by as many pods as are available beyond the
 * minimum.
 * @example // replicas 4, maxUnavailable 1: 5 available (old 3 + new 2) - 3 = 2 → old 3 → 1
 */
export function scaleDownOldReplicaSetsForRollingUpdate(ctx: SyncContext, allRSs: readonly Obj[], oldRSs: readonly Obj[]): number {
  const minAvailable = replicasOf(ctx.d) - maxUnavailable(ctx.d);
  const available = availableReplicas(allRSs);
  if (available <= minAvailable) return 0;
  const budget = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= budget) break;
    const replicas = rs.spec?.replicas ?? 0;
    if (replicas === 0) continue;
    const n = Math.min(replicas, budget - total);
    scaleReplicaSetAndRecordEvent(ctx, rs, replicas - n);
    total += n;
  }
  return total;
}
