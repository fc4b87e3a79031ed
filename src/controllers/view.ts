import type { Clock } from "../lib/clock";
import { rfc3339 } from "../lib/clock";
import { labelSelectorFromObject } from "../lib/selectors";
import { defaultAndValidate } from "../resources/kinds";
import type { ResourceType } from "../resources/registry";
import type { DeleteOptions, ObjectStore } from "../store/objects";

type Obj = Record<string, any>;

/**
 * What a reconciler may do to the cluster: synchronous reads of the current state and
 * compare-and-swap writes (a stale resourceVersion throws a 409 StatusError, which the runtime
 * turns into a backoff). Objects returned are fresh copies the caller may change.
 */
export interface ClusterView {
  now(): number;
  /** RFC 3339 of now, as metav1.Time. */
  timestamp(): string;
  get(rt: ResourceType, namespace: string, name: string): Obj | undefined;
  /** Objects of a namespace (all namespaces when undefined), optionally filtered by a metav1.LabelSelector. */
  list(rt: ResourceType, namespace: string | undefined, selector?: Obj): Obj[];
  create(rt: ResourceType, obj: Obj): Obj;
  /** Writes spec and metadata; CAS on obj.metadata.resourceVersion. */
  update(rt: ResourceType, obj: Obj): Obj;
  /** Writes status only; CAS on obj.metadata.resourceVersion. */
  updateStatus(rt: ResourceType, obj: Obj): Obj;
  /** Binds a pod: spec.nodeName and its PodScheduled condition in one CAS write (the binding subresource). */
  bind(rt: ResourceType, obj: Obj): Obj;
  /** Deletes (or marks for deletion, with finalizers); returns false when it was already gone. */
  delete(rt: ResourceType, namespace: string, name: string, opts?: DeleteOptions): boolean;
}

/** The view over the store the controllers run next to. */
export function storeView(store: ObjectStore, clock: Clock): ClusterView {
  return {
    now: () => clock.now(),
    timestamp: () => rfc3339(clock.now()),
    get: (rt, namespace, name) => store.read(rt, namespace, name)?.obj,
    list(rt, namespace, selector) {
      const items = store.list(rt, namespace, {}).items.map((i) => JSON.parse(i) as Obj);
      if (!selector) return items;
      const sel = labelSelectorFromObject(selector);
      return items.filter((o) => sel.matches(o.metadata?.labels));
    },
    // Controllers' creates pass the same defaulting and validation as the API's (upstream's
    // controllers write through the API server, admission included).
    create(rt, obj) {
      const copy = structuredClone(obj);
      defaultAndValidate(rt, copy);
      return JSON.parse(store.create(rt, copy, {}));
    },
    update: (rt, obj) => JSON.parse(store.update(rt, obj, {})),
    updateStatus: (rt, obj) => JSON.parse(store.update(rt, obj, { subresource: "status" })),
    bind: (rt, obj) => JSON.parse(store.update(rt, obj, { subresource: "binding" })),
    delete(rt, namespace, name, opts = {}) {
      if (!store.read(rt, namespace, name)) return false;
      store.delete(rt, namespace, name, opts);
      return true;
    },
  };
}
