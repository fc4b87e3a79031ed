/**
 * Which routes to other nodes' pod networks this node needs, and how the kernel's current ones
 * differ. Pods of a remote node are reached directly through that node's InternalIP
 * (`<podCIDR> via <internalIP>`), which works only when the nodes share an L2 segment.
 */
import type { CatalogNode } from "../services/catalog";
import { formatIpv4Cidr, parseIpv4, parseIpv4Cidr } from "../sandbox/ipv4-cidr";

export interface PodRoute {
  /** The remote node's podCIDR. */
  cidr: string;
  /** The remote node's InternalIP. */
  via: string;
}

export interface RouteChanges {
  replace: PodRoute[];
  remove: PodRoute[];
}

function canonicalCidr(text: string | undefined): string | undefined {
  if (!text) return undefined;
  try {
    return formatIpv4Cidr(parseIpv4Cidr(text));
  } catch {
    return undefined;
  }
}

/**
 * Routes for every other Ready node with an IPv4 podCIDR and InternalIP. Nodes on this machine
 * (InternalIP equal to ours) need none: their bridges are local.
 */
export function desiredPodRoutes(nodes: readonly CatalogNode[], nodeName: string, nodeIP: string): PodRoute[] {
  const out = new Map<string, PodRoute>();
  for (const n of nodes) {
    if (n.name === nodeName || !n.ready || !n.internalIP || n.internalIP === nodeIP) continue;
    const cidr = canonicalCidr(n.podCIDR);
    if (!cidr || parseIpv4(n.internalIP) === undefined) continue;
    out.set(cidr, { cidr, via: n.internalIP });
  }
  return [...out.values()].sort((a, b) => a.cidr.localeCompare(b.cidr));
}

/** Parses `ip -4 route show ...` lines of the form "<cidr> via <ip> dev <if> ...". */
export function parseRoutes(text: string): PodRoute[] {
  const out: PodRoute[] = [];
  for (const line of text.split("\n")) {
    const words = line.trim().split(/\s+/);
    const viaAt = words.indexOf("via");
    if (viaAt === -1) continue;
    const dst = words[0] === "default" ? undefined : canonicalCidr(words[0].includes("/") ? words[0] : `${words[0]}/32`);
    const via = words[viaAt + 1];
    if (dst && via) out.push({ cidr: dst, via });
  }
  return out;
}

/** Routes to set (missing or via another gateway) and to delete (no longer wanted). */
export function diffRoutes(current: readonly PodRoute[], desired: readonly PodRoute[]): RouteChanges {
  const have = new Map(current.map((r) => [r.cidr, r.via]));
  const want = new Map(desired.map((r) => [r.cidr, r.via]));
  return {
    replace: desired.filter((r) => have.get(r.cidr) !== r.via),
    remove: current.filter((r) => !want.has(r.cidr)),
  };
}
