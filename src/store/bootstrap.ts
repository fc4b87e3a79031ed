import { findResource } from "../resources/registry";
import type { ObjectStore } from "./objects";

/** The namespaces every cluster has. */
export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** The first address of the service CIDR, where the `kubernetes` Service lives. */
export const KUBERNETES_SERVICE_IP = "10.96.0.1";

/** Creates what a fresh cluster starts with; idempotent. */
export function bootstrapCluster(store: ObjectStore): void {
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
