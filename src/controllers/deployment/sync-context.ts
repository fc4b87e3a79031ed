/**
 * What one deployment sync works on: the view, the event sink, the deployment and its
 * ReplicaSets. Writes go through here so later steps of the same pass see what earlier steps
 * wrote (a stale resourceVersion would only cost a 409 and a retry).
 */
import { findResource } from "../../resources/registry";
import type { RecordEvent } from "../replicaset/controller";
import type { ClusterView } from "../view";

type Obj = Record<string, any>;

export const DEPLOYMENT = findResource("apps", "v1", "deployments")!;
export const REPLICASET = findResource("apps", "v1", "replicasets")!;
export const POD = findResource("", "v1", "pods")!;

export interface SyncContext {
  readonly view: ClusterView;
  readonly recordEvent: RecordEvent;
  /** The deployment being synced; its status holds what this pass decided so far. */
  d: Obj;
  /** The ReplicaSets it controls, as last written. */
  rsList: Obj[];
}

/** Updates a ReplicaSet's spec/metadata and keeps rsList current; returns the stored object. */
export function writeReplicaSet(ctx: SyncContext, rs: Obj): Obj {
  const out = ctx.view.update(REPLICASET, rs);
  ctx.rsList = ctx.rsList.map((r) => (r.metadata.uid === out.metadata.uid ? out : r));
  return out;
}

/** Writes the deployment's status as it stands in ctx.d. */
export function writeDeploymentStatus(ctx: SyncContext): void {
  const out = ctx.view.updateStatus(DEPLOYMENT, ctx.d);
  ctx.d.metadata.resourceVersion = out.metadata.resourceVersion;
}

/** Writes the deployment's metadata (its revision annotation); the stored status is unaffected. */
export function writeDeploymentMeta(ctx: SyncContext): void {
  const out = ctx.view.update(DEPLOYMENT, ctx.d);
  ctx.d.metadata.resourceVersion = out.metadata.resourceVersion;
}
