import type { ResourceType } from "../resources/registry";
import type { Reconciler } from "./runtime";

type Obj = Record<string, any>;

/** One committed change, as the controllers' event handlers see it. Parsing is lazy. */
export interface Change {
  readonly rt: ResourceType;
  /** The object after the change (for a deletion: its last state). */
  readonly obj: Obj;
  /** The object before the change, for updates and deletions. */
  readonly old: Obj | undefined;
  readonly created: boolean;
  readonly deleted: boolean;
}

/**
 * A controller: a reconciler plus its event handler. The handler only computes keys (the
 * object's own "namespace/name", or its controller owner's); it never reads or writes state.
 */
export interface Controller extends Reconciler {
  keysFor(change: Change): string[];
}

/** "namespace/name" (or "name" for cluster-scoped objects): the key a reconciler receives. */
export function keyOf(obj: Obj): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : m.name;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { namespace: "", name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** The ownerReference with controller: true, if any. */
export function controllerRefOf(obj: Obj): Obj | undefined {
  return (obj.metadata?.ownerReferences ?? []).find((r: Obj) => r.controller === true);
}
