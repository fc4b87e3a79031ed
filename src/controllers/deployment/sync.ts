/**
 * The steps every deployment sync shares (upstream sync.go): finding or creating the new
 * ReplicaSet and keeping revisions in step, scaling (proportionally when several ReplicaSets
 * have pods), cleaning up old ReplicaSets past revisionHistoryLimit, and the status the
 * ReplicaSets add up to.
 */
import { StatusError } from "../../api/status";
import { controllerRefTo } from "../replicaset/pods";
import type { ReconcileResult } from "../runtime";
import { computeHash } from "./hash";
import { AVAILABLE, getCondition, hasProgressDeadline, newCondition, PROGRESSING, Reason, setCondition, syncRolloutStatus, compactDeploymentStatus } from "./progress";
import { REPLICASET, type SyncContext, writeDeploymentMeta, writeDeploymentStatus, writeReplicaSet } from "./sync-context";
import {
  actualReplicas,
  availableReplicas,
  byCreation,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  deepEqual,
  desiredReplicasAnnotation,
  equalIgnoreHash,
  filterActive,
  findActiveOrLatest,
  getProportion,
  isRollingUpdate,
  isSaturated,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  POD_TEMPLATE_HASH_LABEL,
  readyReplicas,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  REVISION_ANNOTATION,
  selectorWithLabel,
  setDeploymentRevision,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
} from "./util";

type Obj = Record<string, any>;

export interface ReplicaSets {
  /** The ReplicaSet whose template is the deployment's, if any. */
  newRS: Obj | undefined;
  /** Every other ReplicaSet the deployment controls. */
  oldRSs: Obj[];
}

