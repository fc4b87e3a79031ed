/**
 * Finds what a Service name points at, following CoreDNS's kubernetes plugin:
 *
 * - a ClusterIP (or NodePort, LoadBalancer) Service is its cluster IPs, one target per port;
 * - a headless Service, and any `<endpoint>.<svc>` name, is the ready endpoints' addresses, one
 *   target per endpoint port (a Service with `publishNotReadyAddresses` already gets its
 *   endpoints marked ready by the EndpointSlice controller);
 * - an ExternalName Service is an alias (CNAME) of its external name;
 * - a name that yields no target at all does not exist (NXDOMAIN), as in CoreDNS: a headless
 *   Service without ready endpoints, a port name the Service does not have.
 */
import { isIP } from "node:net";
import type { DnsCatalog, DnsEndpoint } from "./dns-catalog";
import { endpointLabel, type ClusterQuery } from "./cluster-query";

/** One address a name resolves to; `owner` is the name an SRV record points at for it. */
export interface Target {
  owner: string;
  ip: string;
  /** Absent for endpoints of a Service that declares no ports. */
  port?: number;
}

export type LookupResult = { found: false } | { found: true; targets: Target[]; alias?: string };

const NOT_FOUND: LookupResult = { found: false };

type ServiceQuery = Extract<ClusterQuery, { kind: "service" }>;

/** The fully qualified name of a Service (no trailing dot). */
export function serviceName(namespace: string, name: string, zone: string): string {
  return `${name}.${namespace}.svc.${zone}`;
}

export function lookupService(catalog: DnsCatalog, zone: string, q: ServiceQuery): LookupResult {
  const svc = catalog.service(q.namespace, q.service);
  if (!svc) return NOT_FOUND;
  const fqdn = serviceName(svc.namespace, svc.name, zone);
  if (svc.type === "ExternalName") {
    // CoreDNS serves only names as aliases; an IP address as externalName is not answered
    const target = svc.externalName?.replace(/\.$/, "");
    if (!target || isIP(target) || q.endpoint !== undefined || q.port !== undefined) return NOT_FOUND;
    return { found: true, targets: [], alias: target };
  }
  if (svc.headless || q.endpoint !== undefined) return endpointTargets(catalog.endpoints(svc.namespace, svc.name), fqdn, q);
  const targets: Target[] = [];
  let portMatched = false;
  for (const port of svc.ports) {
    if (!portMatches(q, port)) continue;
    portMatched = true;
    for (const ip of svc.clusterIPs) if (isIP(ip)) targets.push({ owner: fqdn, ip, port: port.port });
  }
  return portMatched ? { found: true, targets } : NOT_FOUND;
}

function endpointTargets(endpoints: DnsEndpoint[], fqdn: string, q: ServiceQuery): LookupResult {
  const targets: Target[] = [];
  for (const ep of endpoints) {
    if (!ep.ready) continue;
    for (const ip of ep.addresses) {
      const label = endpointLabel(ip, ep.hostname).toLowerCase();
      if (q.endpoint !== undefined && label !== q.endpoint) continue;
      const owner = `${label}.${fqdn}`;
      if (ep.ports.length === 0) {
        if (q.port === undefined && q.protocol === undefined) targets.push({ owner, ip });
        continue;
      }
      for (const port of ep.ports) if (portMatches(q, port)) targets.push({ owner, ip, port: port.port });
    }
  }
  return targets.length > 0 ? { found: true, targets } : NOT_FOUND;
}

function portMatches(q: ServiceQuery, port: { name?: string; protocol: string }): boolean {
  if (q.port !== undefined && (port.name ?? "").toLowerCase() !== q.port) return false;
  if (q.protocol !== undefined && port.protocol.toLowerCase() !== q.protocol) return false;
  return true;
}

/** Whether any Service lives in `namespace` (the catalog knows no other trace of a namespace). */
export function namespaceKnown(catalog: DnsCatalog, namespace: string): boolean {
  return catalog.services().some((s) => s.namespace === namespace);
}
