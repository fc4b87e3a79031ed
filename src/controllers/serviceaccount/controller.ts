import { StatusError } from "../../api/status";
import { findResource } from "../../resources/registry";
import type { Controller } from "../controller";
import type { ClusterView } from "../view";

export const SERVICE_ACCOUNT_CONTROLLER = "serviceaccount";

/** Every active namespace has a `default` ServiceAccount, as upstream's serviceaccount controller keeps it. */
export function serviceAccountController(view: ClusterView): Controller {
  const nsType = findResource("", "v1", "namespaces")!;
  const saType = findResource("", "v1", "serviceaccounts")!;
  return {
    name: SERVICE_ACCOUNT_CONTROLLER,
    keysFor(change) {
      if (change.rt === nsType && !change.deleted && !change.obj.metadata?.deletionTimestamp) return [change.obj.metadata.name];
      if (change.rt === saType && change.deleted && change.obj.metadata?.name === "default") return [change.obj.metadata.namespace];
      return [];
    },
    reconcile(namespace) {
      const ns = view.get(nsType, "", namespace);
      if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === "Terminating") return;
      if (view.get(saType, namespace, "default")) return;
      try {
        view.create(saType, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace } });
      } catch (e) {
        if (!(e instanceof StatusError && (e.code === 409 || e.code === 403))) throw e;
      }
    },
  };
}
