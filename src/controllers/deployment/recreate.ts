/**
 * The Recreate strategy (upstream recreate.go): scale every old ReplicaSet to 0, wait until none
 * of their pods is left running, then create or scale up the new one.
 */
import { controllerRefOf } from "../controller";
import type { ReconcileResult } from "../runtime";
import { deploymentComplete } from "./progress";
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, refresh, rolloutStatus, scaleReplicaSetAndRecordEvent } from "./sync";
import { POD, type SyncContext } from "./sync-context";
import { actualReplicas, filterActive, replicasOf } from "./util";

type Obj = Record<string, any>;

/** The deployment's pods (by its selector), grouped by the uid of the ReplicaSet controlling them. */
export function podMapFor(ctx: SyncContext): Map<string, Obj[]> {
  const map = new Map<string, Obj[]>(ctx.rsList.map((rs) => [rs.metadata.uid, []]));
  for (const pod of ctx.view.list(POD, ctx.d.metadata.namespace, ctx.d.spec?.selector)) {
    // Inactive pods count too: Recreate waits until old pods have really finished.
    const uid = controllerRefOf(pod)?.uid;
    if (uid && map.has(uid)) map.get(uid)!.push(pod);
  }
  return map;
}

/** Whether any old ReplicaSet still reports pods, or owns a pod that has not finished. */
export function oldPodsRunning(newRS: Obj | undefined, oldRSs: readonly Obj[], podMap: Map<string, Obj[]>): boolean {
  if (actualReplicas(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (newRS && newRS.metadata.uid === uid) continue;
    for (const pod of pods) {
      const phase = pod.status?.phase;
      if (phase !== "Failed" && phase !== "Succeeded") return true;
    }
  }
  return false;
}

export function rolloutRecreate(ctx: SyncContext, podMap: Map<string, Obj[]>): ReconcileResult | void {
  let { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(ctx, false);
  let scaledDown = false;
  for (const rs of filterActive(oldRSs)) if (scaleReplicaSetAndRecordEvent(ctx, rs, 0).scaled) scaledDown = true;
  ({ newRS, oldRSs } = refresh(ctx, newRS, oldRSs));
  if (scaledDown) return rolloutStatus(ctx, [...oldRSs, newRS], newRS);
  if (oldPodsRunning(newRS, oldRSs, podMap)) return rolloutStatus(ctx, [...oldRSs, newRS], newRS);
  if (!newRS) ({ newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(ctx, true));
  scaleReplicaSetAndRecordEvent(ctx, newRS!, replicasOf(ctx.d));
  ({ newRS, oldRSs } = refresh(ctx, newRS, oldRSs));
  if (deploymentComplete(ctx.d, ctx.d.status ?? {})) cleanupDeployment(ctx, oldRSs);
  return rolloutStatus(ctx, [...oldRSs, newRS], newRS);
}
