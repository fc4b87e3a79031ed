/** The objects a simulated node writes: its Node, its status, and its pods' status. */

type Obj = Record<string, any>;

/** RFC 3339 with second precision, as metav1.Time serializes. */
function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** A simulated node's address: 10.255.<i>.1, from the number at the end of its name. */
function nodeIP(name: string): string {
  const n = Number(/(\d+)$/.exec(name)?.[1] ?? 0);
  return `10.255.${n % 256}.1`;
}

let podCounter = 0;

/** Resource amounts a simulated node reports (Kubernetes quantities). */
export interface SimResources {
  cpu?: string;
  memory?: string;
  pods?: string;
  "ephemeral-storage"?: string;
}

/** What makes one simulated node differ from the others. */
export interface SimNodeShape {
  /** Extra labels, merged over kubernetes.io/hostname, kubernetes.io/os and type=sim. */
  labels?: Record<string, string>;
  /** spec.taints at registration. */
  taints?: Obj[];
  /** status.capacity (default: 32 cpu, 128Gi memory, 1100 pods, 500Gi ephemeral storage). */
  capacity?: SimResources;
  /** status.allocatable (default: the capacity). */
  allocatable?: SimResources;
  /** Images already present on the node (status.images), each with a size in bytes. */
  images?: { names: string[]; sizeBytes: number }[];
}

const DEFAULT_RESOURCES = { cpu: "32", memory: "128Gi", pods: "1100", "ephemeral-storage": "500Gi" };

/** A Node object as a kubelet registers it; the label marks it as simulated. */
export function simNode(name: string, shape: SimNodeShape = {}): Obj {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "type": "sim", ...shape.labels } },
    spec: shape.taints?.length ? { taints: shape.taints } : {},
  };
}

/** The node's heartbeat Lease (kube-node-lease), owned by its Node like a kubelet's. */
export function simLease(name: string, renewTime: string): Obj {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace: "kube-node-lease" },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime },
  };
}

/** A Ready node with the shape's capacity (by default, room for many pods). */
export function simNodeStatus(name: string, now: number, shape: SimNodeShape = {}): Obj {
  const t = rfc3339(now);
  const capacity = { ...DEFAULT_RESOURCES, ...shape.capacity };
  return {
    capacity,
    allocatable: { ...capacity, ...shape.allocatable },
    ...(shape.images ? { images: shape.images } : {}),
    conditions: [
      { type: "Ready", status: "True", reason: "KubeletReady", message: "simulated kubelet is posting ready status", lastHeartbeatTime: t, lastTransitionTime: t },
    ],
    addresses: [
      { type: "InternalIP", address: nodeIP(name) },
      { type: "Hostname", address: name },
    ],
    nodeInfo: { kubeletVersion: "v1.32.0", containerRuntimeVersion: "sim://1.0", operatingSystem: "linux", architecture: "amd64" },
  };
}

/**
 * The status a kubelet would report for a started pod: Running, with every container running;
 * Ready (and ContainersReady) True or False as `ready` says.
 */
export function podStatus(pod: Obj, node: string, ready: boolean, now: number): Obj {
  const t = rfc3339(now);
  const flag = ready ? "True" : "False";
  const n = ++podCounter;
  const containers: Obj[] = pod.spec?.containers ?? [];
  const cond = (type: string, status: string): Obj => ({ type, status, lastTransitionTime: t, ...(status === "False" ? { reason: "ContainersNotReady" } : {}) });
  return {
    phase: "Running",
    conditions: [cond("PodScheduled", "True"), cond("Initialized", "True"), cond("ContainersReady", flag), cond("Ready", flag)],
    hostIP: nodeIP(node),
    hostIPs: [{ ip: nodeIP(node) }],
    podIP: `10.244.${(n >> 8) & 255}.${n & 255}`,
    podIPs: [{ ip: `10.244.${(n >> 8) & 255}.${n & 255}` }],
    startTime: t,
    qosClass: "BestEffort",
    containerStatuses: containers.map((c, i) => ({
      name: c.name,
      image: c.image,
      imageID: `sim://${c.image}`,
      containerID: `sim://${pod.metadata.uid}-${i}`,
      ready,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: t } },
    })),
  };
}