/** The oldest ReplicaSet whose template equals the deployment's (ignoring the hash label). */
export function findNewReplicaSet(d: Obj, rsList: readonly Obj[]): Obj | undefined {
  return [...rsList].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

function isAlreadyExists(e: unknown): boolean {
  return e instanceof StatusError && e.code === 409 && e.reason === "AlreadyExists";
}

function isNamespaceTerminating(e: unknown): boolean {
  return e instanceof StatusError && (e.details?.causes ?? []).some((c) => c.reason === "NamespaceTerminating");
}

/**
 * Splits the deployment's ReplicaSets into new and old, bringing the new one's annotations and
 * the deployment's revision up to date; with `create`, makes the new ReplicaSet when missing.
 */
export function getAllReplicaSetsAndSyncRevision(ctx: SyncContext, create: boolean): ReplicaSets {
  const existing = findNewReplicaSet(ctx.d, ctx.rsList);
  const oldRSs = ctx.rsList.filter((rs) => rs.metadata.uid !== existing?.metadata.uid);
  const newRS = getNewReplicaSet(ctx, existing, oldRSs, create);
  return { newRS, oldRSs };
}

function getNewReplicaSet(ctx: SyncContext, existing: Obj | undefined, oldRSs: readonly Obj[], create: boolean): Obj | undefined {
  const d = ctx.d;
  const newRevision = maxRevision(oldRSs) + 1;
  if (existing) {
    const rs = structuredClone(existing);
    const annotationsUpdated = setNewReplicaSetAnnotations(d, rs, newRevision, true);
    const wantMinReady = d.spec?.minReadySeconds ?? 0;
    if (annotationsUpdated || (rs.spec?.minReadySeconds ?? 0) !== wantMinReady) {
      if (wantMinReady) rs.spec.minReadySeconds = wantMinReady;
      else delete rs.spec.minReadySeconds;
      return writeReplicaSet(ctx, rs);
    }
    const revisionChanged = setDeploymentRevision(d, rs.metadata.annotations?.[REVISION_ANNOTATION] ?? "");
    let statusChanged = false;
    if (hasProgressDeadline(d) && !getCondition(d.status, PROGRESSING)) {
      d.status = { ...(d.status ?? {}) };
      setCondition(d.status, newCondition(PROGRESSING, "True", Reason.FoundNewReplicaSet, `Found new replica set "${rs.metadata.name}"`, ctx.view.timestamp()));
      statusChanged = true;
    }
    if (revisionChanged) writeDeploymentMeta(ctx);
    if (statusChanged) writeDeploymentStatus(ctx);
    return rs;
  }
  if (!create) return undefined;

  // The new ReplicaSet: the template plus its hash, in labels, selector and name.
  const hash = computeHash(d.spec.template, d.status?.collisionCount);
  const template = structuredClone(d.spec.template);
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
  const name = `${d.metadata.name}-${hash}`;
  const rs: Obj = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name,
      namespace: d.metadata.namespace,
      labels: { ...template.metadata.labels },
      ownerReferences: [controllerRefTo(d, "apps/v1", "Deployment")],
    },
    spec: { replicas: 0, selector: selectorWithLabel(d.spec.selector, POD_TEMPLATE_HASH_LABEL, hash), template },
  };
  if (d.spec.minReadySeconds) rs.spec.minReadySeconds = d.spec.minReadySeconds;
  const replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
  rs.spec.replicas = replicas;
  setNewReplicaSetAnnotations(d, rs, newRevision, false);

  let created: Obj;
  let alreadyExisted = false;
  try {
    created = ctx.view.create(REPLICASET, rs);
    ctx.rsList = [...ctx.rsList, created];
  } catch (e) {
    if (isAlreadyExists(e)) {
      const found = ctx.view.get(REPLICASET, d.metadata.namespace, name);
      const ref = (found?.metadata.ownerReferences ?? []).find((r: Obj) => r.controller === true);
      if (found && ref?.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, found.spec?.template)) {
        // Ours already, from a pass whose later writes failed.
        created = found;
        alreadyExisted = true;
      } else {
        // A hash collision: a different template owns the name. Next pass hashes with a new count.
        d.status = { ...(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 };
        writeDeploymentStatus(ctx);
        throw e;
      }
    } else if (isNamespaceTerminating(e)) {
      throw e;
    } else {
      const msg = `Failed to create new replica set "${name}": ${e instanceof Error ? e.message : String(e)}`;
      if (hasProgressDeadline(d)) {
        d.status = { ...(d.status ?? {}) };
        setCondition(d.status, newCondition(PROGRESSING, "False", Reason.ReplicaSetCreateError, msg, ctx.view.timestamp()));
        try {
          writeDeploymentStatus(ctx);
        } catch {
          // The create error is the one to report.
        }
      }
      ctx.recordEvent(d, "Warning", Reason.ReplicaSetCreateError, msg);
      throw e;
    }
  }
  if (!alreadyExisted && replicas > 0) ctx.recordEvent(d, "Normal", "ScalingReplicaSet", `Scaled up replica set ${name} from 0 to ${replicas}`);
  const revisionChanged = setDeploymentRevision(d, String(newRevision));
  let statusChanged = false;
  if (!alreadyExisted && hasProgressDeadline(d)) {
    d.status = { ...(d.status ?? {}) };
    setCondition(d.status, newCondition(PROGRESSING, "True", Reason.NewReplicaSetCreated, `Created new replica set "${name}"`, ctx.view.timestamp()));
    statusChanged = true;
  }
  if (revisionChanged) writeDeploymentMeta(ctx);
  if (statusChanged) writeDeploymentStatus(ctx);
  return created;
}

/**
 * Resizes one ReplicaSet (and refreshes its replica annotations), recording a
 * ScalingReplicaSet event when the size changed.
 */
export function scaleReplicaSet(ctx: SyncContext, rs: Obj, newScale: number, operation: "up" | "down" | ""): { scaled: boolean; rs: Obj } {
  const d = ctx.d;
  const oldScale = rs.spec?.replicas ?? 0;
  const sizeNeedsUpdate = oldScale !== newScale;
  const max = replicasOf(d) + maxSurge(d);
  if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, replicasOf(d), max)) return { scaled: false, rs };
  const copy = structuredClone(rs);
  copy.spec.replicas = newScale;
  setReplicasAnnotations(copy, replicasOf(d), max);
  const out = writeReplicaSet(ctx, copy);
  if (sizeNeedsUpdate) ctx.recordEvent(d, "Normal", "ScalingReplicaSet", `Scaled ${operation} replica set ${rs.metadata.name} from ${oldScale} to ${newScale}`);
  return { scaled: sizeNeedsUpdate, rs: out };
}

