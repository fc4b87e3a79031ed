/**
 * The Node status a kubelet posts: its resources, system facts, addresses, images and the
 * conditions the node lifecycle controller reads. Pure, so the reporter and registration share it.
 */
import { rfc3339 } from "../../src/lib/clock";
import type { NodeFacts } from "./node-info";

type Obj = Record<string, any>;

export interface NodeImage {
  names: string[];
  sizeBytes: number;
}

export interface NodeCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastHeartbeatTime: string;
  lastTransitionTime: string;
}

/** A kubelet lists at most this many images, the largest first (--node-status-max-images). */
export const MAX_STATUS_IMAGES = 50;

/** The conditions of a healthy node, in a kubelet's order and with its words. */
const HEALTHY: Omit<NodeCondition, "lastHeartbeatTime" | "lastTransitionTime">[] = [
  { type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory", message: "kubelet has sufficient memory available" },
  { type: "DiskPressure", status: "False", reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure" },
  { type: "PIDPressure", status: "False", reason: "KubeletHasSufficientPID", message: "kubelet has sufficient PID available" },
  { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" },
];

/**
 * The node's conditions now. A condition keeps the transition time it has on the server while
 * its status stays the same; one that changes (Unknown after an outage → True) starts anew.
 */
export function nodeConditions(current: readonly Obj[] | undefined, now: number): NodeCondition[] {
  const ts = rfc3339(now);
  return HEALTHY.map((c) => {
    const before = (current ?? []).find((x) => x?.type === c.type);
    const since = before?.status === c.status && typeof before.lastTransitionTime === "string" ? before.lastTransitionTime : ts;
    return { ...c, lastHeartbeatTime: ts, lastTransitionTime: since };
  });
}

/** The images to report: the largest first, at most MAX_STATUS_IMAGES, none without a name. */
export function statusImages(images: readonly NodeImage[]): NodeImage[] {
  return images
    .filter((i) => i.names.length > 0)
    .map((i) => ({ names: [...i.names], sizeBytes: i.sizeBytes }))
    .sort((a, b) => b.sizeBytes - a.sizeBytes || (a.names[0] < b.names[0] ? -1 : 1))
    .slice(0, MAX_STATUS_IMAGES);
}

/** Resources, system facts and addresses: the part of the status that registration posts. */
export function factsStatus(facts: NodeFacts): Obj {
  return {
    capacity: { ...facts.capacity },
    allocatable: { ...facts.allocatable },
    nodeInfo: { ...facts.nodeInfo },
    addresses: facts.addresses.map((a) => ({ ...a })),
  };
}

/** The full status a ready node posts. */
export function nodeStatus(facts: NodeFacts, images: readonly NodeImage[], currentConditions: readonly Obj[] | undefined, now: number): Obj {
  return { ...factsStatus(facts), images: statusImages(images), conditions: nodeConditions(currentConditions, now) };
}

const OWN_CONDITIONS = new Set(HEALTHY.map((c) => c.type));

/**
 * What a status says about what this agent reports, without heartbeat times: two statuses with
 * the same fingerprint need no new post before the periodic one. Conditions other components
 * own are left out.
 */
export function statusFingerprint(status: Obj | undefined): string {
  const s = status ?? {};
  const conditions = [...(s.conditions ?? [])]
    .filter((c: Obj) => OWN_CONDITIONS.has(c?.type))
    .map((c: Obj) => ({ type: c.type, status: c.status, reason: c.reason ?? "", message: c.message ?? "" }))
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return JSON.stringify([sorted(s.capacity), sorted(s.allocatable), sorted(s.nodeInfo), s.addresses ?? [], s.images ?? [], conditions]);
}

function sorted(o: Obj | undefined): [string, unknown][] {
  return Object.entries(o ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
}
