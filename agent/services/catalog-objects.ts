/**
 * Turns API objects into catalog entries, applying the API's defaults the way its consumers
 * (kube-proxy, cluster DNS) read them: an EndpointSlice condition left unset counts as ready and
 * serving, a port without a protocol is TCP, a session affinity without a timeout lasts 3 hours.
 */
import type { CatalogNode, EndpointEntry, ServiceEntry, ServicePort } from "./catalog";
import type { KubeObject } from "../api/resource-informer";

/** The label tying an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/** The API's default ClientIP affinity timeout (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;

const PROTOCOLS = new Set(["TCP", "UDP", "SCTP"]);

/** The catalog's key of a service: "namespace/name". */
export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v !== "") : [];
}

function protocolOf(value: unknown): ServicePort["protocol"] {
  return typeof value === "string" && PROTOCOLS.has(value) ? (value as ServicePort["protocol"]) : "TCP";
}

/** The catalog's entry for a Service object, or undefined when it has no name. */
export function serviceEntry(svc: KubeObject): ServiceEntry | undefined {
  const name = svc?.metadata?.name;
  if (typeof name !== "string" || !name) return undefined;
  const namespace = typeof svc.metadata.namespace === "string" && svc.metadata.namespace ? svc.metadata.namespace : "default";
  const spec = svc.spec ?? {};
  const type = typeof spec.type === "string" && spec.type ? spec.type : "ClusterIP";
  const headless = spec.clusterIP === "None";
  const declared = strings(spec.clusterIPs).length > 0 ? strings(spec.clusterIPs) : strings([spec.clusterIP]);
  const clusterIPs = type === "ExternalName" ? [] : declared.filter((ip) => ip !== "None");
  const ports: ServicePort[] = (Array.isArray(spec.ports) ? spec.ports : [])
    .filter((p: any) => typeof p?.port === "number")
    .map((p: any) => ({
      ...(typeof p.name === "string" && p.name ? { name: p.name } : {}),
      port: p.port,
      protocol: protocolOf(p.protocol),
      targetPort: typeof p.targetPort === "number" || (typeof p.targetPort === "string" && p.targetPort) ? p.targetPort : p.port,
      ...(typeof p.nodePort === "number" && p.nodePort > 0 ? { nodePort: p.nodePort } : {}),
    }));
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  const ingress = Array.isArray(svc.status?.loadBalancer?.ingress) ? svc.status.loadBalancer.ingress : [];
  return {
    namespace,
    name,
    type,
    clusterIPs,
    headless,
    ...(type === "ExternalName" && typeof spec.externalName === "string" ? { externalName: spec.externalName } : {}),
    ports,
    sessionAffinity: spec.sessionAffinity === "ClientIP" ? "ClientIP" : "None",
    affinityTimeoutSeconds: typeof timeout === "number" && timeout > 0 ? timeout : DEFAULT_AFFINITY_TIMEOUT_SECONDS,
    loadBalancerIPs: strings(ingress.map((i: any) => i?.ip)),
    externalIPs: strings(spec.externalIPs),
    ...(typeof spec.externalTrafficPolicy === "string" ? { externalTrafficPolicy: spec.externalTrafficPolicy } : {}),
    ...(typeof spec.internalTrafficPolicy === "string" ? { internalTrafficPolicy: spec.internalTrafficPolicy } : {}),
  };
}

/** "namespace/service" for a slice labelled with its service's name, else undefined. */
export function sliceServiceKey(slice: KubeObject): string | undefined {
  const service = slice?.metadata?.labels?.[SERVICE_NAME_LABEL];
  const namespace = slice?.metadata?.namespace;
  if (typeof service !== "string" || !service || typeof namespace !== "string" || !namespace) return undefined;
  return serviceKey(namespace, service);
}

/** The endpoints of an IPv4 or IPv6 slice (FQDN slices carry no addresses a proxy can use). */
export function endpointEntries(slice: KubeObject): EndpointEntry[] {
  if (slice?.addressType !== "IPv4" && slice?.addressType !== "IPv6") return [];
  const ports = (Array.isArray(slice.ports) ? slice.ports : [])
    .filter((p: any) => typeof p?.port === "number")
    .map((p: any) => ({
      ...(typeof p.name === "string" && p.name ? { name: p.name } : {}),
      port: p.port,
      protocol: protocolOf(p.protocol),
    }));
  const out: EndpointEntry[] = [];
  for (const ep of Array.isArray(slice.endpoints) ? slice.endpoints : []) {
    const addresses = strings(ep?.addresses);
    if (addresses.length === 0) continue;
    const c = ep.conditions ?? {};
    const ready = c.ready !== false;
    out.push({
      addresses,
      ready,
      serving: typeof c.serving === "boolean" ? c.serving : ready,
      terminating: c.terminating === true,
      ...(typeof ep.nodeName === "string" && ep.nodeName ? { nodeName: ep.nodeName } : {}),
      ...(typeof ep.hostname === "string" && ep.hostname ? { hostname: ep.hostname } : {}),
      ports: ports.map((p: EndpointEntry["ports"][number]) => ({ ...p })),
    });
  }
  return out;
}

/** The catalog's entry for a Node object, or undefined when it has no name. */
export function catalogNode(node: KubeObject): CatalogNode | undefined {
  const name = node?.metadata?.name;
  if (typeof name !== "string" || !name) return undefined;
  const spec = node.spec ?? {};
  const podCIDR = typeof spec.podCIDR === "string" && spec.podCIDR ? spec.podCIDR : strings(spec.podCIDRs)[0];
  const addresses = Array.isArray(node.status?.addresses) ? node.status.addresses : [];
  const internal = addresses.filter((a: any) => a?.type === "InternalIP" && typeof a.address === "string").map((a: any) => a.address as string);
  const internalIP = internal.find((ip: string) => !ip.includes(":")) ?? internal[0];
  const conditions = Array.isArray(node.status?.conditions) ? node.status.conditions : [];
  const ready = conditions.some((c: any) => c?.type === "Ready" && c.status === "True");
  return { name, ...(podCIDR ? { podCIDR } : {}), ...(internalIP ? { internalIP } : {}), ready };
}
