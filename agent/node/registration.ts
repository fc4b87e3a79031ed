/**
 * Registering the node as a kubelet does: create the Node with its labels and registration
 * taints, or, when it exists (a restart, a re-join), bring the labels it owns up to date; then
 * post its resources, system facts and addresses.
 */
import { ApiError, isUnreachable } from "../api/api-error";
import type { ApiClient } from "../api/client";
import type { NodeFacts } from "./node-info";
import { factsStatus } from "./node-status";

type Obj = Record<string, any>;

export interface Taint {
  key: string;
  value?: string;
  effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface RegisterNodeOptions {
  name: string;
  /** Labels beyond the kubernetes.io/hostname, os and arch ones every node gets. */
  labels?: Record<string, string>;
  /**
   * spec.taints of a new Node. A node may not change its taints afterwards (NodeRestriction),
   * so an existing Node keeps the ones it has, as with a kubelet's --register-with-taints.
   */
  taints?: Taint[];
  facts: NodeFacts;
  /** Ask for this pod range instead of one from the node IPAM controller (new Node only). */
  podCIDR?: string;
}

export type NodeApi = Pick<ApiClient, "get" | "create" | "patch">;

const nodePath = (name: string) => `/api/v1/nodes/${encodeURIComponent(name)}`;

/** The labels the node sets on itself. */
export function nodeLabels(opts: Pick<RegisterNodeOptions, "name" | "labels" | "facts">): Record<string, string> {
  return {
    "kubernetes.io/hostname": opts.name,
    "kubernetes.io/os": opts.facts.nodeInfo.operatingSystem,
    "kubernetes.io/arch": opts.facts.nodeInfo.architecture,
    ...opts.labels,
  };
}

/**
 * Creates or updates the node's Node object and posts its facts; returns the Node as stored.
 * Conditions (Ready) are the status reporter's to post.
 *
 * @example const node = await registerNode(client, { name: "n1", labels: { disk: "ssd" }, facts })
 */
export async function registerNode(client: NodeApi, opts: RegisterNodeOptions): Promise<Obj> {
  const labels = nodeLabels(opts);
  const spec: Obj = {};
  if (opts.taints?.length) spec.taints = opts.taints.map((t) => ({ ...t }));
  if (opts.podCIDR) Object.assign(spec, { podCIDR: opts.podCIDR, podCIDRs: [opts.podCIDR] });
  try {
    await client.create("/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: opts.name, labels }, spec });
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 409)) throw e;
    const existing = await client.get(nodePath(opts.name));
    const stale = Object.fromEntries(Object.entries(labels).filter(([k, v]) => existing?.metadata?.labels?.[k] !== v));
    if (Object.keys(stale).length) await client.patch(nodePath(opts.name), { metadata: { labels: stale } }, "merge");
  }
  return client.patch(`${nodePath(opts.name)}/status`, { status: factsStatus(opts.facts) }, "strategic");
}

export interface WaitForPodCIDROptions {
  /** Between two looks at the Node (default 500 ms). */
  intervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the node IPAM controller has given the Node its spec.podCIDR and returns it.
 * Keeps looking while the server is away; gives up after `timeoutMs`.
 *
 * @example const cidr = await waitForPodCIDR(client, "n1", 30_000) // "10.244.3.0/24"
 */
export async function waitForPodCIDR(client: Pick<ApiClient, "get">, name: string, timeoutMs: number, opts: WaitForPodCIDROptions = {}): Promise<string> {
  const interval = opts.intervalMs ?? 500;
  const sleep = opts.sleep ?? defaultSleep;
  let waited = 0;
  let lastError: unknown;
  for (;;) {
    try {
      const node = await client.get(nodePath(name));
      if (node?.spec?.podCIDR) return node.spec.podCIDR;
      lastError = undefined;
    } catch (e) {
      if (!isUnreachable(e)) throw e;
      lastError = e;
    }
    if (waited >= timeoutMs) {
      const why = lastError ? `: the API server is unreachable (${(lastError as Error).message})` : "; is the node IPAM controller running?";
      throw new Error(`node ${name} got no spec.podCIDR within ${timeoutMs} ms${why}`);
    }
    const step = Math.min(interval, timeoutMs - waited);
    await sleep(step);
    waited += step;
  }
}
