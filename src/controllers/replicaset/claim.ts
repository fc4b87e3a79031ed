/**
 * Adoption and release by controller reference and selector (upstream's ControllerRefManager):
 * a controller claims the objects it owns that still match, adopts matching orphans and lets go
 * of owned objects that stopped matching.
 */
import { StatusError } from "../../api/status";
import type { LabelSelector } from "../../lib/selectors";
import type { ResourceType } from "../../resources/registry";
import { controllerRefOf } from "../controller";
import type { ClusterView } from "../view";

type Obj = Record<string, any>;

export interface ClaimOptions {
  readonly view: ClusterView;
  /** The type of the objects being claimed (pods, replicasets). */
  readonly rt: ResourceType;
  /** The claiming controller object (a ReplicaSet or a Deployment). */
  readonly owner: Obj;
  readonly selector: LabelSelector;
  /** The controller reference written on adoption. */
  readonly controllerRef: Obj;
}

function isNotFound(e: unknown): boolean {
  return e instanceof StatusError && e.code === 404;
}

/** Adds (or replaces, by uid) the owner reference. */
export function withOwnerRef(obj: Obj, ref: Obj): Obj {
  const out = structuredClone(obj);
  const refs: Obj[] = (out.metadata.ownerReferences ?? []).filter((r: Obj) => r.uid !== ref.uid);
  out.metadata.ownerReferences = [...refs, structuredClone(ref)];
  return out;
}

/** Removes every owner reference with the given uid. */
export function withoutOwnerRef(obj: Obj, uid: string): Obj {
  const out = structuredClone(obj);
  const refs: Obj[] = (out.metadata.ownerReferences ?? []).filter((r: Obj) => r.uid !== uid);
  if (refs.length) out.metadata.ownerReferences = refs;
  else delete out.metadata.ownerReferences;
  return out;
}

/**
 * Returns the objects the owner controls after adopting and releasing. Adoption and release
 * failures other than NotFound are collected; the first is thrown after every object was
 * looked at, so one bad object does not stall the others.
 */
export function claimObjects(opts: ClaimOptions, candidates: readonly Obj[]): Obj[] {
  const { view, rt, owner, selector, controllerRef } = opts;
  const ownerUid = owner.metadata.uid;
  const ownerDeleting = !!owner.metadata.deletionTimestamp;
  const claimed: Obj[] = [];
  let firstError: unknown;
  for (const obj of candidates) {
    const matches = selector.matches(obj.metadata?.labels);
    const ref = controllerRefOf(obj);
    try {
      if (ref) {
        if (ref.uid !== ownerUid) continue; // controlled by someone else
        if (matches) {
          claimed.push(obj);
          continue;
        }
        if (ownerDeleting) continue;
        view.update(rt, withoutOwnerRef(obj, ownerUid));
        continue;
      }
      if (ownerDeleting || !matches || obj.metadata?.deletionTimestamp) continue;
      if (owner.metadata.namespace && owner.metadata.namespace !== obj.metadata?.namespace) continue;
      claimed.push(view.update(rt, withOwnerRef(obj, controllerRef)));
    } catch (e) {
      if (isNotFound(e)) continue;
      firstError ??= e;
    }
  }
  if (firstError !== undefined) throw firstError;
  return claimed;
}