export function scaleReplicaSetAndRecordEvent(ctx: SyncContext, rs: Obj, newScale: number): { scaled: boolean; rs: Obj } {
  const cur = rs.spec?.replicas ?? 0;
  if (cur === newScale) return { scaled: false, rs };
  return scaleReplicaSet(ctx, rs, newScale, cur < newScale ? "up" : "down");
}

/**
 * Brings the ReplicaSets to the deployment's size. One active ReplicaSet is resized directly;
 * a saturated new one means the old ones go to 0; otherwise (mid-rollout) the difference to
 * replicas + surge is shared out in proportion to each ReplicaSet's size, the rounding
 * leftover going to the largest.
 * @example // replicas 10 → 20 mid-rollout, maxSurge 25%: old RS 8 + new RS 5 = 13 pods, both sized for
 * //   max 13 (10 + 3). Allowed now 20 + 5 = 25, so 12 to add, largest first:
 * //   old: round(8 * 25 / 13) - 8 = 15 - 8 = 7; new: round(5 * 25 / 13) - 5 = 10 - 5 = 5 → old 15, new 10
 */
export function scale(ctx: SyncContext, newRS: Obj | undefined, oldRSs: Obj[]): void {
  const d = ctx.d;
  const replicas = replicasOf(d);
  const single = findActiveOrLatest(newRS, oldRSs);
  if (single) {
    if ((single.spec?.replicas ?? 0) !== replicas) scaleReplicaSetAndRecordEvent(ctx, single, replicas);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of filterActive(oldRSs)) scaleReplicaSetAndRecordEvent(ctx, old, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  let all = filterActive([...oldRSs, newRS]);
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(all);
  let operation: "up" | "down" | "" = "";
  if (toAdd > 0) {
    all = [...all].sort(bySizeNewer);
    operation = "up";
  } else if (toAdd < 0) {
    all = [...all].sort(bySizeOlder);
    operation = "down";
  }
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = getProportion(rs, d, toAdd, added);
      sizes.set(rs.metadata.name, (rs.spec?.replicas ?? 0) + p);
      added += p;
    } else sizes.set(rs.metadata.name, rs.spec?.replicas ?? 0);
  }
  all.forEach((rs, i) => {
    if (i === 0 && toAdd !== 0) sizes.set(rs.metadata.name, Math.max(0, sizes.get(rs.metadata.name)! + toAdd - added));
    scaleReplicaSet(ctx, rs, sizes.get(rs.metadata.name)!, operation);
  });
}

/** Deletes the oldest unused ReplicaSets beyond spec.revisionHistoryLimit. */
export function cleanupDeployment(ctx: SyncContext, oldRSs: readonly Obj[]): void {
  const limit = ctx.d.spec?.revisionHistoryLimit;
  if (typeof limit !== "number") return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return;
  cleanable.sort(byRevision);
  for (const rs of cleanable.slice(0, diff)) {
    // Only ReplicaSets with no pods, whose latest spec their controller has seen.
    if ((rs.status?.replicas ?? 0) !== 0 || (rs.spec?.replicas ?? 0) !== 0) continue;
    if ((rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0) || rs.metadata.deletionTimestamp) continue;
    try {
      ctx.view.delete(REPLICASET, rs.metadata.namespace, rs.metadata.name);
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 404)) throw e;
    }
  }
}

/**
 * The status the ReplicaSets add up to: pods asked for, present, updated (in the new
 * ReplicaSet), ready and available; the stored conditions carried over, and Available set from
 * the minimum availability (spec.replicas - maxUnavailable).
 * @example // replicas 4, maxUnavailable 1: 3 available → Available True (MinimumReplicasAvailable)
 */
