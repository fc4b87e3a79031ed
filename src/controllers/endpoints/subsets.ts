/**
 * The subsets of a Service's legacy Endpoints object (upstream's endpoints controller and
 * RepackSubsets): ready pods under `addresses`, the others under `notReadyAddresses`, addresses
 * with the same resolved ports grouped into one subset, everything sorted so that an unchanged
 * service yields an identical object.
 */
import { endpointHostname, findPort, isPodReady, podIPv4, podRef, shouldPodBeInEndpoints } from "../endpointslice/pod-endpoints";

type Obj = Record<string, any>;

/** Upstream truncates an Endpoints object past this many addresses (and says so in an annotation). */
export const MAX_ENDPOINT_ADDRESSES = 1000;

interface Member {
  readonly address: Obj;
  readonly ready: boolean;
  readonly ports: Obj[];
}

function endpointPort(sp: Obj, port: number): Obj {
  const p: Obj = { port, protocol: sp.protocol ?? "TCP" };
  if (sp.name) p.name = sp.name;
  if (sp.appProtocol) p.appProtocol = sp.appProtocol;
  return p;
}

function addressOf(pod: Obj, svc: Obj, ip: string): Obj {
  const a: Obj = { ip };
  const hostname = endpointHostname(pod, svc);
  if (hostname) a.hostname = hostname;
  if (pod.spec?.nodeName) a.nodeName = pod.spec.nodeName;
  a.targetRef = podRef(pod);
  return a;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const portOrder = (a: Obj, b: Obj) => compare(`${a.name ?? ""}/${a.port}/${a.protocol}`, `${b.name ?? ""}/${b.port}/${b.protocol}`);
const addressOrder = (a: Obj, b: Obj) => compare(`${a.ip}/${a.targetRef?.uid ?? ""}`, `${b.ip}/${b.targetRef?.uid ?? ""}`);

/** The members a pod contributes: one per pod, with the ports it resolves. */
function memberOf(svc: Obj, pod: Obj): Member | undefined {
  const publishAll = svc.spec?.publishNotReadyAddresses === true;
  if (!shouldPodBeInEndpoints(pod, publishAll)) return undefined;
  const address = addressOf(pod, svc, podIPv4(pod)!);
  const ready = publishAll || isPodReady(pod);
  const svcPorts: Obj[] = svc.spec?.ports ?? [];
  if (svcPorts.length === 0) return svc.spec?.clusterIP === "None" ? { address, ready, ports: [] } : undefined;
  const ports: Obj[] = [];
  for (const sp of svcPorts) {
    const port = findPort(pod, sp);
    if (port !== undefined) ports.push(endpointPort(sp, port));
  }
  return ports.length ? { address, ready, ports: ports.sort(portOrder) } : undefined;
}

/** Drops addresses past the cap, not-ready ones first; true when anything was dropped. */
function truncate(members: Member[]): boolean {
  if (members.length <= MAX_ENDPOINT_ADDRESSES) return false;
  const ready = members.filter((m) => m.ready);
  const notReady = members.filter((m) => !m.ready);
  const kept = [...ready, ...notReady].slice(0, MAX_ENDPOINT_ADDRESSES);
  members.splice(0, members.length, ...kept);
  return true;
}

export interface EndpointsContent {
  readonly subsets: Obj[];
  /** More than MAX_ENDPOINT_ADDRESSES addresses: some were left out. */
  readonly truncated: boolean;
}

/**
 * Builds the subsets for the pods the service selects.
 * @example endpointsSubsets(svc, pods).subsets // [{ addresses: [{ ip: "10.244.0.5", ... }], ports: [{ name: "http", port: 8080, protocol: "TCP" }] }]
 */
export function endpointsSubsets(svc: Obj, pods: readonly Obj[]): EndpointsContent {
  const members = pods.map((p) => memberOf(svc, p)).filter((m): m is Member => m !== undefined);
  const truncated = truncate(members);
  const byPorts = new Map<string, { ports: Obj[]; addresses: Obj[]; notReady: Obj[] }>();
  for (const m of members) {
    const key = JSON.stringify(m.ports);
    let s = byPorts.get(key);
    if (!s) byPorts.set(key, (s = { ports: m.ports, addresses: [], notReady: [] }));
    (m.ready ? s.addresses : s.notReady).push(m.address);
  }
  const subsets = [...byPorts.values()].map((s) => {
    const subset: Obj = {};
    if (s.addresses.length) subset.addresses = s.addresses.sort(addressOrder);
    if (s.notReady.length) subset.notReadyAddresses = s.notReady.sort(addressOrder);
    if (s.ports.length) subset.ports = s.ports;
    return subset;
  });
  const first = (s: Obj) => `${(s.addresses ?? s.notReadyAddresses)[0].ip}/${JSON.stringify(s.ports ?? [])}`;
  return { subsets: subsets.sort((a, b) => compare(first(a), first(b))), truncated };
}
