/**
 * The scheduler's cache: one NodeInfo per node with the pods bound to it, kept current from the
 * changes the controller sees (node add/update/delete, pod bound/updated/deleted) so a
 * scheduling attempt never lists the store. Pods bound to a node the cache does not know yet
 * wait in a NodeInfo without a node object until the node appears.
 */
import { newPodInfo, type PodInfo } from "./framework";
import { NodeInfo, type ImageState } from "./node-info";

type Obj = Record<string, any>;

export function podKey(pod: Obj): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name}`;
}

/** Whether a pod takes room on its node: bound and not finished (Succeeded/Failed). */
export function occupiesNode(pod: Obj): boolean {
  const phase = pod.status?.phase;
  return Boolean(pod.spec?.nodeName) && phase !== "Succeeded" && phase !== "Failed";
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  /** Pod key → the node it is accounted on. */
  private readonly podNodes = new Map<string, string>();
  /** Pod key → what the accounting depends on, to skip re-accounting status-only updates. */
  private readonly podPrints = new Map<string, string>();
  /** Pod key → the resourceVersion last accounted (the same version is the same object). */
  private readonly podVersions = new Map<string, string>();
  /** Image name → how many nodes hold it. */
  private readonly imageNodes = new Map<string, number>();
  private list: NodeInfo[] | undefined;

  get nodeCount(): number {
    let n = 0;
    for (const ni of this.nodes.values()) if (ni.node) n++;
    return n;
  }
  get podCount(): number {
    return this.podNodes.size;
  }

  /** The NodeInfos of known nodes, in a stable order (callers must not change them). */
  nodeInfos(): NodeInfo[] {
    if (!this.list) this.list = [...this.nodes.values()].filter((n) => n.node);
    return this.list;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  /** The node a pod is accounted on, if any. */
  nodeOf(key: string): string | undefined {
    return this.podNodes.get(key);
  }

  addOrUpdateNode(node: Obj): void {
    const name: string = node.metadata?.name;
    let ni = this.nodes.get(name);
    if (ni?.node) this.countImages(ni, -1);
    if (!ni) {
      ni = new NodeInfo(undefined, name);
      this.nodes.set(name, ni);
    }
    const known = Boolean(ni.node);
    ni.setNode(node);
    this.shareImageCounts(ni);
    this.countImages(ni, 1);
    if (!known) this.list = undefined;
  }

  removeNode(name: string): void {
    const ni = this.nodes.get(name);
    if (!ni) return;
    if (ni.node) this.countImages(ni, -1);
    this.list = undefined;
    // Pods still bound to a deleted node stay accounted until they go (upstream keeps them too).
    if (ni.pods.length) {
      ni.node = undefined;
      ni.labels = {};
      ni.taints = [];
      ni.imageStates = new Map();
    } else this.nodes.delete(name);
  }

  /** Accounts a pod by its current state: added, moved or removed as its binding and phase say. */
  addOrUpdatePod(pod: Obj): void {
    const key = podKey(pod);
    if (!occupiesNode(pod)) {
      this.removePod(key);
      return;
    }
    const version: string | undefined = pod.metadata?.resourceVersion;
    if (version !== undefined && this.podVersions.get(key) === version) return;
    const print = JSON.stringify([pod.spec, pod.metadata?.labels, pod.metadata?.deletionTimestamp ?? null]);
    if (this.podPrints.get(key) === print && this.podNodes.get(key) === pod.spec.nodeName) {
      if (version !== undefined) this.podVersions.set(key, version);
      return;
    }
    this.removePod(key);
    this.addPodInfo(newPodInfo(pod));
    this.podPrints.set(key, print);
    if (version !== undefined) this.podVersions.set(key, version);
  }

  addPodInfo(p: PodInfo): void {
    const nodeName: string = p.pod.spec.nodeName;
    let ni = this.nodes.get(nodeName);
    if (!ni) {
      ni = new NodeInfo(undefined, nodeName);
      this.nodes.set(nodeName, ni);
    }
    ni.addPod(p);
    this.podNodes.set(p.key, nodeName);
  }

  removePod(key: string): void {
    const nodeName = this.podNodes.get(key);
    if (nodeName === undefined) return;
    this.podNodes.delete(key);
    this.podPrints.delete(key);
    this.podVersions.delete(key);
    const ni = this.nodes.get(nodeName);
    if (!ni) return;
    ni.removePod(key);
    if (!ni.node && ni.pods.length === 0) this.nodes.delete(nodeName);
  }

  clear(): void {
    this.nodes.clear();
    this.podNodes.clear();
    this.podPrints.clear();
    this.podVersions.clear();
    this.imageNodes.clear();
    this.list = undefined;
  }

  /** A comparable summary (node → sorted pod keys and requested sums), for consistency checks. */
  dump(): Record<string, { pods: string[]; milliCPU: number; memory: number; ports: string[]; known: boolean }> {
    const out: Record<string, { pods: string[]; milliCPU: number; memory: number; ports: string[]; known: boolean }> = {};
    for (const [name, ni] of [...this.nodes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      out[name] = {
        pods: ni.pods.map((p) => p.key).sort(),
        milliCPU: ni.requested.milliCPU,
        memory: ni.requested.memory,
        ports: [...ni.usedPorts.keys()].sort(),
        known: Boolean(ni.node),
      };
    }
    return out;
  }

  private countImages(ni: NodeInfo, sign: 1 | -1): void {
    for (const name of ni.imageStates.keys()) {
      const n = (this.imageNodes.get(name) ?? 0) + sign;
      if (n > 0) this.imageNodes.set(name, n);
      else this.imageNodes.delete(name);
    }
  }

  /** Makes numNodes of each image state read the cluster-wide count. */
  private shareImageCounts(ni: NodeInfo): void {
    const counts = this.imageNodes;
    const shared = new Map<string, ImageState>();
    for (const [name, st] of ni.imageStates) {
      shared.set(name, {
        size: st.size,
        get numNodes() {
          return counts.get(name) ?? 0;
        },
      });
    }
    ni.imageStates = shared;
  }
}

/** A cache built from full lists of nodes and pods. */
export function buildCache(nodes: readonly Obj[], pods: readonly Obj[]): SchedulerCache {
  const c = new SchedulerCache();
  for (const n of nodes) c.addOrUpdateNode(n);
  for (const p of pods) c.addOrUpdatePod(p);
  return c;
}
