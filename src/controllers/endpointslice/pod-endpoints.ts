/**
 * Pod facts both endpoint controllers use (upstream's endpointslice util and podutil): which
 * pods a Service selects, which of them belong in its endpoints, their address, readiness and
 * the container port a service port reaches.
 */

import { StatusError } from "../../api/status";

type Obj = Record<string, any>;

/** A create refused because the namespace is going away: nothing left to do there. */
export function isNamespaceTerminating(e: unknown): boolean {
  return e instanceof StatusError && (e.details?.causes ?? []).some((c) => c.reason === "NamespaceTerminating");
}

/** A Service's selector as a plain map; empty means "no selector" (user-managed endpoints). */
export function selectorOf(svc: Obj): Record<string, string> {
  const sel = svc.spec?.selector;
  return sel && typeof sel === "object" ? sel : {};
}

export function hasSelector(svc: Obj): boolean {
  return Object.keys(selectorOf(svc)).length > 0;
}

/** Whether a (non-empty) service selector matches a set of labels: every pair must be there. */
export function selectorMatches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((k) => labels?.[k] === selector[k]);
}

/** The pod's IPv4 address, from podIPs (or the older podIP). */
export function podIPv4(pod: Obj): string | undefined {
  const ips: string[] = (pod.status?.podIPs ?? []).map((p: Obj) => p.ip).filter((ip: unknown) => typeof ip === "string");
  if (!ips.length && typeof pod.status?.podIP === "string") ips.push(pod.status.podIP);
  return ips.find((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip));
}

export function isPodReady(pod: Obj): boolean {
  return (pod.status?.conditions ?? []).some((c: Obj) => c.type === "Ready" && c.status === "True");
}

export function isTerminating(pod: Obj): boolean {
  return Boolean(pod.metadata?.deletionTimestamp);
}

/**
 * Upstream's ShouldPodBeInEndpoints: a pod with an address that has not finished; a terminating
 * one only when asked (EndpointSlices keep them, marked terminating; Endpoints drop them).
 */
export function shouldPodBeInEndpoints(pod: Obj, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return false;
  if (!podIPv4(pod)) return false;
  return includeTerminating || !isTerminating(pod);
}

/** Containers whose ports a service may target: app containers and sidecars. */
function portContainers(pod: Obj): Obj[] {
  const sidecars = (pod.spec?.initContainers ?? []).filter((c: Obj) => c.restartPolicy === "Always");
  return [...(pod.spec?.containers ?? []), ...sidecars];
}

/**
 * The port number a service port reaches on this pod: a number targetPort as is, a named one
 * looked up among the pod's container ports (same protocol); undefined when the pod has none.
 * @example findPort(pod, { port: 80, targetPort: "http", protocol: "TCP" }) // 8080 when a container names 8080 "http"
 */
export function findPort(pod: Obj, svcPort: Obj): number | undefined {
  const target = svcPort.targetPort;
  if (typeof target === "number" && target > 0) return target;
  if (typeof target !== "string" || target === "") return svcPort.port;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = svcPort.protocol ?? "TCP";
  for (const c of portContainers(pod)) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? "TCP") === protocol) return p.containerPort;
  }
  return undefined;
}

/** The pod's DNS hostname under this service: set when its subdomain names the service. */
export function endpointHostname(pod: Obj, svc: Obj): string | undefined {
  const hostname = pod.spec?.hostname;
  if (!hostname || pod.spec?.subdomain !== svc.metadata?.name || pod.metadata?.namespace !== svc.metadata?.namespace) return undefined;
  return hostname;
}

/** The object reference an endpoint carries to its pod. */
export function podRef(pod: Obj): Obj {
  return { kind: "Pod", namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}

/**
 * The parts of a pod the endpoint controllers read; a change elsewhere (a container restart
 * count, an annotation) needs no reconcile.
 */
export function endpointFacts(pod: Obj): string {
  return JSON.stringify([
    pod.metadata?.labels ?? {},
    pod.metadata?.deletionTimestamp ?? null,
    pod.status?.phase ?? null,
    podIPv4(pod) ?? null,
    isPodReady(pod),
    pod.spec?.nodeName ?? null,
    pod.spec?.hostname ?? null,
    pod.spec?.subdomain ?? null,
  ]);
}
