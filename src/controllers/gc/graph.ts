import { RESOURCE_TYPES, storageTypeOf, type ResourceType } from "../../resources/registry";
import type { ClusterView } from "../view";
import { ownerRefsOf } from "./keys";

type Obj = Record<string, any>;

/** An object together with the type it is stored as. */
export interface Item {
  readonly rt: ResourceType;
  readonly obj: Obj;
}

/** Looks an owner up by type, namespace ("" for cluster-scoped) and name. */
export type OwnerResolver = (rt: ResourceType, namespace: string, name: string) => Obj | undefined;

/**
 * Events are the one kind left out: nothing owns them or is owned by them in practice, and
 * there can be thousands of them, each expiring on its own schedule.
 */
const SKIPPED_STORAGE = new Set(["events"]);

/** One type per storage prefix (core/v1 and events.k8s.io/v1 Events share one, for example). */
const STORED_TYPES: readonly ResourceType[] = RESOURCE_TYPES.filter((rt) => storageTypeOf(rt) === rt && !SKIPPED_STORAGE.has(rt.storage));

export function isCollectable(rt: ResourceType): boolean {
  return !SKIPPED_STORAGE.has(rt.storage);
}

/**
 * The ownership graph of one namespace (or of the whole cluster), read in one go. This is the
 * only place that finds dependents; a uid → dependents index kept next to the store would
 * replace `scan` without changing its callers.
 */
export class OwnerGraph {
  private readonly byName = new Map<string, Item>();
  private readonly byOwner = new Map<string, Item[]>();

  private constructor(
    /** The namespace read, or undefined for the whole cluster. */
    readonly namespace: string | undefined,
    readonly items: readonly Item[],
  ) {
    for (const item of items) {
      const m = item.obj.metadata;
      this.byName.set(nameKey(item.rt, m.namespace ?? "", m.name), item);
      for (const ref of ownerRefsOf(item.obj)) {
        if (!ref.uid) continue;
        const deps = this.byOwner.get(ref.uid);
        if (deps) deps.push(item);
        else this.byOwner.set(ref.uid, [item]);
      }
    }
  }

  /**
   * Lists every namespaced type in `namespace`, or every type everywhere when it is undefined.
   * Cost: one list per stored type, so O(objects in scope).
   */
  static scan(view: ClusterView, namespace: string | undefined): OwnerGraph {
    const items: Item[] = [];
    for (const rt of STORED_TYPES) {
      if (namespace !== undefined && !rt.namespaced) continue;
      for (const obj of view.list(rt, rt.namespaced ? namespace : undefined)) items.push({ rt, obj });
    }
    return new OwnerGraph(namespace, items);
  }

  /** Objects whose ownerReferences name `uid`, in reading order. */
  dependentsOf(uid: string): readonly Item[] {
    return this.byOwner.get(uid) ?? [];
  }

  hasDependents(uid: string): boolean {
    return this.byOwner.has(uid);
  }

  /** Whether the graph read the place an object of `rt` in `namespace` would be. */
  covers(rt: ResourceType, namespace: string): boolean {
    return this.namespace === undefined || (rt.namespaced && namespace === this.namespace);
  }

  lookup(rt: ResourceType, namespace: string, name: string): Obj | undefined {
    return this.byName.get(nameKey(storageTypeOf(rt), namespace, name))?.obj;
  }
}

function nameKey(rt: ResourceType, namespace: string, name: string): string {
  return `${rt.storage}|${namespace}|${name}`;
}

/**
 * Owner lookups for one pass: from the graph where it covers the owner, otherwise a read through
 * the view, remembered for the rest of the pass (a thousand pods name the same ReplicaSet).
 */
export function ownerResolver(view: ClusterView, graph?: OwnerGraph): OwnerResolver {
  const cache = new Map<string, Obj | undefined>();
  return (rt, namespace, name) => {
    if (graph?.covers(rt, namespace)) return graph.lookup(rt, namespace, name);
    const st = storageTypeOf(rt);
    const k = nameKey(st, namespace, name);
    if (!cache.has(k)) cache.set(k, view.get(st, namespace, name));
    return cache.get(k);
  };
}
