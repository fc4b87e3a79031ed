/**
 * The proxy's whole rule set, computed from the catalog alone (no host state), in the layout
 * kube-proxy's iptables mode uses:
 *
 *   nat    <p>-SERVICES     cluster IP:port → SVC (or SVL), external/LB IP:port → EXT,
 *                           and last, addresses of this host → <p>-NODEPORTS
 *          <p>-NODEPORTS    nodePort → EXT
 *          <p>-SVC-<hash>   one per service port: masquerade callers from outside the cluster
 *                           CIDR, then spread over the endpoints (statistic random with
 *                           probabilities 1/n, 1/(n-1), …, so every endpoint gets 1/n), with
 *                           ClientIP affinity first when asked for (the recent match)
 *          <p>-SVL-<hash>   the same over this node's endpoints (Local traffic policies)
 *          <p>-EXT-<hash>   external entry: masquerade and go to SVC, or for
 *                           externalTrafficPolicy Local keep the client's address and go to SVL
 *          <p>-SEP-<hash>   one per endpoint: masquerade hairpin traffic, DNAT to the endpoint
 *          <p>-MARK-MASQ, <p>-POSTROUTING   mark, then masquerade marked packets
 *   filter <p>-SERVICES     new connections to a service port with no endpoints: REJECT (the
 *                           client fails at once); Local policy without local endpoints: DROP
 */
import { parseIpv4, parseIpv4Cidr, formatIpv4Cidr } from "../sandbox/ipv4-cidr";
import type { EndpointEntry, ServiceEntry, ServicePort } from "../services/catalog";
import { fixedChain, hashedChain } from "./chain-names";
import { selectEndpoints, type SelectedEndpoint } from "./endpoint-selection";

/** The mark bit kube-proxy uses for "masquerade this"; the CNI portmap plugin uses 0x2000. */
export const MASQUERADE_MARK = "0x4000";

export interface ProxyRuleInput {
  prefix: string;
  /** All pods' addresses; traffic from elsewhere to a service is masqueraded. */
  clusterCIDR: string;
  /** Nodes whose endpoints count as local for the Local traffic policies. */
  localNodes: ReadonlySet<string>;
  services: readonly ServiceEntry[];
  endpoints(namespace: string, name: string): EndpointEntry[];
}

export interface TableRules {
  /** Every chain of ours the table should hold (each is flushed and refilled). */
  chains: string[];
  /** Each rule as iptables arguments, starting with "-A <chain>". */
  rules: string[][];
}

export interface ProxyRuleSet {
  nat: TableRules;
  filter: TableRules;
  /** How many rules in all. */
  ruleCount: number;
}

const LOOPBACK = "127.0.0.0/8";

class TableBuilder {
  readonly chains: string[] = [];
  readonly rules: string[][] = [];
  private readonly known = new Set<string>();

  chain(name: string): string {
    if (!this.known.has(name)) {
      this.known.add(name);
      this.chains.push(name);
    }
    return name;
  }

  add(chain: string, ...args: string[]): void {
    this.rules.push(["-A", chain, ...args]);
  }

  build(): TableRules {
    return { chains: [...this.chains], rules: this.rules };
  }
}

