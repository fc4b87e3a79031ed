/**
 * What a name inside the cluster domain asks for, read right to left the way CoreDNS's
 * kubernetes plugin reads it:
 *
 *   <zone>, svc.<zone>, pod.<zone>                 the zone itself: exists, holds no addresses
 *   ns.dns.<zone>                                  the DNS server's own address
 *   <ns>.svc.<zone>, <ns>.pod.<zone>               a namespace: exists, holds no addresses
 *   <svc>.<ns>.svc.<zone>                          a Service
 *   <endpoint>.<svc>.<ns>.svc.<zone>               one endpoint (its hostname or dashed IP)
 *   _<port>._<proto>.<svc>.<ns>.svc.<zone>         a Service's named port (SRV)
 *   <a-b-c-d>.<ns>.pod.<zone>                      a pod by its dashed IP
 *
 * Anything else in the zone does not exist.
 */
import { isIP } from "node:net";
import { splitName } from "./dns-names";

export type ClusterQuery =
  | { kind: "apex" }
  | { kind: "nameserver" }
  | { kind: "namespace"; namespace: string; place: "svc" | "pod" }
  | { kind: "service"; namespace: string; service: string; endpoint?: string; port?: string; protocol?: string }
  | { kind: "pod"; namespace: string; ip: string | undefined }
  | { kind: "invalid" };

/** The labels of `zone`, lower-cased. */
export function zoneLabels(zone: string): string[] {
  return splitName(zone);
}

/** Reads `name`; undefined when it is not inside `zone`. */
export function parseClusterQuery(name: string, zone: readonly string[]): ClusterQuery | undefined {
  const labels = splitName(name);
  if (labels.length < zone.length) return undefined;
  const rest = labels.slice(0, labels.length - zone.length);
  if (labels.slice(rest.length).some((l, i) => l !== zone[i])) return undefined;
  if (rest.length === 0) return { kind: "apex" };
  if (rest.length === 2 && rest[0] === "ns" && rest[1] === "dns") return { kind: "nameserver" };
  const place = rest[rest.length - 1];
  if (place !== "svc" && place !== "pod") return { kind: "invalid" };
  if (rest.length === 1) return { kind: "apex" };
  const namespace = rest[rest.length - 2];
  if (rest.length === 2) return { kind: "namespace", namespace, place };
  if (place === "pod") return rest.length === 3 ? { kind: "pod", namespace, ip: ipFromDashed(rest[0]) } : { kind: "invalid" };
  const service = rest[rest.length - 3];
  if (rest.length === 3) return { kind: "service", namespace, service };
  if (rest.length === 4) return { kind: "service", namespace, service, endpoint: rest[0] };
  if (rest.length === 5) return { kind: "service", namespace, service, port: stripUnderscore(rest[0]), protocol: stripUnderscore(rest[1]) };
  return { kind: "invalid" };
}

/** `10-244-0-5` → `10.244.0.5`, `fd00--5` → `fd00::5`; undefined when that is not an address. */
export function ipFromDashed(label: string): string | undefined {
  const ip = (label.split("-").length === 4 && !label.includes("--") ? label.replaceAll("-", ".") : label.replaceAll("-", ":"));
  return isIP(ip) ? ip : undefined;
}

/** The label an endpoint is known by: its hostname, else its address with dashes. */
export function endpointLabel(address: string, hostname: string | undefined): string {
  if (hostname) return hostname;
  return address.replaceAll(".", "-").replaceAll(":", "-");
}

function stripUnderscore(label: string): string {
  return label.startsWith("_") ? label.slice(1) : label;
}
