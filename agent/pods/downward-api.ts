/**
 * The downward API: a pod's own fields and its containers' resources, as the kubelet hands them
 * to environment variables (`valueFrom.fieldRef`, `valueFrom.resourceFieldRef`) and to
 * downwardAPI volume files.
 */
import { parseQuantity } from "../../src/lib/quantity";
import { ContainerConfigError } from "./config-error";
import { goQuote } from "./go-quote";
import type { Container, Pod } from "./pod-spec";

/** What only the node knows about a running pod. */
export interface PodRuntimeFacts {
  nodeName?: string;
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  hostIPs?: string[];
}

export interface FieldSelector {
  apiVersion?: string;
  fieldPath: string;
}

export interface ResourceSelector {
  containerName?: string;
  resource: string;
  divisor?: string | number;
}

/** Quantities by resource name, as in a Node's `status.allocatable`. */
export type ResourceList = Record<string, string | number>;

/**
 * The value of an ObjectFieldSelector. A whole label or annotation map is written one
 * `key="value"` line per entry, sorted by key.
 * @example podFieldValue(pod, { fieldPath: "metadata.labels['app']" }, facts) // "web"
 */
export function podFieldValue(pod: Pod, selector: FieldSelector, facts: PodRuntimeFacts): string {
  const version = selector.apiVersion || "v1";
  if (version !== "v1") throw new ContainerConfigError(`unsupported pod version: ${version}`);
  const path = selector.fieldPath;
  const podIPs = firstKnown(facts.podIPs, facts.podIP) ?? statusIPs(pod.status?.podIPs, pod.status?.podIP);
  const hostIPs = firstKnown(facts.hostIPs, facts.hostIP) ?? statusIPs(pod.status?.hostIPs, pod.status?.hostIP);
  switch (path) {
    case "spec.nodeName":
      return pod.spec?.nodeName || facts.nodeName || "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "";
    case "status.hostIP":
      return hostIPs[0] ?? "";
    case "status.hostIPs":
      return hostIPs.join(",");
    case "status.podIP":
      return podIPs[0] ?? "";
    case "status.podIPs":
      return podIPs.join(",");
  }
  return metadataFieldValue(pod.metadata ?? {}, path);
}

/** The node's own addresses for the pod, when it has any. */
function firstKnown(list: (string | undefined)[] | undefined, single: string | undefined): string[] | undefined {
  const known = (list ?? []).filter((ip): ip is string => !!ip);
  if (known.length) return known;
  return single ? [single] : undefined;
}

function statusIPs(list: unknown, single: unknown): string[] {
  if (Array.isArray(list) && list.length > 0) return list.map((e) => String(e?.ip ?? "")).filter(Boolean);
  return typeof single === "string" && single ? [single] : [];
}

function metadataFieldValue(meta: Record<string, any>, path: string): string {
  const subscripted = /^(metadata\.(?:labels|annotations))\['(.+)'\]$/.exec(path);
  if (subscripted) {
    const map = subscripted[1] === "metadata.labels" ? meta.labels : meta.annotations;
    return map?.[subscripted[2]] ?? "";
  }
  switch (path) {
    case "metadata.name":
      return meta.name ?? "";
    case "metadata.namespace":
      return meta.namespace ?? "";
    case "metadata.uid":
      return meta.uid ?? "";
    case "metadata.labels":
      return formatMap(meta.labels);
    case "metadata.annotations":
      return formatMap(meta.annotations);
  }
  throw new ContainerConfigError(`unsupported fieldPath: ${path}`);
}

function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(String(map![k]))}`)
    .join("\n");
}

const DEFAULTED_LIMITS = ["cpu", "memory", "ephemeral-storage"];

/**
 * The value of a ResourceFieldSelector, in whole units of its divisor, rounded up.
 * An unset limit reads as the node's allocatable amount, since that is the most the container
 * can get; an unset request reads as 0.
 * @example resourceFieldValue(pod, c, { resource: "limits.memory", divisor: "1Mi" }) // "128"
 */
export function resourceFieldValue(pod: Pod, container: Container | undefined, selector: ResourceSelector, nodeAllocatable: ResourceList = {}): string {
  const target = selector.containerName ? findContainer(pod, selector.containerName) : container;
  if (!target) throw new ContainerConfigError(`container ${selector.containerName ?? ""} not found`);
  const [kind, name] = splitResource(selector.resource);
  const list: ResourceList = { ...(target.resources?.[kind] ?? {}) };
  if (kind === "limits") for (const r of DEFAULTED_LIMITS) if (list[r] === undefined && nodeAllocatable[r] !== undefined) list[r] = nodeAllocatable[r];
  const amount = milliOf(list[name] ?? 0);
  const divisor = milliOf(selector.divisor ?? 0) || 1000;
  if (name === "cpu") return String(Math.ceil(amount / divisor));
  // Memory-like resources count whole units on both sides (a quantity's Value() rounds up).
  return String(Math.ceil(Math.ceil(amount / 1000) / Math.ceil(divisor / 1000)));
}

function splitResource(resource: string): ["limits" | "requests", string] {
  const m = /^(limits|requests)\.(.+)$/.exec(resource);
  const name = m?.[2] ?? "";
  if (!m || !(["cpu", "memory", "ephemeral-storage"].includes(name) || name.startsWith("hugepages-"))) {
    throw new ContainerConfigError(`unsupported container resource : ${resource}`);
  }
  return [m[1] as "limits" | "requests", name];
}

function milliOf(q: string | number): number {
  return parseQuantity(q)?.milli ?? 0;
}

function findContainer(pod: Pod, name: string): Container | undefined {
  const all: Container[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return all.find((c) => c.name === name);
}
