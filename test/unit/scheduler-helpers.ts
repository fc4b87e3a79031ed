/** Fixtures for the scheduler tests: nodes, pods, and NodeInfos built through the cache. */
import { buildCache } from "../../src/scheduler/cache";
import { CycleState, newPodInfo, type NodeInfo, type PluginEnv, type PodInfo } from "../../src/scheduler/framework";

type Obj = Record<string, any>;

export interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: string;
  ephemeral?: string;
  labels?: Record<string, string>;
  taints?: Obj[];
  unschedulable?: boolean;
  images?: { names: string[]; sizeBytes: number }[];
  extra?: Record<string, string>;
}

export function node(name: string, s: NodeSpec = {}): Obj {
  const allocatable: Obj = { cpu: s.cpu ?? "4", memory: s.memory ?? "8Gi", pods: s.pods ?? "110", "ephemeral-storage": s.ephemeral ?? "100Gi", ...(s.extra ?? {}) };
  const n: Obj = {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...(s.labels ?? {}) } },
    spec: {},
    status: { allocatable, capacity: { ...allocatable } },
  };
  if (s.taints) n.spec.taints = s.taints;
  if (s.unschedulable) n.spec.unschedulable = true;
  if (s.images) n.status.images = s.images;
  return n;
}

export interface PodSpec {
  namespace?: string;
  labels?: Record<string, string>;
  requests?: Record<string, string>;
  limits?: Record<string, string>;
  nodeName?: string;
  containers?: Obj[];
  initContainers?: Obj[];
  overhead?: Record<string, string>;
  tolerations?: Obj[];
  nodeSelector?: Record<string, string>;
  affinity?: Obj;
  topologySpreadConstraints?: Obj[];
  hostPorts?: number[];
  image?: string;
  priority?: number;
  phase?: string;
}

export function pod(name: string, s: PodSpec = {}): Obj {
  const resources: Obj = {};
  if (s.requests) resources.requests = s.requests;
  if (s.limits) resources.limits = s.limits;
  const container: Obj = { name: "app", image: s.image ?? "nginx:1.25", resources };
  if (s.hostPorts) container.ports = s.hostPorts.map((p) => ({ containerPort: p, hostPort: p, protocol: "TCP" }));
  const p: Obj = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: s.namespace ?? "default", labels: { ...(s.labels ?? {}) } },
    spec: { containers: s.containers ?? [container], schedulerName: "default-scheduler" },
    status: { phase: s.phase ?? "Pending" },
  };
  if (s.initContainers) p.spec.initContainers = s.initContainers;
  if (s.overhead) p.spec.overhead = s.overhead;
  if (s.tolerations) p.spec.tolerations = s.tolerations;
  if (s.nodeSelector) p.spec.nodeSelector = s.nodeSelector;
  if (s.affinity) p.spec.affinity = s.affinity;
  if (s.topologySpreadConstraints) p.spec.topologySpreadConstraints = s.topologySpreadConstraints;
  if (s.nodeName) p.spec.nodeName = s.nodeName;
  if (s.priority !== undefined) p.spec.priority = s.priority;
  return p;
}

/** NodeInfos for these nodes with these bound pods. */
export function infos(nodes: Obj[], pods: Obj[] = []): NodeInfo[] {
  return buildCache(nodes, pods).nodeInfos();
}

export function infoOf(n: Obj, pods: Obj[] = []): NodeInfo {
  return infos([n], pods)[0];
}

export function pi(p: Obj): PodInfo {
  return newPodInfo(p);
}

export function state(env: PluginEnv = {}): CycleState {
  return new CycleState(env);
}
