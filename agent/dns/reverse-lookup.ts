/**
 * Reverse lookups (PTR) for addresses the cluster knows, as CoreDNS answers them: a Service's
 * cluster IP names the Service; otherwise a ready endpoint's address names the endpoint
 * (`<hostname or dashed IP>.<svc>.<ns>.svc.<zone>`). Other addresses are not the cluster's
 * to answer and go to the upstream resolvers.
 */
import { isIPv4, isIPv6 } from "node:net";
import type { DnsCatalog } from "./dns-catalog";
import { endpointLabel } from "./cluster-query";
import { serviceName } from "./cluster-lookup";
import { splitName } from "./dns-names";
import { ipv6ToBytes, ipv6ToText } from "./ip-text";

/** The address a reverse name (`5.0.244.10.in-addr.arpa`, `…ip6.arpa`) stands for, if it is one. */
export function addressFromReverseName(name: string): string | undefined {
  const labels = splitName(name);
  const tail = labels.slice(-2).join(".");
  if (tail === "in-addr.arpa" && labels.length === 6) {
    const ip = labels.slice(0, 4).reverse().join(".");
    return isIPv4(ip) ? ip : undefined;
  }
  if (tail === "ip6.arpa" && labels.length === 34) {
    const nibbles = labels.slice(0, 32).reverse();
    if (!nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hextets: string[] = [];
    for (let i = 0; i < 32; i += 4) hextets.push(nibbles.slice(i, i + 4).join(""));
    return ipv6ToText(ipv6ToBytes(hextets.join(":")));
  }
  return undefined;
}

/** The cluster names of `ip`; empty when the cluster does not know it. */
export function namesForAddress(catalog: DnsCatalog, zone: string, ip: string): string[] {
  const wanted = normalise(ip);
  const services = catalog.services().filter((s) => s.type !== "ExternalName");
  const byClusterIP = services.filter((s) => s.clusterIPs.some((c) => normalise(c) === wanted));
  if (byClusterIP.length > 0) return byClusterIP.map((s) => serviceName(s.namespace, s.name, zone));
  const names = new Set<string>();
  for (const s of services) {
    for (const ep of catalog.endpoints(s.namespace, s.name)) {
      if (!ep.ready) continue;
      for (const address of ep.addresses) {
        if (normalise(address) === wanted) names.add(`${endpointLabel(address, ep.hostname).toLowerCase()}.${serviceName(s.namespace, s.name, zone)}`);
      }
    }
  }
  return [...names];
}

function normalise(ip: string): string {
  return isIPv6(ip) ? ipv6ToText(ipv6ToBytes(ip)) : ip;
}
