/** Service rows: type, addresses and ports in the compact "80:30080/TCP" form. */
import { AGE_COLUMN, col, NAME_COLUMN, wide, type Printer } from "./columns";
import { arr, formatLabels, int, rec, recs, str, type Obj } from "./object-access";
import { since } from "./timestamps";

/** Distinct load-balancer ingress IPs (or hostnames), sorted. */
function loadBalancerAddresses(svc: Obj): string[] {
  const seen = new Set<string>();
  for (const ing of recs(rec(rec(svc.status).loadBalancer).ingress)) {
    const addr = str(ing.ip) || str(ing.hostname);
    if (addr) seen.add(addr);
  }
  return [...seen].sort();
}

function externalIP(svc: Obj, type: string): string {
  const spec = rec(svc.spec);
  const externalIPs = arr(spec.externalIPs).map(str);
  switch (type) {
    case "ClusterIP":
    case "NodePort":
      return externalIPs.length ? externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const lb = loadBalancerAddresses(svc);
      if (externalIPs.length) return [...lb, ...externalIPs].join(",");
      return lb.length ? lb.join(",") : "<pending>";
    }
    case "ExternalName":
      return str(spec.externalName);
    default:
      return "<unknown>";
  }
}

function portsCell(svc: Obj): string {
  const ports = recs(rec(svc.spec).ports).map((p) => {
    const proto = str(p.protocol) || "TCP";
    return int(p.nodePort) > 0 ? `${int(p.port)}:${int(p.nodePort)}/${proto}` : `${int(p.port)}/${proto}`;
  });
  return ports.length ? ports.join(",") : "<none>";
}

/** core/v1 services. */
export const servicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col("Type", "string", "How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName."),
    col("Cluster-IP", "string", "The service's virtual IP inside the cluster."),
    col("External-IP", "string", "Addresses the service is reachable at from outside the cluster."),
    col("Port(s)", "string", "Service ports, with the node port when there is one."),
    AGE_COLUMN,
    wide("Selector", "string", "Labels of the pods that back the service."),
  ],
  print(svc, now) {
    const spec = rec(svc.spec);
    // The API defaults type to ClusterIP.
    const type = str(spec.type) || "ClusterIP";
    const clusterIPs = arr(spec.clusterIPs).map(str);
    const clusterIP = (clusterIPs.length ? clusterIPs[0] : str(spec.clusterIP)) || "<none>";
    return {
      cells: [str(rec(svc.metadata).name), type, clusterIP, externalIP(svc, type), portsCell(svc), since(now, rec(svc.metadata).creationTimestamp), formatLabels(spec.selector)],
    };
  },
};