function isIpv4(ip: string): boolean {
  return parseIpv4(ip) !== undefined;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

function protocolMatch(port: ServicePort): string[] {
  const p = port.protocol.toLowerCase();
  return ["-p", p, "-m", p];
}

function comment(text: string): string[] {
  return ["-m", "comment", "--comment", text];
}

/** "namespace/name:port" as kube-proxy prints a service port (no ":" for an unnamed port). */
function portLabel(svc: ServiceEntry, port: ServicePort): string {
  return `${svc.namespace}/${svc.name}${port.name ? `:${port.name}` : ""}`;
}

/**
 * @example
 * const rules = buildProxyRules({ prefix: "n1", clusterCIDR: "10.244.0.0/16", localNodes: new Set(["n1"]), services, endpoints });
 * rules.nat.rules[0]; // ["-A", "n1-SERVICES", "-d", "10.96.0.10/32", "-p", "tcp", ...]
 */
export function buildProxyRules(input: ProxyRuleInput): ProxyRuleSet {
  const clusterCIDR = formatIpv4Cidr(parseIpv4Cidr(input.clusterCIDR));
  const p = input.prefix;
  const nat = new TableBuilder();
  const filter = new TableBuilder();
  const services = nat.chain(fixedChain(p, "SERVICES"));
  const nodePorts = nat.chain(fixedChain(p, "NODEPORTS"));
  const postrouting = nat.chain(fixedChain(p, "POSTROUTING"));
  const markMasq = nat.chain(fixedChain(p, "MARK-MASQ"));
  const rejects = filter.chain(fixedChain(p, "SERVICES"));

  nat.add(markMasq, "-j", "MARK", "--or-mark", MASQUERADE_MARK);
  nat.add(postrouting, "-m", "mark", "!", "--mark", `${MASQUERADE_MARK}/${MASQUERADE_MARK}`, "-j", "RETURN");
  // Cleared so the packet, should it be looked at again (a second pass through the bridge), is not marked twice.
  nat.add(postrouting, "-j", "MARK", "--xor-mark", MASQUERADE_MARK);
  nat.add(postrouting, ...comment("service traffic requiring SNAT"), "-j", "MASQUERADE", "--random-fully");

  const sorted = [...input.services].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  for (const svc of sorted) {
    if (svc.type === "ExternalName" || svc.headless) continue;
    const endpoints = input.endpoints(svc.namespace, svc.name);
    for (const port of svc.ports) servicePortRules(svc, port, endpoints);
  }

  nat.add(services, ...comment("service nodeports; must be the last rule of this chain"), "-m", "addrtype", "--dst-type", "LOCAL", "!", "-d", LOOPBACK, "-j", nodePorts);

  const natRules = nat.build();
  const filterRules = filter.build();
  return { nat: natRules, filter: filterRules, ruleCount: natRules.rules.length + filterRules.rules.length };

  function servicePortRules(svc: ServiceEntry, port: ServicePort, endpoints: EndpointEntry[]): void {
    const label = portLabel(svc, port);
    const key = `${svc.namespace}/${svc.name}:${port.name ?? ""}/${port.protocol}`;
    const clusterIPs = unique(svc.clusterIPs.filter(isIpv4));
    const externalIPs = unique(svc.externalIPs.filter(isIpv4));
    const lbIPs = svc.type === "LoadBalancer" ? unique(svc.loadBalancerIPs.filter(isIpv4)).filter((ip) => !externalIPs.includes(ip)) : [];
    const nodePort = (svc.type === "NodePort" || svc.type === "LoadBalancer") && port.nodePort ? port.nodePort : undefined;
    const hasExternal = externalIPs.length > 0 || lbIPs.length > 0 || nodePort !== undefined;
    const internalLocal = svc.internalTrafficPolicy === "Local";
    const externalLocal = svc.externalTrafficPolicy === "Local" && hasExternal;

    const eps = selectEndpoints(port, endpoints, (node) => node !== undefined && input.localNodes.has(node));
    const hasEndpoints = eps.cluster.length > 0;
    const hasLocal = eps.local.length > 0;
    const dport = [...protocolMatch(port), "--dport", String(port.port)];
    const externalDsts: [string, string][] = [...externalIPs.map((ip): [string, string] => [ip, "external IP"]), ...lbIPs.map((ip): [string, string] => [ip, "loadbalancer IP"])];

    if (!hasEndpoints) {
      for (const ip of clusterIPs) filter.add(rejects, "-d", `${ip}/32`, ...dport, ...comment(`${label} has no endpoints`), "-j", "REJECT");
      for (const [ip] of externalDsts) filter.add(rejects, "-d", `${ip}/32`, ...dport, ...comment(`${label} has no endpoints`), "-j", "REJECT");
      if (nodePort !== undefined) {
        filter.add(rejects, "-m", "addrtype", "--dst-type", "LOCAL", ...protocolMatch(port), "--dport", String(nodePort), ...comment(`${label} has no endpoints`), "-j", "REJECT");
      }
      return;
    }

    const svcChain = hashedChain(p, "SVC", key);
    const svlChain = hashedChain(p, "SVL", key);
    const extChain = hashedChain(p, "EXT", key);
    const needsCluster = !internalLocal || hasExternal;
    const needsLocal = (internalLocal || externalLocal) && hasLocal;

    // Cluster IPs
    for (const ip of clusterIPs) {
      if (internalLocal && !hasLocal) {
        filter.add(rejects, "-d", `${ip}/32`, ...dport, ...comment(`${label} has no local endpoints`), "-j", "DROP");
        continue;
      }
      nat.add(services, "-d", `${ip}/32`, ...dport, ...comment(`${label} cluster IP`), "-j", internalLocal ? nat.chain(svlChain) : nat.chain(svcChain));
    }

    // External IPs, load-balancer IPs and the node port
    if (hasExternal) {
      nat.chain(extChain);
      for (const [ip, what] of externalDsts) nat.add(services, "-d", `${ip}/32`, ...dport, ...comment(`${label} ${what}`), "-j", extChain);
      if (nodePort !== undefined) nat.add(nodePorts, ...protocolMatch(port), "--dport", String(nodePort), ...comment(label), "-j", extChain);
      if (!externalLocal) {
        nat.add(extChain, ...comment(`masquerade traffic for ${label} external destinations`), "-j", markMasq);
        nat.add(extChain, "-j", nat.chain(svcChain));
      } else {
        // Pods and the node itself may use a Local service's external address: they get every endpoint.
        nat.add(extChain, "-s", clusterCIDR, ...comment(`pod traffic for ${label} external destinations`), "-j", nat.chain(svcChain));
        nat.add(extChain, ...comment(`masquerade LOCAL traffic for ${label} external destinations`), "-m", "addrtype", "--src-type", "LOCAL", "-j", markMasq);
        nat.add(extChain, ...comment(`route LOCAL traffic for ${label} external destinations`), "-m", "addrtype", "--src-type", "LOCAL", "-j", svcChain);
        if (hasLocal) nat.add(extChain, "-j", nat.chain(svlChain));
        else {
          for (const [ip] of externalDsts) filter.add(rejects, "-d", `${ip}/32`, ...dport, ...comment(`${label} has no local endpoints`), "-j", "DROP");
          if (nodePort !== undefined) {
            filter.add(rejects, "-m", "addrtype", "--dst-type", "LOCAL", ...protocolMatch(port), "--dport", String(nodePort), ...comment(`${label} has no local endpoints`), "-j", "DROP");
          }
        }
      }
    }

    if (needsCluster) {
      nat.chain(svcChain);
      for (const ip of clusterIPs) nat.add(svcChain, "!", "-s", clusterCIDR, "-d", `${ip}/32`, ...dport, ...comment(`${label} cluster IP`), "-j", markMasq);
      balance(svcChain, eps.cluster);
    }
    if (needsLocal) balance(nat.chain(svlChain), eps.local);

    const endpointChains = new Map<string, SelectedEndpoint>();
    for (const ep of [...(needsCluster ? eps.cluster : []), ...(needsLocal ? eps.local : [])]) endpointChains.set(sepChain(ep), ep);
    for (const [chain, ep] of endpointChains) {
      nat.chain(chain);
      nat.add(chain, "-s", `${ep.ip}/32`, ...comment(label), "-j", markMasq);
      const affinity = svc.sessionAffinity === "ClientIP" ? ["-m", "recent", "--name", chain, "--mask", "255.255.255.255", "--rsource", "--set"] : [];
      nat.add(chain, ...protocolMatch(port).slice(0, 2), ...comment(label), ...affinity, "-m", port.protocol.toLowerCase(), "-j", "DNAT", "--to-destination", `${ep.ip}:${ep.port}`);
    }

    function sepChain(ep: SelectedEndpoint): string {
      return hashedChain(p, "SEP", `${key}/${ep.ip}:${ep.port}`);
    }

    function balance(chain: string, targets: SelectedEndpoint[]): void {
      if (svc.sessionAffinity === "ClientIP") {
        for (const ep of targets) {
          const sep = sepChain(ep);
          nat.add(chain, ...comment(`${label} -> ${ep.ip}:${ep.port}`), "-m", "recent", "--name", sep, "--mask", "255.255.255.255", "--rsource", "--rcheck", "--seconds", String(svc.affinityTimeoutSeconds), "--reap", "-j", sep);
        }
      }
      targets.forEach((ep, i) => {
        const left = targets.length - i;
        const chance = left > 1 ? ["-m", "statistic", "--mode", "random", "--probability", (1 / left).toFixed(10)] : [];
        nat.add(chain, ...comment(`${label} -> ${ep.ip}:${ep.port}`), ...chance, "-j", sepChain(ep));
      });
    }
  }
}
