import { StatusError } from "../../api/status";
import type { ResourceType } from "../../resources/registry";
import type { ReconcileResult } from "../runtime";
import type { ClusterView } from "../view";
import { classifyReferences, decideAction, FOREGROUND_FINALIZER, ORPHAN_FINALIZER, type GcAction } from "./classify";
import { OwnerGraph, ownerResolver, type Item } from "./graph";
import { ownerRefsOf } from "./keys";

type Obj = Record<string, any>;

export interface SyncOptions {
  /** Writes one reconcile may make before it requeues itself to continue. */
  readonly batchSize: number;
  /**
   * How long a foreground deletion waits before looking again while dependents it blocks on
   * are still terminating. Their removal enqueues the owner sooner; this is the safety net.
   */
  readonly foregroundRecheckMs: number;
}

/** Counts the writes of one reconcile against the batch size. */
class Budget {
  writes = 0;
  truncated = false;
  constructor(private readonly size: number) {}

  /** Takes one write from the budget; false (and remembers it) when it is spent. */
  take(): boolean {
    if (this.writes >= this.size) {
      this.truncated = true;
      return false;
    }
    this.writes++;
    return true;
  }
}

/**
 * Background propagation for a namespace: every object whose owners are gone (or are deleting in
 * the foreground) is deleted or loses those references. Runs again at once after any write,
 * because deleting one level (ReplicaSets) leaves the next (their pods) dangling.
 */
export function sweepNamespace(view: ClusterView, namespace: string, opts: SyncOptions): ReconcileResult | void {
  const graph = OwnerGraph.scan(view, namespace);
  const budget = new Budget(opts.batchSize);
  collect(view, graph, graph.items, budget);
  if (budget.writes > 0) return { requeueAfterMs: 0 };
}

/** A cluster-scoped owner is gone: its dependents, wherever they are, are collected. */
export function collectDependentsOf(view: ClusterView, uid: string, opts: SyncOptions): ReconcileResult | void {
  const graph = OwnerGraph.scan(view, undefined);
  const budget = new Budget(opts.batchSize);
  collect(view, graph, graph.dependentsOf(uid), budget);
  if (budget.truncated) return { requeueAfterMs: 0 };
}

/**
 * A live object that is not being deleted: drop references to owners that are gone, or delete it
 * when none is left. Costs one read per owner; the namespace is only scanned when an owner
 * deletes in the foreground and the object's own dependents decide the policy.
 */
export function checkOwners(view: ClusterView, rt: ResourceType, obj: Obj): void {
  if (ownerRefsOf(obj).length === 0) return;
  const item: Item = { rt, obj };
  const refs = classifyReferences(item, ownerResolver(view));
  const action = decideAction(obj, refs, () => scanAround(view, rt, obj).hasDependents(obj.metadata.uid));
  apply(view, item, action);
}

/**
 * Orphan propagation: the owner's uid is removed from every dependent's ownerReferences, then the
 * `orphan` finalizer from the owner (which lets the store finish deleting it).
 */
export function orphanDependents(view: ClusterView, rt: ResourceType, owner: Obj, opts: SyncOptions): ReconcileResult | void {
  const uid: string = owner.metadata.uid;
  const budget = new Budget(opts.batchSize);
  for (const dep of scanAround(view, rt, owner).dependentsOf(uid)) {
    // A terminating object without finalizers would be removed by any update; it is going anyway.
    if (dep.obj.metadata.deletionTimestamp && !(dep.obj.metadata.finalizers ?? []).length) continue;
    if (!budget.take()) break;
    apply(view, dep, { type: "removeRefs", uids: [uid] });
  }
  if (budget.truncated) return { requeueAfterMs: 0 };
  return removeFinalizer(view, rt, owner, ORPHAN_FINALIZER);
}

/**
 * Foreground propagation: dependents are deleted first; the `foregroundDeletion` finalizer comes
 * off once no dependent with blockOwnerDeletion: true is left (terminating ones still block).
 */
export function deleteInForeground(view: ClusterView, rt: ResourceType, owner: Obj, opts: SyncOptions): ReconcileResult | void {
  const uid: string = owner.metadata.uid;
  const graph = scanAround(view, rt, owner);
  const deps = graph.dependentsOf(uid);
  const blocking = deps.filter((d) => ownerRefsOf(d.obj).some((r) => r.uid === uid && r.blockOwnerDeletion === true));
  const budget = new Budget(opts.batchSize);
  collect(view, graph, deps, budget);
  if (budget.writes > 0) return { requeueAfterMs: 0 };
  if (blocking.length > 0) return { requeueAfterMs: opts.foregroundRecheckMs };
  return removeFinalizer(view, rt, owner, FOREGROUND_FINALIZER);
}

/** Classifies each candidate against the graph and applies what is due, within the budget. */
function collect(view: ClusterView, graph: OwnerGraph, candidates: readonly Item[], budget: Budget): void {
  const resolve = ownerResolver(view, graph);
  for (const item of candidates) {
    // Objects already being deleted are left to their own finalizers (upstream skips them too).
    if (item.obj.metadata.deletionTimestamp || ownerRefsOf(item.obj).length === 0) continue;
    const action = decideAction(item.obj, classifyReferences(item, resolve), () => graph.hasDependents(item.obj.metadata.uid));
    if (action.type === "none") continue;
    if (!budget.take()) return;
    apply(view, item, action);
  }
}

/** The graph an object's dependents are in: its namespace, or the whole cluster for cluster-scoped objects. */
function scanAround(view: ClusterView, rt: ResourceType, obj: Obj): OwnerGraph {
  return OwnerGraph.scan(view, rt.namespaced ? obj.metadata.namespace : undefined);
}

/** Makes one write for one object; an object already gone needs nothing more. */
function apply(view: ClusterView, item: Item, action: GcAction): void {
  const m = item.obj.metadata;
  try {
    if (action.type === "removeRefs") {
      const obj = structuredClone(item.obj);
      const refs = ownerRefsOf(obj).filter((r) => !action.uids.includes(r.uid));
      if (refs.length) obj.metadata.ownerReferences = refs;
      else delete obj.metadata.ownerReferences;
      view.update(item.rt, obj);
    } else if (action.type === "delete") {
      view.delete(item.rt, m.namespace ?? "", m.name, {
        propagationPolicy: action.policy,
        preconditions: { uid: m.uid, resourceVersion: m.resourceVersion },
      });
    }
  } catch (e) {
    if (!(e instanceof StatusError && e.code === 404)) throw e;
  }
}

function removeFinalizer(view: ClusterView, rt: ResourceType, owner: Obj, finalizer: string): ReconcileResult | void {
  const obj = structuredClone(owner);
  const rest = (obj.metadata.finalizers ?? []).filter((f: string) => f !== finalizer);
  if (rest.length) obj.metadata.finalizers = rest;
  else delete obj.metadata.finalizers;
  try {
    view.update(rt, obj);
  } catch (e) {
    if (!(e instanceof StatusError && e.code === 404)) throw e;
    return;
  }
  // The update re-enqueues this key while it is being handled, which the queue does not keep;
  // look again if another propagation finalizer is still to be processed.
  if (rest.includes(ORPHAN_FINALIZER) || rest.includes(FOREGROUND_FINALIZER)) return { requeueAfterMs: 0 };
}