export function calculateStatus(ctx: SyncContext, allRSs: readonly (Obj | undefined)[], newRS: Obj | undefined): Obj {
  const d = ctx.d;
  const available = availableReplicas(allRSs);
  const status: Obj = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: actualReplicas(allRSs),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specReplicas(allRSs) - available),
    conditions: structuredClone(d.status?.conditions ?? []),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  const ts = ctx.view.timestamp();
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition(AVAILABLE, "True", Reason.MinimumReplicasAvailable, "Deployment has minimum availability.", ts));
  } else {
    setCondition(status, newCondition(AVAILABLE, "False", Reason.MinimumReplicasUnavailable, "Deployment does not have minimum availability.", ts));
  }
  return compactDeploymentStatus(status);
}

/** Writes the calculated status when it differs (no Progressing bookkeeping). */
export function syncDeploymentStatus(ctx: SyncContext, allRSs: readonly (Obj | undefined)[], newRS: Obj | undefined): void {
  const status = calculateStatus(ctx, allRSs, newRS);
  if (deepEqual(compactDeploymentStatus(ctx.d.status ?? {}), status)) return;
  ctx.d.status = status;
  writeDeploymentStatus(ctx);
}

/** The rollout status with its Progressing verdict (see progress.ts). */
export function rolloutStatus(ctx: SyncContext, allRSs: readonly (Obj | undefined)[], newRS: Obj | undefined): ReconcileResult | void {
  return syncRolloutStatus(ctx, allRSs, newRS, calculateStatus(ctx, allRSs, newRS));
}

/** A resize rather than a template change: some active ReplicaSet was sized for another replica count. */
export function isScalingEvent(ctx: SyncContext): boolean {
  const { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(ctx, false);
  for (const rs of filterActive([...oldRSs, newRS])) {
    const desired = desiredReplicasAnnotation(rs);
    if (desired === undefined) continue;
    if (desired !== replicasOf(ctx.d)) return true;
  }
  return false;
}

/**
 * Marks pausing and resuming in the Progressing condition (Unknown), so time spent paused
 * does not count against the progress deadline. A timed-out rollout keeps its verdict.
 */
export function checkPausedConditions(ctx: SyncContext): void {
  const d = ctx.d;
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, PROGRESSING);
  if (cond?.reason === Reason.ProgressDeadlineExceeded) return;
  const pausedCond = cond?.reason === Reason.DeploymentPaused;
  const ts = ctx.view.timestamp();
  let next: Obj | undefined;
  if (d.spec?.paused && !pausedCond) next = newCondition(PROGRESSING, "Unknown", Reason.DeploymentPaused, "Deployment is paused", ts);
  else if (!d.spec?.paused && pausedCond) next = newCondition(PROGRESSING, "Unknown", Reason.DeploymentResumed, "Deployment is resumed", ts);
  if (!next) return;
  d.status = { ...(d.status ?? {}) };
  setCondition(d.status, next);
  writeDeploymentStatus(ctx);
}

/** Scaling only (paused deployments and resizes): no new ReplicaSet, no Progressing changes. */
export function sync(ctx: SyncContext): void {
  const { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(ctx, false);
  scale(ctx, newRS, oldRSs);
  const latest = refresh(ctx, newRS, oldRSs);
  if (ctx.d.spec?.paused) cleanupDeployment(ctx, latest.oldRSs);
  syncDeploymentStatus(ctx, [...latest.oldRSs, latest.newRS], latest.newRS);
}

/** Status only, for a deployment being deleted. */
export function syncStatusOnly(ctx: SyncContext): void {
  const { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(ctx, false);
  syncDeploymentStatus(ctx, [...oldRSs, newRS], newRS);
}

/** The same ReplicaSets as last written during this pass. */
export function refresh(ctx: SyncContext, newRS: Obj | undefined, oldRSs: readonly Obj[]): ReplicaSets {
  const byUid = new Map(ctx.rsList.map((r) => [r.metadata.uid, r]));
  return { newRS: newRS ? (byUid.get(newRS.metadata.uid) ?? newRS) : undefined, oldRSs: oldRSs.map((r) => byUid.get(r.metadata.uid) ?? r) };
}
