import { findKind } from "../../resources/registry";
import type { Item, OwnerResolver } from "./graph";
import { ownerRefsOf } from "./keys";

type Obj = Record<string, any>;

export const ORPHAN_FINALIZER = "orphan";
export const FOREGROUND_FINALIZER = "foregroundDeletion";

/**
 * A dependent's owner references, sorted as upstream's classifyReferences does:
 * - solid: the owner exists with the referenced uid and is not deleting in the foreground;
 * - dangling: no object of that name, or one with another uid (a recreated owner is a new owner);
 * - waiting: the owner is deleting in the foreground and waits for its dependents.
 * References that cannot be resolved (a kind this server does not serve, a cluster-scoped
 * dependent naming a namespaced kind) count as solid, so they never cause a deletion.
 */
export interface ClassifiedRefs {
  readonly solid: Obj[];
  readonly dangling: Obj[];
  readonly waiting: Obj[];
}

/** One kind of change for one dependent. */
export type GcAction =
  | { readonly type: "none" }
  | { readonly type: "removeRefs"; readonly uids: readonly string[] }
  | { readonly type: "delete"; readonly policy: "Background" | "Foreground" | "Orphan" };

export function hasFinalizer(obj: Obj, finalizer: string): boolean {
  const f = obj.metadata?.finalizers;
  return Array.isArray(f) && f.includes(finalizer);
}

export function classifyReferences(dep: Item, resolve: OwnerResolver): ClassifiedRefs {
  const out: ClassifiedRefs = { solid: [], dangling: [], waiting: [] };
  const depNamespace: string = dep.obj.metadata?.namespace ?? "";
  for (const ref of ownerRefsOf(dep.obj)) {
    const rt = findKind(ref.apiVersion ?? "", ref.kind ?? "");
    if (!rt || !ref.uid || !ref.name || (rt.namespaced && !dep.rt.namespaced)) {
      out.solid.push(ref);
      continue;
    }
    const owner = resolve(rt, rt.namespaced ? depNamespace : "", ref.name);
    if (!owner || owner.metadata?.uid !== ref.uid) out.dangling.push(ref);
    else if (owner.metadata?.deletionTimestamp && hasFinalizer(owner, FOREGROUND_FINALIZER)) out.waiting.push(ref);
    else out.solid.push(ref);
  }
  return out;
}

/**
 * What to do with a dependent, given its classified references (upstream's attemptToDeleteItem):
 * - a solid owner keeps it; references to gone or foreground-deleting owners are dropped;
 * - otherwise it is garbage. If an owner waits for it and it has dependents itself, it goes in
 *   the foreground too, so the owner also waits for the grandchildren; else its own finalizers
 *   choose the policy, Background by default.
 *
 * @example
 * // a pod whose ReplicaSet was deleted (and whose other owner, a live Job, remains):
 * decideAction(pod, { solid: [jobRef], dangling: [rsRef], waiting: [] }, () => false)
 * // { type: "removeRefs", uids: [rsRef.uid] }
 */
export function decideAction(dep: Obj, refs: ClassifiedRefs, hasDependents: () => boolean): GcAction {
  if (refs.dangling.length === 0 && refs.waiting.length === 0) return { type: "none" };
  if (refs.solid.length > 0) return { type: "removeRefs", uids: [...refs.dangling, ...refs.waiting].map((r) => r.uid as string) };
  if (refs.waiting.length > 0 && hasDependents()) return { type: "delete", policy: "Foreground" };
  if (hasFinalizer(dep, ORPHAN_FINALIZER)) return { type: "delete", policy: "Orphan" };
  if (hasFinalizer(dep, FOREGROUND_FINALIZER)) return { type: "delete", policy: "Foreground" };
  return { type: "delete", policy: "Background" };
}
