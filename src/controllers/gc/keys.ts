import { apiVersionOf, findKind, type ResourceType } from "../../resources/registry";

type Obj = Record<string, any>;

/**
 * An object named so that it can still be recognised after it is gone: a recreated object with
 * the same name has another uid and is a different identity (upstream's objectReference).
 */
export interface ObjectIdentity {
  readonly uid: string;
  readonly apiVersion: string;
  readonly kind: string;
  /** "" for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
}

/** The garbage collector's two kinds of work item. */
export type GcKey = { readonly type: "object"; readonly id: ObjectIdentity } | { readonly type: "sweep"; readonly namespace: string };

const SWEEP = "sweep";

/**
 * "uid|apiVersion|Kind|namespace|name": look at one object, as an owner (its dependents) and as a
 * dependent (its owners). None of the parts can contain "|".
 *
 * @example identityKey({ uid: "1f0c…", apiVersion: "apps/v1", kind: "ReplicaSet", namespace: "default", name: "web-5d4f" })
 * // "1f0c…|apps/v1|ReplicaSet|default|web-5d4f"
 */
export function identityKey(id: ObjectIdentity): string {
  return [id.uid, id.apiVersion, id.kind, id.namespace, id.name].join("|");
}

/**
 * "sweep|namespace": find every object of a namespace whose owners are gone. Deletions in a
 * namespace all map to this one key, so a thousand pod deletions collapse into one queued sweep.
 */
export function sweepKey(namespace: string): string {
  return `${SWEEP}|${namespace}`;
}

export function parseGcKey(key: string): GcKey | undefined {
  const parts = key.split("|");
  if (parts.length === 2 && parts[0] === SWEEP) return { type: "sweep", namespace: parts[1] };
  if (parts.length !== 5) return undefined;
  const [uid, apiVersion, kind, namespace, name] = parts;
  return { type: "object", id: { uid, apiVersion, kind, namespace, name } };
}

export function identityOf(rt: ResourceType, obj: Obj): ObjectIdentity {
  const m = obj.metadata ?? {};
  return {
    uid: m.uid ?? "",
    apiVersion: obj.apiVersion ?? apiVersionOf(rt),
    kind: obj.kind ?? rt.kind,
    namespace: rt.namespaced ? (m.namespace ?? "") : "",
    name: m.name ?? "",
  };
}

/**
 * The owner an ownerReference names. A namespaced owner lives in its dependent's namespace; a
 * reference to a kind this server does not serve has no identity (and never counts as gone).
 */
export function ownerIdentity(ref: Obj, dependentNamespace: string): ObjectIdentity | undefined {
  const rt = findKind(ref.apiVersion ?? "", ref.kind ?? "");
  if (!rt || !ref.uid || !ref.name) return undefined;
  if (rt.namespaced && !dependentNamespace) return undefined;
  return { uid: ref.uid, apiVersion: ref.apiVersion, kind: ref.kind, namespace: rt.namespaced ? dependentNamespace : "", name: ref.name };
}

/** The ownerReferences of an object (never undefined). */
export function ownerRefsOf(obj: Obj | undefined): Obj[] {
  const refs = obj?.metadata?.ownerReferences;
  return Array.isArray(refs) ? refs : [];
}
