/**
 * Which endpoints a service port's traffic may go to, as kube-proxy decides it: the ready ones;
 * when none is ready, the ones still serving while they terminate (so a rolling update that
 * briefly has only terminating pods does not drop connections). The same rule applies again to
 * the node-local subset for the Local traffic policies.
 */
import { parseIpv4 } from "../sandbox/ipv4-cidr";
import type { EndpointEntry, ServicePort } from "../services/catalog";

export interface SelectedEndpoint {
  ip: string;
  port: number;
  nodeName?: string;
}

export interface PortEndpoints {
  /** Where traffic with the Cluster policy goes. */
  cluster: SelectedEndpoint[];
  /** Where traffic with the Local policy goes: endpoints on this node (or this machine). */
  local: SelectedEndpoint[];
}

interface Candidate extends SelectedEndpoint {
  ready: boolean;
  servingTerminating: boolean;
}

/** The endpoint port serving `servicePort`: the slice port with the same name and protocol. */
function endpointPort(entry: EndpointEntry, servicePort: ServicePort): number | undefined {
  const name = servicePort.name ?? "";
  return entry.ports.find((p) => (p.name ?? "") === name && p.protocol === servicePort.protocol)?.port;
}

function usable(candidates: Candidate[]): SelectedEndpoint[] {
  const ready = candidates.filter((c) => c.ready);
  const chosen = ready.length > 0 ? ready : candidates.filter((c) => c.servingTerminating);
  return chosen.map(({ ip, port, nodeName }) => ({ ip, port, ...(nodeName ? { nodeName } : {}) }));
}

/**
 * The IPv4 endpoints of one service port, in a stable order (by address, then port). An
 * endpoint listed by several slices counts once, with its best conditions.
 *
 * @example
 * selectEndpoints({ port: 80, protocol: "TCP", targetPort: 8080 }, endpoints, (node) => node === "n1");
 * // { cluster: [{ ip: "10.244.1.5", port: 8080, nodeName: "n1" }, ...], local: [...] }
 */
export function selectEndpoints(servicePort: ServicePort, endpoints: EndpointEntry[], isLocal: (nodeName: string | undefined) => boolean): PortEndpoints {
  const byTarget = new Map<string, Candidate>();
  for (const entry of endpoints) {
    const ip = entry.addresses[0];
    if (ip === undefined || parseIpv4(ip) === undefined) continue;
    const port = endpointPort(entry, servicePort);
    if (port === undefined) continue;
    const candidate: Candidate = {
      ip,
      port,
      ...(entry.nodeName ? { nodeName: entry.nodeName } : {}),
      ready: entry.ready,
      servingTerminating: entry.serving && entry.terminating,
    };
    const key = `${ip}:${port}`;
    const seen = byTarget.get(key);
    if (seen) {
      seen.ready ||= candidate.ready;
      seen.servingTerminating ||= candidate.servingTerminating;
    } else byTarget.set(key, candidate);
  }
  const all = [...byTarget.values()].sort((a, b) => parseIpv4(a.ip)! - parseIpv4(b.ip)! || a.port - b.port);
  return { cluster: usable(all), local: usable(all.filter((c) => isLocal(c.nodeName))) };
}
