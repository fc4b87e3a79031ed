/**
 * `npm run bench:scheduler`: the scheduler as `npm start` runs it (Miniflare, HTTPS). Registers
 * plain Node objects through the API (Ready, with allocatable, one Lease each and a long node
 * monitor grace so no heartbeats are needed), creates bare Pods in batches with bounded
 * concurrency, and watches pods to see each binding. Reports pods scheduled per second,
 * per-pod latency (create request sent → binding seen on the watch) p50/p99, and the cost per
 * 1,000 pods: HTTP requests sent to the Durable Object, alarm runs, store writes and scheduler
 * reconciles. Cases: 100 nodes / 1,000 pods and 1,000 nodes / 10,000 pods, each without and with
 * constraints (a zone topology spread and a preferred pod anti-affinity). A case that runs out
 * of its time budget reports what it scheduled by then. Prints figures only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalCluster, type LocalCluster } from "../cli/local-cluster";
import { KubeClient, readKubeconfig, watchEvents } from "../test/sim/kube-client";
import { table } from "./report";
import { percentile } from "./stats";

type Obj = Record<string, any>;

const CONCURRENCY = 32;
const ZONES = 10;
/** A 1,000-node case may take this long (creation and binding together); smaller ones less. */
const BUDGET_MS = { 100: 90_000, 1000: 150_000 } as Record<number, number>;

interface StoreStats {
  revision: number;
  alarmRuns: number;
  reconciles: Record<string, number>;
}

interface CaseResult {
  name: string;
  nodes: number;
  pods: number;
  created: number;
  scheduled: number;
  timedOut: boolean;
  seconds: number;
  podsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requestsPer1k: number;
  alarmRunsPer1k: number;
  writesPer1k: number;
  schedulerReconcilesPer1k: number;
}

/** The store's own counters, over RPC to the cluster's Durable Object. */
async function storeStats(cluster: LocalCluster): Promise<StoreStats> {
  const ns = await cluster.miniflare.getDurableObjectNamespace("CLUSTER");
  const stub = ns.get(ns.idFromName("default")) as unknown as { stats(): Promise<StoreStats> };
  return stub.stats();
}

/** Runs `fn` over 0..n-1 with at most `limit` in flight, stopping early once `stop()` holds. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n && !stop()) await fn(next++);
    }),
  );
}

async function must(p: Promise<{ status: number; body: any }>, what: string, ok: number[] = [200, 201]): Promise<any> {
  const r = await p;
  if (!ok.includes(r.status)) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}

/** Registers `count` Ready nodes (32 cpu, 128Gi, 110 pods) spread over ZONES zones, each with a Lease. */
async function registerNodes(kube: KubeClient, count: number): Promise<void> {
  const now = new Date();
  const t = now.toISOString().replace(/\.\d+Z$/, "Z");
  const renewTime = now.toISOString().replace(/Z$/, "000Z");
  const resources = { cpu: "32", memory: "128Gi", pods: "110", "ephemeral-storage": "500Gi" };
  await pool(count, CONCURRENCY, async (i) => {
    const name = `bench-node-${i}`;
    const labels = { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "topology.kubernetes.io/zone": `zone-${i % ZONES}` };
    await must(kube.send("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name, labels }, spec: {} }), `node ${name}`, [201, 409]);
    const status = {
      capacity: resources,
      allocatable: resources,
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: t, lastTransitionTime: t }],
      nodeInfo: { kubeletVersion: "v1.32.0", containerRuntimeVersion: "sim://1.0", operatingSystem: "linux", architecture: "amd64" },
    };
    await must(kube.send("PATCH", `/api/v1/nodes/${name}/status`, { status }, "application/merge-patch+json"), `node ${name} status`);
    const lease = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace: "kube-node-lease" }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime } };
    await must(kube.send("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease), `lease ${name}`, [201, 409]);
  });
}

