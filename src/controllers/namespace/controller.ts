import { StatusError } from "../../api/status";
import { RESOURCE_TYPES, findResource, type ResourceType } from "../../resources/registry";
import type { ObjectStore } from "../../store/objects";
import type { RevisionLog } from "../../store/revision-log";
import type { Controller } from "../controller";

export const NAMESPACE_CONTROLLER = "namespace";
const BATCH = 200;
/** Content still finishing (finalizers, graceful pods) is looked at again after this long. */
const WAIT_FOR_CONTENT_MS = 2000;

function typeOfStorage(storage: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((r) => r.storage === storage);
}

/**
 * Empties a terminating namespace, then removes its `kubernetes` finalizer so the store deletes it
 * (upstream's namespace lifecycle).
 */
export function namespaceController(store: ObjectStore, log: RevisionLog): Controller {
  const nsType = findResource("", "v1", "namespaces")!;
  return {
    name: NAMESPACE_CONTROLLER,
    keysFor(change) {
      if (change.rt.kind !== "Namespace" || change.rt.group !== "" || change.deleted) return [];
      return change.obj.metadata?.deletionTimestamp ? [change.obj.metadata.name] : [];
    },
    reconcile(name) {
      const ns = store.read(nsType, "", name);
      if (!ns || !ns.obj.metadata.deletionTimestamp) return;
      const content = log.keysInNamespace(name);
      let waiting = false;
      for (const { key, storage } of content.slice(0, BATCH)) {
        const rt = typeOfStorage(storage);
        if (!rt) continue;
        const objName = key.slice(key.lastIndexOf("/") + 1);
        const cur = store.read(rt, name, objName);
        if (!cur) continue;
        if (cur.obj.metadata.deletionTimestamp) {
          waiting = true;
          continue;
        }
        try {
          store.delete(rt, name, objName, { propagationPolicy: "Background" });
        } catch (e) {
          if (!(e instanceof StatusError && e.code === 404)) throw e;
        }
      }
      if (content.length > BATCH) return { requeueAfterMs: 0 };
      if (waiting || log.keysInNamespace(name).length > 0) return { requeueAfterMs: WAIT_FOR_CONTENT_MS };
      const obj = structuredClone(ns.obj);
      obj.spec = { ...(obj.spec ?? {}), finalizers: (obj.spec?.finalizers ?? []).filter((f: string) => f !== "kubernetes") };
      store.update(nsType, obj, {});
    },
  };
}
