import { aggregateClusterRoles } from "../auth/aggregation";
import { defaultClusterRoleBindings, defaultClusterRoles } from "../auth/default-policy";
import { findResource } from "../resources/registry";
import type { ObjectStore } from "./objects";

/** The namespaces every cluster has. */
export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** The first address of the service CIDR, where the `kubernetes` Service lives. */
export const KUBERNETES_SERVICE_IP = "10.96.0.1";

/** The default RBAC policy (roles with their aggregated rules, and bindings); missing ones are created. */
function bootstrapPolicy(store: ObjectStore): void {
  const crType = findResource("rbac.authorization.k8s.io", "v1", "clusterroles")!;
  const crbType = findResource("rbac.authorization.k8s.io", "v1", "clusterrolebindings")!;
  for (const role of aggregateClusterRoles(defaultClusterRoles())) {
    if (!store.read(crType, "", role.metadata!.name!)) store.create(crType, { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", ...role }, {});
  }
  for (const binding of defaultClusterRoleBindings()) {
    if (!store.read(crbType, "", binding.metadata!.name!)) store.create(crbType, { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", ...binding }, {});
  }
}

/** Creates what a fresh cluster starts with; idempotent. */
export function bootstrapCluster(store: ObjectStore): void {
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
          clusterIP: KUBERNETES_SERVICE_IP,
          clusterIPs: [KUBERNETES_SERVICE_IP],
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
