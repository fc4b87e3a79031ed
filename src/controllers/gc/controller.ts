import { findKind, storageTypeOf } from "../../resources/registry";
import type { Change, Controller } from "../controller";
import type { ClusterView } from "../view";
import { FOREGROUND_FINALIZER, hasFinalizer, ORPHAN_FINALIZER } from "./classify";
import { isCollectable } from "./graph";
import { identityKey, identityOf, ownerIdentity, ownerRefsOf, parseGcKey, sweepKey } from "./keys";
import { checkOwners, collectDependentsOf, deleteInForeground, orphanDependents, sweepNamespace, type SyncOptions } from "./sync";

type Obj = Record<string, any>;

export const GARBAGE_COLLECTOR = "garbagecollector";

export interface GarbageCollectorOptions {
  /** Writes per reconcile before it requeues itself to continue (default 100). */
  batchSize?: number;
  /** Safety-net recheck of a foreground deletion waiting on terminating dependents (default 60 s). */
  foregroundRecheckMs?: number;
}

/**
 * Owner-reference garbage collection, after upstream's pkg/controller/garbagecollector:
 * Background, Foreground and Orphan propagation of deletes.
 *
 * Keys (see keys.ts):
 * - "uid|apiVersion|Kind|namespace|name" looks at one object. Still there with that uid: as a
 *   dependent, its owners are checked; as an owner in deletion, its `orphan` or
 *   `foregroundDeletion` finalizer is processed. Gone: its dependents are collected.
 * - "sweep|namespace" collects every object of a namespace whose owners are gone; deletions of
 *   namespaced objects map to it so that they collapse in the queue.
 *
 * @example
 * const gc = garbageCollector(view);
 * runtime.register(gc);
 * // on each committed change: for (const k of gc.keysFor(change)) runtime.enqueue(gc.name, k);
 */
export function garbageCollector(view: ClusterView, opts: GarbageCollectorOptions = {}): Controller {
  const sync: SyncOptions = { batchSize: opts.batchSize ?? 100, foregroundRecheckMs: opts.foregroundRecheckMs ?? 60_000 };
  return {
    name: GARBAGE_COLLECTOR,
    keysFor: gcKeysFor,
    reconcile(key) {
      const k = parseGcKey(key);
      if (!k) return;
      if (k.type === "sweep") return sweepNamespace(view, k.namespace, sync);
      const kindType = findKind(k.id.apiVersion, k.id.kind);
      if (!kindType) return;
      const rt = storageTypeOf(kindType);
      const cur = view.get(rt, k.id.namespace, k.id.name);
      if (!cur || cur.metadata?.uid !== k.id.uid) {
        return rt.namespaced ? sweepNamespace(view, k.id.namespace, sync) : collectDependentsOf(view, k.id.uid, sync);
      }
      if (cur.metadata.deletionTimestamp) {
        if (hasFinalizer(cur, ORPHAN_FINALIZER)) return orphanDependents(view, rt, cur, sync);
        if (hasFinalizer(cur, FOREGROUND_FINALIZER)) return deleteInForeground(view, rt, cur, sync);
        return;
      }
      checkOwners(view, rt, cur);
    },
  };
}

/**
 * What a change makes the collector look at (upstream's GraphBuilder, without the graph):
 * - a deletion: its namespace's sweep (or, for a cluster-scoped object, the object itself), and
 *   the owners it blocked, which may be waiting for it in the foreground;
 * - a create, or an update that changed ownerReferences: the object, to check its owners; owners
 *   whose blocking reference was dropped;
 * - an object marked for deletion with `orphan` or `foregroundDeletion`: the object, as an owner.
 */
export function gcKeysFor(change: Change): string[] {
  if (!isCollectable(change.rt)) return [];
  const obj = change.obj;
  const namespace: string = change.rt.namespaced ? (obj.metadata?.namespace ?? "") : "";
  const keys = new Set<string>();
  const self = () => keys.add(identityKey(identityOf(change.rt, obj)));
  const owners = (refs: Obj[]) => {
    for (const ref of refs) {
      const id = ownerIdentity(ref, namespace);
      if (id) keys.add(identityKey(id));
    }
  };
  const refs = ownerRefsOf(obj);
  if (change.deleted) {
    if (namespace) keys.add(sweepKey(namespace));
    else self();
    owners(refs.filter(blocks));
    return [...keys];
  }
  // Status writes and heartbeats leave ownerReferences alone and enqueue nothing.
  const oldRefs = change.created ? [] : ownerRefsOf(change.old);
  if (JSON.stringify(oldRefs) !== JSON.stringify(refs)) {
    if (refs.length) self();
    owners(oldRefs.filter((r) => blocks(r) && !refs.some((n) => n.uid === r.uid && blocks(n))));
  }
  if (obj.metadata?.deletionTimestamp && (hasFinalizer(obj, ORPHAN_FINALIZER) || hasFinalizer(obj, FOREGROUND_FINALIZER))) self();
  return [...keys];
}

function blocks(ref: Obj): boolean {
  return ref.blockOwnerDeletion === true;
}
