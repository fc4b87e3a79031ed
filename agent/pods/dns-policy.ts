import type { DnsSettings } from "../sandbox/sandbox-manager";
import type { Pod } from "./pod-spec";

export interface NodeDns {
  /** The cluster resolver (the agent's DNS server) and the cluster domain. */
  clusterNameserver: string;
  clusterDomain: string;
  /** The machine's own resolv.conf, for dnsPolicy Default. */
  host: DnsSettings;
}

const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

/**
 * A pod's resolv.conf by its dnsPolicy, as the kubelet writes it: ClusterFirst points at cluster
 * DNS with the `<ns>.svc.<domain> svc.<domain> <domain>` search list and ndots:5; Default copies the
 * node's resolvers; None uses only dnsConfig. dnsConfig then adds nameservers and searches and
 * overrides options by name.
 */
export function podDnsSettings(pod: Pod, node: NodeDns): DnsSettings {
  const policy = pod.spec?.dnsPolicy ?? "ClusterFirst";
  const ns = pod.metadata?.namespace ?? "default";
  const d = node.clusterDomain;
  let base: DnsSettings;
  if (policy === "None") base = { nameservers: [], searches: [], options: [] };
  else if (policy === "Default" || (policy === "ClusterFirst" && pod.spec?.hostNetwork)) base = node.host;
  else base = { nameservers: [node.clusterNameserver], searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...node.host.searches], options: ["ndots:5"] };
  const cfg = pod.spec?.dnsConfig ?? {};
  const nameservers = [...new Set([...base.nameservers, ...(cfg.nameservers ?? [])])].slice(0, MAX_NAMESERVERS);
  const searches = [...new Set([...base.searches, ...(cfg.searches ?? [])])].slice(0, MAX_SEARCHES);
  const options = new Map<string, string>();
  for (const o of base.options) options.set(o.split(":")[0], o);
  for (const o of cfg.options ?? []) options.set(o.name, o.value !== undefined && o.value !== null ? `${o.name}:${o.value}` : o.name);
  return { nameservers, searches, options: [...options.values()] };
}
