/**
 * The endpoints a Service should have, grouped by the ports they serve (upstream's
 * endpointslice reconciler input): pods whose named target ports resolve differently end up in
 * different groups, and so in different EndpointSlices.
 */
import { endpointHostname, findPort, isPodReady, isTerminating, podIPv4, podRef, shouldPodBeInEndpoints } from "./pod-endpoints";

type Obj = Record<string, any>;

/** Endpoints that serve the same ports. */
export interface EndpointGroup {
  readonly ports: Obj[];
  readonly endpoints: Obj[];
}

/** Identifies a group: its ports, in the service's order. */
export function portsKey(ports: readonly Obj[] | undefined): string {
  return JSON.stringify((ports ?? []).map((p) => [p.name ?? "", p.port ?? null, p.protocol ?? "TCP", p.appProtocol ?? null]));
}

/** Identifies an endpoint across reconciles: its address and pod. */
export function endpointKey(ep: Obj): string {
  return `${(ep.addresses ?? [])[0] ?? ""}/${ep.targetRef?.uid ?? ""}`;
}

/** The EndpointSlice ports a pod serves for the service (ports it cannot resolve are left out). */
function portsFor(svc: Obj, pod: Obj): Obj[] {
  const out: Obj[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: Obj = { name: sp.name ?? "", port, protocol: sp.protocol ?? "TCP" };
    if (sp.appProtocol) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

/**
 * One pod's endpoint. Ready means Ready and not terminating; serving ignores termination;
 * publishNotReadyAddresses makes every endpoint ready and serving.
 */
export function endpointFor(svc: Obj, pod: Obj, zone: string | undefined): Obj {
  const publishAll = svc.spec?.publishNotReadyAddresses === true;
  const terminating = isTerminating(pod);
  const serving = publishAll || isPodReady(pod);
  const ep: Obj = {
    addresses: [podIPv4(pod)],
    conditions: { ready: publishAll || (serving && !terminating), serving, terminating },
  };
  const hostname = endpointHostname(pod, svc);
  if (hostname) ep.hostname = hostname;
  ep.targetRef = podRef(pod);
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  if (zone) ep.zone = zone;
  return ep;
}

/**
 * The service's endpoints by ports key.
 * @param zoneOf the topology zone of a node, if it has one
 */
export function desiredGroups(svc: Obj, pods: readonly Obj[], zoneOf: (node: string) => string | undefined): Map<string, EndpointGroup> {
  const groups = new Map<string, EndpointGroup>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = portsFor(svc, pod);
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    g.endpoints.push(endpointFor(svc, pod, pod.spec?.nodeName ? zoneOf(pod.spec.nodeName) : undefined));
  }
  return groups;
}
