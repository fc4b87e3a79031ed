import { aggregateClusterRoles } from "../auth/aggregation";
import { defaultClusterRoleBindings, defaultClusterRoles } from "../auth/default-policy";
import { findResource } from "../resources/registry";
import type { ObjectStore } from "./objects";

/** The namespaces every cluster has. */
export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** The first address of the default service CIDR, where the `kubernetes` Service lives. */
export const KUBERNETES_SERVICE_IP = "10.96.0.1";

export interface BootstrapOptions {
  /** The first address of the configured service CIDR. */
  kubernetesServiceIP?: string;
}

const AUTOUPDATE = "rbac.authorization.kubernetes.io/autoupdate";

/** Entries of `wanted` that `have` lacks, compared as JSON. */
function missing<T>(have: T[] | null | undefined, wanted: T[] | null | undefined): T[] {
  const present = new Set((have ?? []).map((x) => JSON.stringify(x)));
  return (wanted ?? []).filter((x) => !present.has(JSON.stringify(x)));
}

/**
 * The default RBAC policy (roles with their aggregated rules, and bindings). Missing ones are
 * created; existing ones that allow auto-update get the rules and subjects a newer version added,
 * as the apiserver's policy reconciliation does (additively: nothing a user added is removed).
 */
function bootstrapPolicy(store: ObjectStore): void {
  const crType = findResource("rbac.authorization.k8s.io", "v1", "clusterroles")!;
  const crbType = findResource("rbac.authorization.k8s.io", "v1", "clusterrolebindings")!;
  for (const role of aggregateClusterRoles(defaultClusterRoles())) {
    const current = store.read(crType, "", role.metadata!.name!)?.obj;
    if (!current) store.create(crType, { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", ...role }, {});
    else if (current.metadata?.annotations?.[AUTOUPDATE] !== "false") {
      const add = missing(current.rules, role.rules);
      if (add.length > 0) store.update(crType, { ...current, rules: [...(current.rules ?? []), ...add] }, {});
    }
  }
  for (const binding of defaultClusterRoleBindings()) {
    const current = store.read(crbType, "", binding.metadata!.name!)?.obj;
    if (!current) store.create(crbType, { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", ...binding }, {});
    else if (current.metadata?.annotations?.[AUTOUPDATE] !== "false") {
      const add = missing(current.subjects, binding.subjects);
      if (add.length > 0) store.update(crbType, { ...current, subjects: [...(current.subjects ?? []), ...add] }, {});
    }
  }
}

/** Creates what a fresh cluster starts with; idempotent. */
export function bootstrapCluster(store: ObjectStore, opts: BootstrapOptions = {}): void {
  const serviceIP = opts.kubernetesServiceIP ?? KUBERNETES_SERVICE_IP;
  bootstrapPolicy(store);
  const nsType = findResource("", "v1", "namespaces")!;
  for (const name of SYSTEM_NAMESPACES) {
    if (store.read(nsType, "", name)) continue;
    store.create(
      nsType,
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name, labels: { "kubernetes.io/metadata.name": name } },
        spec: { finalizers: ["kubernetes"] },
      },
      {},
    );
  }
  const svcType = findResource("", "v1", "services")!;
  if (!store.read(svcType, "default", "kubernetes")) {
    store.create(
      svcType,
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "kubernetes", namespace: "default", labels: { component: "apiserver", provider: "kubernetes" } },
        spec: {
          type: "ClusterIP",
          clusterIP: serviceIP,
          clusterIPs: [serviceIP],
          ipFamilies: ["IPv4"],
          ipFamilyPolicy: "SingleStack",
          internalTrafficPolicy: "Cluster",
          sessionAffinity: "None",
          ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }],
        },
      },
      {},
    );
  }
}
