/**
 * What `bench:scheduler`'s cases share: the store's counters, a bounded pool, node registration,
 * the bench pod, and a pod watch that reports every event with the time it arrived.
 */
import type { LocalCluster } from "../cli/local-cluster";
import { watchEvents, type KubeClient } from "../test/sim/kube-client";

type Obj = Record<string, any>;

export const CONCURRENCY = 32;
export const ZONES = 10;
/** Every simulated node's allocatable (the blockers of the release case take all of its cpu). */
export const NODE_RESOURCES = { cpu: "32", memory: "128Gi", pods: "110", "ephemeral-storage": "500Gi" };

export interface StoreStats {
  revision: number;
  alarmRuns: number;
  reconciles: Record<string, number>;
}

/** The store's own counters, over RPC to the cluster's Durable Object. */
export async function storeStats(cluster: LocalCluster): Promise<StoreStats> {
  const ns = await cluster.miniflare.getDurableObjectNamespace("CLUSTER");
  const stub = ns.get(ns.idFromName("default")) as unknown as { stats(): Promise<StoreStats> };
  return stub.stats();
}

/** Runs `fn` over 0..n-1 with at most `limit` in flight, stopping early once `stop()` holds. */
export async function pool(n: number, limit: number, fn: (i: number) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n && !stop()) await fn(next++);
    }),
  );
}

/**
 * Sends a request, once more if the connection was reset: a keep-alive connection the server
 * closes just as it is reused fails that way, though the request never reached the server.
 */
export async function sendRetrying(kube: KubeClient, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  try {
    return await kube.send(method, path, body);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ECONNRESET") throw e;
    return kube.send(method, path, body);
  }
}

export async function must(p: Promise<{ status: number; body: any }>, what: string, ok: number[] = [200, 201]): Promise<any> {
  const r = await p;
  if (!ok.includes(r.status)) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}

export function nodeName(i: number): string {
  return `bench-node-${i}`;
}

/** Registers `count` Ready nodes (NODE_RESOURCES) spread over ZONES zones, each with a Lease. */
export async function registerNodes(kube: KubeClient, count: number): Promise<void> {
  const now = new Date();
  const t = now.toISOString().replace(/\.\d+Z$/, "Z");
  const renewTime = now.toISOString().replace(/Z$/, "000Z");
  await pool(count, CONCURRENCY, async (i) => {
    const name = nodeName(i);
    const labels = { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "topology.kubernetes.io/zone": `zone-${i % ZONES}` };
    await must(kube.send("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name, labels }, spec: {} }), `node ${name}`, [201, 409]);
    const status = {
      capacity: NODE_RESOURCES,
      allocatable: NODE_RESOURCES,
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: t, lastTransitionTime: t }],
      nodeInfo: { kubeletVersion: "v1.32.0", containerRuntimeVersion: "sim://1.0", operatingSystem: "linux", architecture: "amd64" },
    };
    await must(kube.send("PATCH", `/api/v1/nodes/${name}/status`, { status }, "application/merge-patch+json"), `node ${name} status`);
    const lease = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace: "kube-node-lease" }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime } };
    await must(kube.send("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease), `lease ${name}`, [201, 409]);
  });
}

/** A bare pod requesting 100m cpu and 128Mi; with constraints, a zone spread and a preferred anti-affinity. */
export function benchPod(name: string, app: string, constrained: boolean): Obj {
  const labels = { app };
  const spec: Obj = { containers: [{ name: "app", image: "busybox:1.36", resources: { requests: { cpu: "100m", memory: "128Mi" } } }] };
  if (constrained) {
    spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: labels } }];
    spec.affinity = {
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: labels }, topologyKey: "kubernetes.io/hostname" } }] },
    };
  }
  return { apiVersion: "v1", kind: "Pod", metadata: { name, labels }, spec };
}

export async function createNamespace(kube: KubeClient, name: string): Promise<void> {
  await must(kube.send("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } }), `namespace ${name}`, [201, 409]);
}

/** The namespace's current resourceVersion, to watch from. */
export async function listRevision(kube: KubeClient, ns: string): Promise<string> {
  const list = await must(kube.send("GET", `/api/v1/namespaces/${ns}/pods?limit=1`), "list pods");
  return list.metadata.resourceVersion;
}

/**
 * Watches the namespace's pods from `rv` and calls `onPod(pod, at)` for every event, `at` being
 * when it arrived (performance.now()). Rewatches from the last resourceVersion on a dropped
 * stream. Returns a stop function.
 */
export function watchPods(kube: KubeClient, ns: string, rv: string, onPod: (pod: Obj, at: number) => void): () => void {
  const abort = new AbortController();
  let stopped = false;
  void (async () => {
    while (!stopped) {
      try {
        const res = await kube.stream(`/api/v1/namespaces/${ns}/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}&timeoutSeconds=600`, abort.signal);
        if (res.statusCode !== 200) throw new Error(`watch: ${res.statusCode}`);
        for await (const ev of watchEvents(res)) {
          const at = performance.now();
          if (ev.type === "ERROR") throw new Error(`watch error: ${JSON.stringify(ev.object).slice(0, 200)}`);
          rv = ev.object?.metadata?.resourceVersion ?? rv;
          if (ev.type !== "BOOKMARK" && ev.object?.metadata?.name) onPod(ev.object, at);
        }
      } catch (e) {
        if (stopped) return;
        process.stderr.write(`  watch: ${e instanceof Error ? e.message : String(e)}; rewatching\n`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();
  return () => {
    stopped = true;
    abort.abort();
  };
}

/** Resolves when `done()` holds (checked every 50 ms) or after `ms`; says which. */
export async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!done()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