/** A bare pod requesting 100m cpu and 128Mi; with constraints, a zone spread and a preferred anti-affinity. */
function benchPod(name: string, app: string, constrained: boolean): Obj {
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

/**
 * Watches the namespace's pods from `rv` and calls `onBound(name, at)` the first time each
 * shows a nodeName. Returns a stop function.
 */
function watchBindings(kube: KubeClient, ns: string, rv: string, onBound: (name: string, at: number) => void): () => void {
  const abort = new AbortController();
  const seen = new Set<string>();
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
          const name: string | undefined = ev.object?.metadata?.name;
          if (name && ev.object.spec?.nodeName && !seen.has(name)) {
            seen.add(name);
            onBound(name, at);
          }
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

/** One case: create `pods` bare pods in a fresh namespace and wait until all are bound (or the budget ends). */
async function runCase(cluster: LocalCluster, kube: KubeClient, nodes: number, pods: number, constrained: boolean): Promise<CaseResult> {
  const name = `${nodes} nodes / ${pods.toLocaleString("en-US")} pods${constrained ? ", spread + anti-affinity" : ""}`;
  const ns = `bench-${nodes}-${constrained ? "c" : "p"}`;
  await must(kube.send("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }), `namespace ${ns}`, [201, 409]);
  const list = await must(kube.send("GET", `/api/v1/namespaces/${ns}/pods?limit=1`), "list pods");
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let lastBound = 0;
  let allBound: () => void = () => {};
  const done = new Promise<void>((r) => (allBound = r));
  let created = 0;
  let creating = true;
  const early: [string, number][] = [];
  const record = (pod: string, at: number) => {
    const t0 = sentAt.get(pod);
    if (t0 === undefined) return void early.push([pod, at]);
    latencies.push(at - t0);
    lastBound = at;
    if (!creating && latencies.length >= created) allBound();
  };
  const stopWatch = watchBindings(kube, ns, list.metadata.resourceVersion, record);

  const before = await storeStats(cluster);
  const reqBefore = kube.requests;
  const start = performance.now();
  const deadline = start + BUDGET_MS[nodes];
  await pool(
    pods,
    CONCURRENCY,
    async (i) => {
      const pod = `p-${i}`;
      sentAt.set(pod, performance.now());
      await must(kube.send("POST", `/api/v1/namespaces/${ns}/pods`, benchPod(pod, ns, constrained)), `create ${pod}`, [201]);
      created++;
    },
    () => performance.now() > deadline,
  );
  creating = false;
  // Bindings seen before their create was recorded (cannot happen with sentAt set first, but be safe).
  for (const [pod, at] of early.splice(0)) record(pod, at);
  const createdAllMs = performance.now() - start;
  if (latencies.length >= created) allBound();
  const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), Math.max(5_000, deadline - performance.now())));
  const outcome = await Promise.race([done.then(() => "done" as const), timer]);
  stopWatch();
  const after = await storeStats(cluster);
  const scheduled = latencies.length;
  const seconds = ((scheduled ? lastBound : performance.now()) - start) / 1000;
  const per1k = (v: number) => (scheduled ? (v * 1000) / scheduled : NaN);
  const sorted = [...latencies].sort((a, b) => a - b);
  const res: CaseResult = {
    name,
    nodes,
    pods,
    created,
    scheduled,
    timedOut: outcome === "timeout" || created < pods,
    seconds,
    podsPerSecond: scheduled / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? NaN,
    requestsPer1k: per1k(kube.requests - reqBefore),
    alarmRunsPer1k: per1k(after.alarmRuns - before.alarmRuns),
    writesPer1k: per1k(after.revision - before.revision),
    schedulerReconcilesPer1k: per1k((after.reconciles?.scheduler ?? 0) - (before.reconciles?.scheduler ?? 0)),
  };
  process.stderr.write(
    `  ${name}: ${created} created in ${Math.round(createdAllMs)} ms, ${scheduled} scheduled in ${seconds.toFixed(1)} s${res.timedOut ? " (time budget reached)" : ""}, p50 ${Math.round(res.p50Ms)} ms, p99 ${Math.round(res.p99Ms)} ms\n`,
  );
  return res;
}

async function main(): Promise<void> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    while (stops.length) await stops.pop()!().catch((e) => process.stderr.write(`stop: ${e}\n`));
  };
  process.once("SIGINT", () => void stopAll().finally(() => process.exit(130)));
  process.once("SIGTERM", () => void stopAll().finally(() => process.exit(143)));
  const only = process.env.BENCH_SCHEDULER_NODES?.split(",").map(Number);
  const results: CaseResult[] = [];
  try {
    for (const [nodes, pods] of [
      [100, 1000],
      [1000, 10000],
    ] as const) {
      if (only && !only.includes(nodes)) continue;
      const dir = mkdtempSync(join(tmpdir(), "flotilla-bench-scheduler-"));
      // A long node monitor grace: the nodes register one Lease each and never renew it.
      const cluster = await startLocalCluster({ dir, port: 0, ephemeral: true, bindings: { NODE_MONITOR_GRACE_SECONDS: "3600" } });
      const stopCluster = async () => {
        await cluster.stop();
        rmSync(dir, { recursive: true, force: true });
      };
      stops.push(stopCluster);
      const kube = new KubeClient({ ...readKubeconfig(cluster.kubeconfigPath), concurrency: CONCURRENCY });
      const t0 = performance.now();
      await registerNodes(kube, nodes);
      process.stderr.write(`${nodes} nodes registered in ${Math.round(performance.now() - t0)} ms\n`);
      for (const constrained of [false, true]) results.push(await runCase(cluster, kube, nodes, pods, constrained));
      kube.close();
      stops.pop();
      await stopCluster();
    }
    const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits }) : "-");
    process.stdout.write(`\nScheduler: bare pods (100m cpu, 128Mi) created ${CONCURRENCY} at a time, bindings seen through a pod watch, ${cpus().length} cores\n\n`);
    process.stdout.write(
      table(
        ["case", "scheduled", "secs", "pods/s", "p50 ms", "p99 ms", "max ms", "DO req/1k pods", "alarm runs/1k", "writes/1k", "sched reconciles/1k"],
        results.map((r) => [
          r.name,
          `${f(r.scheduled)}/${f(r.pods)}${r.timedOut ? " (budget)" : ""}`,
          f(r.seconds, 1),
          f(r.podsPerSecond, 1),
          f(r.p50Ms),
          f(r.p99Ms),
          f(r.maxMs),
          f(r.requestsPer1k),
          f(r.alarmRunsPer1k),
          f(r.writesPer1k),
          f(r.schedulerReconcilesPer1k),
        ]),
        1,
      ) + "\n",
    );
    process.stdout.write(`\n${JSON.stringify({ bench: "scheduler", cases: results })}\n`);
  } finally {
    await stopAll();
  }
}

main().catch((e) => {
  process.stderr.write(`bench:scheduler: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
